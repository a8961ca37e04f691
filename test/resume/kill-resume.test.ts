/**
 * Issue 5: kill -9 the build at many points (mid Parquet write, mid verification, between an LLM reply
 * and its use, between a part file and the manifest), resume, and get exactly the dataset of an
 * uninterrupted run, without the scripted server ever answering the same request successfully twice.
 */
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { duckQuery, sqlStr } from '../support/duckdb.ts';
import { startOpenAiServer } from '../support/openai-server.ts';
import { SCENARIO_CANDIDATES, scenarioArgs, scenarioResponder } from '../support/resume-scenario.ts';
import { runKforge } from '../support/run-kforge.ts';

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
      const killed = await runKforge(args, { env: { KFORGE_CRASH_AT: point } });
      const answered = { atKill: successes(), afterResume: 0 };
      const received = await countFiles(path.join(work, 'cache/llm'));
      expect(killed.signal, `expected a SIGKILL at ${point}\n${killed.all}`).toBe('SIGKILL');

      const resumed = await runKforge(['build', '--resume', path.join(work, 'runs/killed'), '--progress', 'silent']);
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
});
