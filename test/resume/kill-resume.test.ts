/**
 * Issue 5: kill -9 the build at many points (mid Parquet write, mid verification, between an LLM reply
 * and its use, between a part file and the manifest), resume, and get exactly the dataset of an
 * uninterrupted run, without the scripted server ever answering the same request successfully twice.
 * Issue 11: after every kill nothing of the killed build runs on (its driver, the driver's process
 * group, its workers) and nothing holds the device-lock folder; SIGINT and SIGTERM mid-verification
 * stop it cleanly (exit 130/143, manifest `interrupted`, the resume command printed), and the resume,
 * started at once, equals the uninterrupted run too.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { duckQuery, sqlStr } from '../support/duckdb.ts';
import { startOpenAiServer } from '../support/openai-server.ts';
import { SCENARIO_CANDIDATES, scenarioArgs, scenarioResponder } from '../support/resume-scenario.ts';
import { runKforge } from '../support/run-kforge.ts';
import { holdersOf, leftOfBuild, pollUntil } from '../support/run-processes.ts';

const LOCK_DIR = process.env.KFORGE_LOCK_DIR!;

/** Nothing of the build with node pid `pid` is left, and nothing holds the device locks. */
async function expectNothingLeft(pid: number): Promise<void> {
  // The driver notices its parent's death within moments; the limit only bounds a broken one.
  await pollUntil(async () => (await leftOfBuild(pid, LOCK_DIR)).length === 0, 20_000);
  expect(await leftOfBuild(pid, LOCK_DIR), 'processes of the killed build').toEqual([]);
  expect(await holdersOf(LOCK_DIR), 'processes holding the device-lock folder').toEqual([]);
}

const KILL_POINTS = [
  'llm:ideas-replied:1',
  'ideas:received:2',
  'llm:implementation-replied:1',
  'candidate:implemented:3',
  'verify:in-flight:1',
  'verify:in-flight:6',
  'candidate:verified:5',
  'part:before-write:2',
  'parquet:mid-write:1',
  'part:before-manifest:2',
];

async function countFiles(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return entries.filter((e) => e.endsWith('.json')).length;
}

async function recordIds(runDir: string): Promise<{ ids: string[]; rows: number }> {
  const rows = await duckQuery(`select record_id from read_parquet(${sqlStr(path.join(runDir, 'records/*.parquet'))})`);
  return { ids: rows.map((r) => String(r.record_id)).sort(), rows: rows.length };
}

describe('resume after kill -9', () => {
  let reference: string[];
  /** Successful answers the uninterrupted run needed. */
  let referenceAnswers: number;

  beforeAll(async () => {
    const server = await startOpenAiServer({ respond: scenarioResponder() });
    const work = await mkdtemp(path.join(tmpdir(), 'kforge-ref-'));
    const run = await runKforge(scenarioArgs({ serverUrl: server.url, work, runId: 'ref' }));
    referenceAnswers = server.requests.filter((r) => r.success).length;
    await server.close();
    expect(run.exitCode, run.all).toBe(0);
    reference = (await recordIds(path.join(work, 'runs/ref'))).ids;
    expect(reference).toHaveLength(SCENARIO_CANDIDATES);
  }, 600_000);

  it.each(KILL_POINTS)('killed at %s, resumed, equals the uninterrupted run', async (point) => {
    const server = await startOpenAiServer({ respond: scenarioResponder() });
    try {
      const work = await mkdtemp(path.join(tmpdir(), 'kforge-kill-'));
      const args = scenarioArgs({ serverUrl: server.url, work, runId: 'killed' });
      const successes = () => server.requests.filter((r) => r.success).length;
      const running = runKforge(args, { env: { KFORGE_CRASH_AT: point } });
      const killed = await running;
      const answered = { atKill: successes(), afterResume: 0 };
      const received = await countFiles(path.join(work, 'cache/llm'));
      expect(killed.signal, `expected a SIGKILL at ${point}\n${killed.all}`).toBe('SIGKILL');
      await expectNothingLeft(running.pid!);

      const resumed = await runKforge(['build', '--resume', path.join(work, 'runs/killed'), '--progress', 'silent']);
      // The dead build's lock is taken over, and said so.
      expect(resumed.all).toContain('taking over the lock');
      answered.afterResume = successes();
      expect(resumed.exitCode, resumed.all).toBe(0);
      const { ids, rows } = await recordIds(path.join(work, 'runs/killed'));
      expect(rows).toBe(ids.length); // no duplicates
      expect(ids).toEqual(reference); // no losses, nothing extra
      // Paying twice: the resume asks for exactly the answers the killed run had not received (each
      // received answer is an LLM cache entry), so killed + resumed pays what one run pays, plus at most
      // the replies in transit at the kill (sent by the server, never received; 2 requests run at once).
      expect(answered.afterResume - answered.atKill, 'answers asked for by the resume').toBe(referenceAnswers - received);
      expect(answered.atKill - received, 'replies in transit at the kill').toBeLessThanOrEqual(2);
    } finally {
      await server.close();
    }
  });

  it.each([['SIGINT', 130], ['SIGTERM', 143]] as const)('%s mid-verification stops cleanly; the resume equals the uninterrupted run', async (signal, code) => {
    const server = await startOpenAiServer({ respond: scenarioResponder() });
    try {
      const work = await mkdtemp(path.join(tmpdir(), 'kforge-int-'));
      const runDir = path.join(work, 'runs/int');
      const build = runKforge(scenarioArgs({ serverUrl: server.url, work, runId: 'int' }));
      // A worker of this build is verifying a candidate: the moment a stop must handle.
      const verifying = await pollUntil(async () => (await leftOfBuild(build.pid!, LOCK_DIR)).some((l) => l.includes('kforge_harness.worker')), 240_000, 100);
      expect(verifying, 'a worker started').toBe(true);
      // process.kill, not execa's kill(): that one sends SIGKILL too when the stop takes over 5 s.
      process.kill(build.pid!, signal);
      const stopped = await build;
      expect(stopped.exitCode, stopped.all).toBe(code);
      expect(stopped.all).toContain(`continue with kforge build --resume ${runDir}`);
      const manifest = JSON.parse(await readFile(path.join(runDir, 'manifest.json'), 'utf8')) as { status: string };
      expect(manifest.status).toBe('interrupted');
      expect(existsSync(path.join(runDir, 'build.lock')), 'the run lock is released').toBe(false);
      await expectNothingLeft(build.pid!);

      const resumed = await runKforge(['build', '--resume', runDir, '--progress', 'silent']);
      expect(resumed.exitCode, resumed.all).toBe(0);
      const { ids, rows } = await recordIds(runDir);
      expect(rows).toBe(ids.length);
      expect(ids).toEqual(reference);
    } finally {
      await server.close();
    }
  });
});
