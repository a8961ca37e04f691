/**
 * Issue 5: a budget stop followed by a resume with a higher budget gives the dataset of one run with
 * the higher budget (and counts no token twice); a server failing 20% of requests in every way the
 * client knows lets the run finish with each failure accounted for.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../pipeline/run/manifest.ts';
import { duckQuery, sqlStr } from '../support/duckdb.ts';
import { faultInjector, startOpenAiServer } from '../support/openai-server.ts';
import { SCENARIO_CANDIDATES, scenarioArgs, scenarioResponder } from '../support/resume-scenario.ts';
import { runKforge } from '../support/run-kforge.ts';

const ids = async (runDir: string) =>
  (await duckQuery(`select record_id from read_parquet(${sqlStr(path.join(runDir, 'records/*.parquet'))}) order by 1`)).map((r) => String(r.record_id));
const readJson = async <T>(file: string): Promise<T> => JSON.parse(await readFile(file, 'utf8')) as T;

describe('budgets', () => {
  it('stops cleanly at the limit, and a resume with a higher budget equals one run with it', async () => {
    const server = await startOpenAiServer({ respond: scenarioResponder() });
    try {
      const work = await mkdtemp(path.join(tmpdir(), 'kforge-budget-'));
      const successes = () => server.requests.filter((r) => r.success).length;
      const full = await runKforge(scenarioArgs({ serverUrl: server.url, work, runId: 'full', extra: ['--max-tokens', '1000000', '--set', `cache.dir=${path.join(work, 'cache-full')}`] }));
      expect(full.exitCode, full.all).toBe(0);
      const fullAnswers = successes();

      const stopped = await runKforge(scenarioArgs({ serverUrl: server.url, work, runId: 'budget', extra: ['--max-tokens', '2500'] }));
      expect(stopped.exitCode, stopped.all).toBe(3);
      expect(stopped.stdout).toMatch(/stopped: .*token/i);
      expect(stopped.stdout).toContain('kforge build --resume');
      const partial = await readJson<Manifest>(path.join(work, 'runs/budget/manifest.json'));
      expect(partial.status).toBe('stopped');
      expect(partial.counts.records).toBeLessThan(SCENARIO_CANDIDATES);

      const resumed = await runKforge(['build', '--resume', path.join(work, 'runs/budget'), '--max-tokens', '1000000', '--progress', 'silent']);
      expect(resumed.exitCode, resumed.all).toBe(0);
      expect(await ids(path.join(work, 'runs/budget'))).toEqual(await ids(path.join(work, 'runs/full')));

      // Nothing paid twice: the stopped-and-resumed run needed as many answers as the single run.
      expect(successes() - fullAnswers).toBe(fullAnswers);
      // The token count survived the resume (persisted, not restarted from zero).
      const budget = await readJson<{ tokensIn: number; tokensOut: number }>(path.join(work, 'runs/budget/budget.json'));
      expect(budget.tokensIn + budget.tokensOut).toBeGreaterThan(2500);
    } finally {
      await server.close();
    }
  });
});

describe('LLM faults', () => {
  it('finishes a run against a server failing 20% of requests and accounts for every failure', async () => {
    const server = await startOpenAiServer({ respond: faultInjector({ rate: 0.2, seed: 7, respond: scenarioResponder() }), oversizedChars: 500_000 });
    try {
      const work = await mkdtemp(path.join(tmpdir(), 'kforge-faults-'));
      const run = await runKforge(
        scenarioArgs({ serverUrl: server.url, work, runId: 'faults', extra: ['--set', 'provider.timeout_s=3', '--set', 'provider.max_retries=6'] }),
      );
      expect(run.exitCode, run.all).toBe(0);
      const manifest = await readJson<Manifest>(path.join(work, 'runs/faults/manifest.json'));
      expect(manifest.status).toBe('complete');
      const llm = manifest.llm as { retried: number; failed: number; retriedByReason: Record<string, number>; failedByReason: Record<string, number> };
      const serverFailures = server.requests.filter((r) => !r.success).length;
      expect(serverFailures).toBeGreaterThan(0);
      // Every failed attempt was either retried or is a failed generation: nothing vanished.
      expect(llm.retried + llm.failed).toBe(serverFailures);
      // A failed implementation is a 'generate' record; a failed idea request is in the manifest.
      const failures = Object.entries((manifest.llm as { generation_failures: Record<string, number> }).generation_failures);
      const sum = (prefix: string) => failures.filter(([k]) => k.startsWith(prefix)).reduce((n, [, v]) => n + v, 0);
      const [generate] = await duckQuery(`select count(*)::int as n from read_parquet(${sqlStr(path.join(work, 'runs/faults/records/*.parquet'))}) where fail_stage = 'generate'`);
      expect(Number(generate!.n)).toBe(sum('implement:'));
      expect(sum('implement:') + sum('ideas:')).toBeGreaterThanOrEqual(llm.failed);
    } finally {
      await server.close();
    }
  });
});
