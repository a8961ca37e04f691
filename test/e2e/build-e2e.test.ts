/**
 * Issue 2's acceptance: `kforge build` on a builtin problem against a real HTTP server speaking the
 * OpenAI protocol, with scripted ideas and cpu candidates that are correct, fail to build, are wrong,
 * crash and hang. The Parquet output is read back by DuckDB, not by the code that wrote it.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duckQuery, sqlStr } from '../support/duckdb.ts';
import { startOpenAiServer, type OpenAiServer } from '../support/openai-server.ts';
import { runKforge } from '../support/run-kforge.ts';
import { scriptedKernelResponder, type ScriptedIdea } from '../support/scripted-llm.ts';

const IDEAS: ScriptedIdea[] = [
  { marker: 'IDEA-CORRECT', text: 'a plain loop over the elements', category: 'memory_access', kernel: '../candidates/cpu/relu_ok.py' },
  { marker: 'IDEA-BUILDFAIL', text: 'an intrinsic that does not exist', category: 'compute_instructions', kernel: 'build_fails.py' },
  { marker: 'IDEA-WRONG', text: 'a leaky slope for speed', category: 'control_flow_loops', kernel: '../candidates/cpu/relu_wrong_values.py' },
  { marker: 'IDEA-CRASH', text: 'a raw pointer trick', category: 'other', kernel: 'crashes.py' },
  { marker: 'IDEA-HANG', text: 'a spin-wait barrier', category: 'parallelism_occupancy', kernel: 'hangs.py' },
];

describe('kforge build end to end (cpu backend, scripted OpenAI-compatible server)', () => {
  let server: OpenAiServer;
  let work: string;
  let result: Awaited<ReturnType<typeof runKforge>>;

  beforeAll(async () => {
    server = await startOpenAiServer({ respond: scriptedKernelResponder(() => IDEAS) });
    work = await mkdtemp(path.join(tmpdir(), 'kforge-e2e-'));
    // verify.timeout_s: the hanging candidate holds a verifier slot that long, so no longer than the
    // others need (their builds do not count against it): 60 s, not the 600 s default.
    result = await runKforge(
      [
        'build', '--source', 'builtin', '--name', '^1001_ReLU$', '--base-url', server.url, '--model', 'scripted-model',
        '--ideas', '5', '--impls', '1', '--rounds', '1', '--out', path.join(work, 'runs'), '--run-id', 'e2e',
        '--progress', 'lines', '--set', `cache.dir=${path.join(work, 'cache')}`, '--set', 'verify.timeout_s=60', '--set', 'verify.repeats=5',
      ],
      { env: { OPENAI_API_KEY: 'sk-test-not-a-secret' } },
    );
  }, 600_000);

  afterAll(async () => {
    await server?.close();
  });

  it('exits cleanly and prints a summary', () => {
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toMatch(/records: 5 .*correct: 1/);
  });

  it('writes exactly one row per candidate with the right verdict and failure stage', async () => {
    const glob = sqlStr(path.join(work, 'runs/e2e/records/*.parquet'));
    const rows = await duckQuery(
      `select idea_text, correct, compiled, fail_stage, fail_message, speedup, provider, model, tokens_in, kernel_source <> '' as has_kernel
       from read_parquet(${glob}) order by idea_text`,
    );
    expect(rows).toHaveLength(IDEAS.length);
    const byMarker = new Map(rows.map((r) => [String(r.idea_text).split(':')[0], r]));
    const correct = byMarker.get('IDEA-CORRECT')!;
    expect(correct.correct).toBe(true);
    expect(correct.fail_stage).toBeNull();
    expect(Number(correct.speedup)).toBeGreaterThan(0);
    expect(byMarker.get('IDEA-BUILDFAIL')).toMatchObject({ correct: false, compiled: false, fail_stage: 'build' });
    expect(byMarker.get('IDEA-WRONG')).toMatchObject({ correct: false, compiled: true, fail_stage: 'correctness' });
    expect(byMarker.get('IDEA-CRASH')).toMatchObject({ correct: false, fail_stage: 'crash' });
    expect(byMarker.get('IDEA-HANG')).toMatchObject({ correct: false, fail_stage: 'timeout' });
    for (const row of rows) {
      expect(row).toMatchObject({ provider: 'openai', model: 'scripted-model', has_kernel: true });
      expect(Number(row.tokens_in)).toBeGreaterThan(0);
    }
  });

  it('keeps the evidence: errors, compile log, trials, environment', async () => {
    const glob = sqlStr(path.join(work, 'runs/e2e/records/*.parquet'));
    const [wrong] = await duckQuery(`select max_abs_error, trials_run, trials_passed from read_parquet(${glob}) where idea_text like 'IDEA-WRONG%'`);
    expect(Number(wrong!.max_abs_error)).toBeGreaterThan(1e-3);
    const [build] = await duckQuery(`select compile_log from read_parquet(${glob}) where idea_text like 'IDEA-BUILDFAIL%'`);
    expect(String(build!.compile_log)).toMatch(/this_is_not_cpp/);
    const [ok] = await duckQuery(`select len(kernel_trials_ms) as n, torch_version, verifier_version from read_parquet(${glob}) where correct`);
    expect(Number(ok!.n)).toBe(5);
    expect(String(ok!.torch_version)).toMatch(/^\d+\.\d+/);
  });

  it('kforge inspect summarises the written run', async () => {
    const inspect = await runKforge(['inspect', path.join(work, 'runs/e2e')]);
    expect(inspect.exitCode, inspect.all).toBe(0);
    expect(inspect.stdout).toContain('status: complete');
    expect(inspect.stdout).toMatch(/L1 1001_ReLU\s+5\s+/);
  });
});
