/**
 * Issue 11, "nothing lost, nothing mixed", through the real command line: a corrupt part file is
 * refused by every reader (named, with the repair); a second build of a running run id is refused;
 * outputs inside inputs, bad numbers, truncated manifests, odd --out paths are plain errors (never a
 * stack, never a hang); duplicate problems are named; the harness checks its interpreter once.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { HARNESS_SCRIPT } from '../../stages/verify/local-verifier.ts';
import { fixtureRecords, writeRun } from '../datasets/fixture.ts';
import { runKforge } from '../support/run-kforge.ts';
import { pollUntil } from '../support/run-processes.ts';
import { REPO_ROOT } from '../support/paths.ts';

const NO_STACK = /at .*\.ts:\d+/;

/** A fixture run folder with a manifest (as a build leaves it), one of its two part files cut short. */
async function corruptRun(): Promise<{ run: string; bad: string; work: string }> {
  const work = await mkdtemp(path.join(tmpdir(), 'kforge-corrupt-'));
  const run = await writeRun(path.join(work, 'runs', 'r1'), fixtureRecords());
  const manifest = { manifest_version: 1, run_id: 'r1', status: 'complete', config: {}, parts: [], problems: [], sessions: [], counts: { records: 0 } };
  await writeFile(path.join(run, 'manifest.json'), JSON.stringify(manifest));
  const bad = path.join(run, 'records', 'part-00001.parquet');
  await truncate(bad, 5000);
  return { run, bad, work };
}

describe('a corrupt part file', () => {
  let c: Awaited<ReturnType<typeof corruptRun>>;
  beforeAll(async () => {
    c = await corruptRun();
  });

  it.each([
    ['filter', (o: string) => ['filter', c.run, '--out', path.join(o, 'sel.parquet')]],
    ['filter --workers 2', (o: string) => ['filter', c.run, path.join(c.run, 'records/part-00000.parquet'), '--workers', '2', '--out', path.join(o, 'sel.parquet')]],
    ['export', (o: string) => ['export', c.run, '--format', 'chat', '--out', path.join(o, 'chat')]],
    ['stats', () => ['stats', c.run]],
    ['report', (o: string) => ['report', c.run, '--out', path.join(o, 'r.html')]],
    ['dataset merge', (o: string) => ['dataset', 'merge', c.run, '--name', 'd', '--root', path.join(o, 'ds')]],
    ['inspect', () => ['inspect', c.run]],
  ])('%s refuses it, names it and says how to repair it; writes nothing', async (_name, args) => {
    const out = await mkdtemp(path.join(tmpdir(), 'kforge-corrupt-out-'));
    const r = await runKforge(args(out));
    expect(r.exitCode, r.all).toBe(1);
    expect(r.stderr).toContain(c.bad);
    expect(r.stderr).toContain(`kforge build --resume ${c.run}`);
    expect(r.stderr).not.toMatch(NO_STACK);
    expect(existsSync(path.join(out, 'sel.parquet'))).toBe(false);
  });
});

describe('kforge filter --out', () => {
  it('refuses an output inside an input, and an existing one unless --overwrite', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'kforge-fout-'));
    const run = await writeRun(path.join(work, 'run'), fixtureRecords());
    const inside = await runKforge(['filter', run, '--out', run]);
    expect(inside.exitCode, inside.all).toBe(2);
    expect(inside.stderr).toContain('inside the input');
    expect(existsSync(path.join(run, 'records', 'part-00002.parquet'))).toBe(false);
    const sel = path.join(work, 'sel');
    await mkdir(sel);
    await writeFile(path.join(sel, 'keep.txt'), 'x');
    const existing = await runKforge(['filter', run, '--out', sel]);
    expect(existing.exitCode, existing.all).toBe(2);
    expect(existing.stderr).toContain('--overwrite');
    const overwritten = await runKforge(['filter', run, '--out', sel, '--overwrite']);
    expect(overwritten.exitCode, overwritten.all).toBe(0);
  });
});

describe('options and paths are checked, with plain errors', () => {
  it.each([
    [['filter', '/tmp', '--min-speedup', 'abc', '--out', '/tmp/kforge-never.parquet'], 2, '--min-speedup takes a number'],
    [['build', '--limit', 'x'], 2, '--limit takes a number'],
    [['filter', '/tmp', '--out', '/proc/nope'], 2, 'virtual file system'],
    [['filter', '/tmp', '--out', '/dev/null/x'], 2, '/dev/null is a file'],
    [['build', '--bogus-flag'], 2, 'Unknown argument: bogus-flag\n'],
    [['problems', '--source', '/nonexistent/kb'], 1, '/nonexistent/kb does not exist'],
  ])('kforge %j exits %i saying %j', async (args, code, says) => {
    const r = await runKforge(args, { timeoutMs: 120_000 });
    expect(r.exitCode, r.all).toBe(code);
    expect(r.stderr).toContain(says);
    expect(r.stderr).not.toMatch(NO_STACK);
  });

  it('report --out <a folder> is refused', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'kforge-rout-'));
    const run = await writeRun(path.join(work, 'run'), fixtureRecords());
    const folder = await mkdtemp(path.join(tmpdir(), 'kforge-rout-dir-'));
    const r = await runKforge(['report', run, '--out', folder]);
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stderr).toContain('is a folder');
  });

  it('a truncated manifest.json: inspect and --resume name the file and the way out', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'kforge-tman-'));
    const run = await writeRun(path.join(work, 'runs', 'r'), fixtureRecords());
    await writeFile(path.join(run, 'manifest.json'), '{"manifest_version": 1, "run_id": "r", "sta');
    for (const args of [['inspect', run], ['build', '--resume', run]]) {
      const r = await runKforge(args);
      expect(r.exitCode, r.all).toBe(1);
      expect(r.stderr).toContain(path.join(run, 'manifest.json'));
      expect(r.stderr).toContain('mv ');
      expect(r.stderr).not.toContain('SyntaxError');
      expect(r.stderr).not.toMatch(NO_STACK);
    }
  });
});

