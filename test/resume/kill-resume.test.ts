/**
 * Issue 5: kill -9 the build at many points (mid Parquet write, mid verification, between an LLM reply
 * and its use, between a part file and the manifest), resume, and get exactly the dataset of an
 * uninterrupted run, without the scripted server ever answering the same request successfully twice.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { duckQuery, sqlStr } from '../support/duckdb.ts';
import { startOpenAiServer } from '../support/openai-server.ts';
import { SCENARIO_CANDIDATES, scenarioArgs, scenarioResponder } from '../support/resume-scenario.ts';
import { runKforge } from '../support/run-kforge.ts';
import { isIdeasPrompt, lastUserMessage } from '../support/scripted-llm.ts';

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
      const killed = await runKforge(args, { env: { KFORGE_CRASH_AT: point } });
      expect(killed.signal, `expected a SIGKILL at ${point}\n${killed.all}`).toBe('SIGKILL');

      const resumed = await runKforge(['build', '--resume', path.join(work, 'runs/killed'), '--progress', 'silent']);
      expect(resumed.exitCode, resumed.all).toBe(0);
      const { ids, rows } = await recordIds(path.join(work, 'runs/killed'));
      expect(rows).toBe(ids.length); // no duplicates
      expect(ids).toEqual(reference); // no losses, nothing extra
      // No prompt was answered more often than it is asked for: an ideas prompt once, an implementation
      // prompt once per sample (the M=2 implementations of an idea share their messages). A reply the
      // client received was cached and never asked for again. (Bodies are not compared with the reference
      // run: round-2 prompts quote measured speedups, which differ from run to run.)
      const answers = new Map<string, { count: number; ideas: boolean }>();
      for (const r of server.requests.filter((q) => q.success)) {
        const entry = answers.get(r.bodyKey) ?? { count: 0, ideas: isIdeasPrompt(lastUserMessage(r.body)) };
        entry.count++;
        answers.set(r.bodyKey, entry);
      }
      for (const [body, { count, ideas }] of answers) expect(count, `request ${body} answered again`).toBeLessThanOrEqual(ideas ? 1 : 2);
      expect(referenceAnswers).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  });
});
