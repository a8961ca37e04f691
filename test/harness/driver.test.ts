/**
 * The harness driver run once, as a user runs it (`verify.py --jobs`), over one JSONL of the cpu
 * fixture candidates: real Python, real torch, real C++ builds (two, plus one that fails).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { findPython } from '../../stages/verify/python.ts';
import { HARNESS_SCRIPT } from '../../stages/verify/local-verifier.ts';
import { verifyResultSchema, type VerifyResult } from '../../stages/verify/protocol.ts';
import { CPU_CANDIDATES, RELU_PROBLEM, reluJob, TEST_BUILD_ROOT } from './jobs.ts';

const HANG_TIMEOUT_S = 20;
const SECRET = 'sk-test-this-must-not-reach-a-candidate';

const jobs = [
  reluJob('relu_ok'),
  reluJob('relu_wrong_values'),
  reluJob('relu_wrong_shape'),
  reluJob('no_model_new'),
  reluJob('compile_error'),
  reluJob('crash_abort'),
  reluJob('hang', { timeout_s: HANG_TIMEOUT_S }),
  reluJob('sandbox_probe'),
  reluJob('inplace_input'),
  reluJob('memory_hog'),
];

let results: Map<string, VerifyResult>;
let scratchRoot: string;
let stderr: string;

function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat); // a zombie is dead, only not yet reaped
  } catch {
    return false;
  }
}

beforeAll(async () => {
  const python = await findPython();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kforge-driver-test-'));
  scratchRoot = path.join(dir, 'scratch');
  const jobsFile = path.join(dir, 'jobs.jsonl');
  writeFileSync(jobsFile, jobs.map((j) => JSON.stringify(j)).join('\n') + '\n');
  // --device-share 2: the two workers check correctness side by side and take the device's lock
  // exclusively only to time (device_lock.py); the other driver runs of the suite keep the default of 1.
  const r = await execa(python, [HARNESS_SCRIPT, '--jobs', jobsFile, '--workers', '2', '--build-root', TEST_BUILD_ROOT,
    '--scratch-root', scratchRoot, '--keep-scratch', '--cpu-threads', '1', '--device-share', '2'], {
    env: { ...process.env, OPENAI_API_KEY: SECRET, KFORGE_TEST_TOKEN: SECRET },
    reject: false,
  });
  stderr = String(r.stderr);
  expect(r.exitCode, stderr).toBe(0);
  const lines = String(r.stdout).trim().split('\n');
  results = new Map(lines.map((l) => {
    const result = verifyResultSchema.strict().parse(JSON.parse(l)); // every field, nothing more
    return [result.candidate_id, result];
  }));
});

function result(id: string): VerifyResult {
  const r = results.get(id);
  if (!r) throw new Error(`no result for ${id}; stderr:\n${stderr}`);
  return r;
}

describe('verify.py --jobs (cpu backend)', () => {
  it('gives one schema-valid result per job and a summary table', () => {
    expect([...results.keys()].sort()).toEqual(jobs.map((j) => j.candidate_id).sort());
    expect(stderr).toMatch(/candidate\s+verdict\s+stage\s+speedup/);
    expect(stderr).toMatch(/relu_ok\s+PASS/);
  });

  it('passes a correct C++ candidate, with every trial and timing recorded', () => {
    const r = result('relu_ok');
    expect(r.fail_message).toBeNull();
    expect(r).toMatchObject({ correct: true, compiled: true, fail_stage: null, suspect: false, trials_run: 3, trials_passed: 3,
      inputs_unchanged: true, deterministic: true, timing_method: 'perf_counter', compile_flags: '-O3', backend: 'cpu' });
    expect(r.seeds).toHaveLength(3);
    expect(new Set(r.seeds).size).toBe(3);
    expect(r.passes_policies.sort()).toEqual(['default', 'loose']);
    expect(r.max_abs_error).toBe(0);
    expect(r.kernel_trials_ms).toHaveLength(5);
    expect(r.ref_trials_ms).toHaveLength(5);
    expect(r.speedup).toBeGreaterThan(0);
    expect(r.speedup).toBeCloseTo(r.ref_time_ms! / r.kernel_time_ms!, 6);
    expect(r.atol).toBe(1e-4);
    expect(r.env.torch_version).toMatch(/^\d+\.\d+/);
    expect(r.env.device_name).toBeTruthy();
    // Shared for construction and correctness, exclusive from timing on: the exclusive part is the smaller.
    expect(r.gpu_exclusive_s).toBeGreaterThan(0);
    expect(r.gpu_busy_s).toBeGreaterThan(r.gpu_exclusive_s!);
  });

  it('fails wrong values at correctness with the error recorded', () => {
    const r = result('relu_wrong_values');
    expect(r).toMatchObject({ correct: false, compiled: true, fail_stage: 'correctness', trials_passed: 0, trials_run: 3 });
    expect(r.max_abs_error).toBeGreaterThan(0.1);
    expect(r.passes_policies).toEqual([]);
    expect(r.fail_message).toMatch(/max abs error .* vs atol=0.0001.*0\/3 trials passed/);
    expect(r.kernel_time_ms).toBeNull();
  });

  it('fails a wrong output shape at correctness, naming both shapes', () => {
    const r = result('relu_wrong_shape');
    expect(r.fail_stage).toBe('correctness');
    expect(r.fail_message).toContain('shape [64, 16383] != expected [64, 16384]');
  });

  it('fails a module without ModelNew at load with a clear message', () => {
    const r = result('no_model_new');
    expect(r).toMatchObject({ fail_stage: 'load', fail_message: 'candidate defines no class ModelNew', correct: false });
  });

  it('fails a compile error at build, keeping the compiler output', () => {
    const r = result('compile_error');
    expect(r).toMatchObject({ fail_stage: 'build', compiled: false, correct: false });
    expect(r.fail_message).toContain('this_function_does_not_exist');
    expect(r.compile_log).toContain('error');
    expect(r.compile_log!.length).toBeLessThan(4500);
  });

  it('reports a candidate that kills its own process as a crash, and carries on', () => {
    const r = result('crash_abort');
    expect(r).toMatchObject({ fail_stage: 'crash', correct: false, compiled: true });
    expect(r.fail_message).toContain('SIGABRT');
  });

  it('kills a hanging candidate and its whole process group at the time limit', () => {
    const r = result('hang');
    expect(r.fail_stage).toBe('timeout');
    expect(r.wall_s).toBeGreaterThanOrEqual(HANG_TIMEOUT_S);
    expect(r.wall_s).toBeLessThan(HANG_TIMEOUT_S + 10);
    const dir = readdirSync(scratchRoot).find((d) => d.startsWith('hang-'));
    const pidsFile = path.join(scratchRoot, dir!, 'pids.json');
    expect(existsSync(pidsFile)).toBe(true);
    const pids = JSON.parse(readFileSync(pidsFile, 'utf8')) as { worker: number; child: number; pgid: number };
    expect(pids.pgid).toBe(pids.worker); // the worker leads its own group
    expect(pidAlive(pids.worker)).toBe(false);
    expect(pidAlive(pids.child)).toBe(false);
  });

  it('hides secrets from candidates and gives them a scratch HOME (and no network, as root)', () => {
    const r = result('sandbox_probe');
    expect(r.fail_message).toBeNull();
    expect(r.correct).toBe(true);
    if (process.getuid?.() === 0) expect(r.flags).not.toContain('sandbox:network_open');
  });

  it('limits the address space of cpu workers', () => {
    const r = result('memory_hog');
    expect(r.fail_stage).toBe('load');
    expect(r.fail_message).toContain('MemoryError');
  });

  it('flags a candidate that writes its input and withholds the pass', () => {
    const r = result('inplace_input');
    expect(r).toMatchObject({ correct: false, suspect: true, fail_stage: 'integrity', inputs_unchanged: false });
    expect(r.flags).toContain('inputs_modified');
  });
});

// The folder run's results file and a way to run it again (the --resume test continues it).
let folderResults: string;
let rerun: (extra: string[]) => Promise<string>;

describe('verify.py --problems --candidates (a folder of candidates, as on a GPU host)', () => {
  let out: VerifyResult[];
  let log: string;

  beforeAll(async () => {
    const python = await findPython();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kforge-folder-test-'));
    const problems = path.join(dir, 'problems.jsonl');
    const code = readFileSync(RELU_PROBLEM, 'utf8');
    writeFileSync(problems, JSON.stringify({ level: 1, problem_id: 1001, name: '1001_ReLU', code }) + '\n');
    const cands = path.join(dir, 'candidates');
    mkdirSync(path.join(cands, '1_1001_attempts'), { recursive: true });
    copyFileSync(path.join(CPU_CANDIDATES, 'relu_wrong_shape.py'), path.join(cands, '1_1001_shape.py'));
    copyFileSync(path.join(CPU_CANDIDATES, 'no_model_new.py'), path.join(cands, '1_1001_attempts', 'a.py'));
    copyFileSync(path.join(CPU_CANDIDATES, 'no_model_new.py'), path.join(cands, 'unnamed.py'));
    copyFileSync(path.join(CPU_CANDIDATES, 'no_model_new.py'), path.join(cands, '2_77_no_such_problem.py'));
    folderResults = path.join(dir, 'results.jsonl');
    rerun = async (extra) => {
      const r = await execa(python, [HARNESS_SCRIPT, '--problems', problems, '--candidates', cands, '--backend', 'cpu',
        '--trials', '2', '--repeats', '3', '--timeout', '120', '--out', folderResults, '--build-root', TEST_BUILD_ROOT,
        '--scratch-root', path.join(dir, 'scratch'), ...extra], { reject: false });
      expect(r.exitCode, String(r.stderr)).toBe(0);
      return String(r.stderr);
    };
    log = await rerun([]);
    out = readFileSync(folderResults, 'utf8').trim().split('\n').map((l) => verifyResultSchema.parse(JSON.parse(l)));
  });

  it('builds one job per matching file, named by its path, and says what it skipped', () => {
    const byId = new Map(out.map((r) => [r.candidate_id, r]));
    expect([...byId.keys()].sort()).toEqual(['1_1001_attempts/a.py', '1_1001_shape.py']);
    expect(byId.get('1_1001_shape.py')!.fail_stage).toBe('correctness');
    expect(byId.get('1_1001_shape.py')!.trials_run).toBe(1);
    expect(byId.get('1_1001_attempts/a.py')!.fail_stage).toBe('load');
    expect(log).toMatch(/skipping .*unnamed\.py/);
    expect(log).toMatch(/skipping .*2_77_no_such_problem\.py: no problem level 2 id 77/);
  });
});

describe('verify.py --resume (a time-boxed GPU session continued in the next)', () => {
  it('keeps the complete results, drops a line cut by the kill, runs only what is missing', async () => {
    const [first, second] = readFileSync(folderResults, 'utf8').trim().split('\n');
    const secondId = (JSON.parse(second!) as VerifyResult).candidate_id;
    writeFileSync(folderResults, `${first}\n${second!.slice(0, 40)}`); // killed mid-line
    const resumedLog = await rerun(['--resume']);
    expect(resumedLog).toMatch(/resuming .*results\.jsonl: 1 result\(s\) kept/);
    expect(resumedLog).toMatch(/1 candidates to run/);
    const lines = readFileSync(folderResults, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(first);
    expect(verifyResultSchema.parse(JSON.parse(lines[1]!)).candidate_id).toBe(secondId);
    const again = await rerun(['--resume']);
    expect(again).toMatch(/0 candidates to run/);
    expect(readFileSync(folderResults, 'utf8').trim().split('\n')).toHaveLength(2);
  });
});