describe('duplicate problems', () => {
  it('are named, both, and kept once (the first by level, id, name)', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'kforge-dups-'));
    const code = await readFile(path.join(REPO_ROOT, 'kernelbench/builtin/level1/1001_ReLU.py'), 'utf8');
    const line = (id: number, name: string) => JSON.stringify({ level: 1, problem_id: id, name, code });
    const file = path.join(work, 'p.jsonl');
    await writeFile(file, [line(1, '1_ReLU'), line(1, '1_ReLU'), line(7, '7_ReLUAgain')].join('\n') + '\n');
    const r = await runKforge(['problems', '--source', file]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/^1 problems from/);
    expect(r.stderr).toContain('L1 #1 1_ReLU is an exact duplicate of L1 #1 1_ReLU');
    expect(r.stderr).toContain('L1 #7 7_ReLUAgain is the same code as L1 #1 1_ReLU');
  });
});

describe('the harness on its own', () => {
  it('stops before any candidate when its python has no torch, with the message kforge build gives', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'kforge-notorch-'));
    await writeFile(path.join(work, 'jobs.jsonl'), '{"candidate_id": "x"}\n');
    // -S: no site-packages, so this interpreter cannot import torch, whichever python3 it is.
    const r = await execa('/usr/bin/python3', ['-S', HARNESS_SCRIPT, '--jobs', path.join(work, 'jobs.jsonl'), '--out', path.join(work, 'out.jsonl')], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('No Python interpreter with torch was found');
    expect(r.stderr).toContain('KFORGE_PYTHON');
    expect(existsSync(path.join(work, 'out.jsonl'))).toBe(false);
  });

  it('reports a malformed job once, not "malformed job: malformed job"', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'kforge-badjob-'));
    await writeFile(path.join(work, 'jobs.jsonl'), '{"candidate_id": "x"}\n');
    const r = await execa('/usr/bin/python3', [HARNESS_SCRIPT, '--jobs', path.join(work, 'jobs.jsonl'), '--out', path.join(work, 'out.jsonl')], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    const result = JSON.parse(await readFile(path.join(work, 'out.jsonl'), 'utf8')) as { fail_message: string };
    expect(result.fail_message).toBe("malformed job: KeyError('problem')");
  });
});

describe('builds of one run id', () => {
  it('a second build while the first runs is refused, naming the holder, with exit 4', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'kforge-lock-'));
    const args = ['build', '--limit', '1', '--provider', 'builtin', '--out', path.join(work, 'runs'), '--run-id', 'C2', '--progress', 'silent', '--set', `cache.dir=${path.join(work, 'cache')}`];
    const first = runKforge(args);
    expect(await pollUntil(async () => existsSync(path.join(work, 'runs/C2/build.lock')), 120_000)).toBe(true);
    const second = await runKforge(args);
    expect(second.exitCode, second.all).toBe(4);
    expect(second.stderr).toContain(`pid ${first.pid}`);
    // process.kill, not execa's kill(): that one sends SIGKILL too when the stop takes over 5 s.
    process.kill(first.pid!, 'SIGTERM');
    const stopped = await first;
    expect(stopped.exitCode, stopped.all).toBe(143);
    expect(existsSync(path.join(work, 'runs/C2/build.lock'))).toBe(false);
  });

  it('a build that writes no record says so and exits 5', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'kforge-norec-'));
    // An op outside the builtin catalogue: the only problem is skipped, so the run holds nothing.
    const code = 'import torch\nimport torch.nn as nn\n\nclass Model(nn.Module):\n    def forward(self, x):\n        return torch.fft.fft(x).real.cumsum(0).flip(0)\n\ndef get_inputs():\n    return [torch.randn(64)]\n\ndef get_init_inputs():\n    return []\n';
    await writeFile(path.join(work, 'p.jsonl'), JSON.stringify({ level: 1, problem_id: 901, name: '901_Weird', code }) + '\n');
    const r = await runKforge(['build', '--source', path.join(work, 'p.jsonl'), '--provider', 'builtin', '--out', path.join(work, 'runs'), '--run-id', 'z', '--progress', 'silent', '--set', `cache.dir=${path.join(work, 'cache')}`]);
    expect(r.exitCode, r.all).toBe(5);
    expect(r.stderr).toContain('wrote no records');
  });
});
