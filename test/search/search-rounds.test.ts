/**
 * Issue 4's search acceptance: three rounds against the scripted OpenAI-compatible server, verified
 * for real by the harness. Round-2 prompts must carry round-1 outcomes, implementations must start
 * from the best kernel, lineage must link children to parents, and the trajectory must be stored.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFromConfig, type BuildReport } from '../../pipeline/build/build-from-config.ts';
import { loadRunConfig } from '../../pipeline/config/load.ts';
import { listPartFiles } from '../../datasets/part-files.ts';
import { createProgress } from '../../pipeline/progress.ts';
import { fallbackDedupKeys, storedDedupKeys } from '../support/dedup-keys.ts';
import { duckQuery, sqlStr } from '../support/duckdb.ts';
import { startOpenAiServer, type OpenAiServer } from '../support/openai-server.ts';
import { fastRelu, slowRelu, wrongRelu } from '../support/python-kernels.ts';
import { isIdeasPrompt, lastUserMessage, scriptedKernelResponder } from '../support/scripted-llm.ts';

/** Which round a prompt belongs to: the history lists one line per earlier idea, two ideas a round. */
function roundOf(prompt: string): number {
  return (prompt.match(/^- round \d+ /gm)?.length ?? 0) / 2 + 1;
}

describe('the search loop over three rounds', () => {
  let server: OpenAiServer;
  let work: string;
  let report: BuildReport;

  beforeAll(async () => {
    server = await startOpenAiServer({
      respond: scriptedKernelResponder((prompt) => {
        const r = roundOf(prompt);
        return [
          // Each round's fast kernel is a new text (its tag), so every round can improve.
          { marker: `R${r}-FAST`, text: `vectorise round ${r}`, category: 'memory_access', kernel: () => fastRelu(`R${r}-FAST`) },
          { marker: `R${r}-${r === 1 ? 'WRONG' : 'SLOW'}`, text: `row loop round ${r}`, category: 'control_flow_loops', kernel: () => (r === 1 ? wrongRelu('R1-WRONG') : slowRelu(`R${r}-SLOW`)) },
        ];
      }),
    });
    work = await mkdtemp(path.join(tmpdir(), 'kforge-search-'));
    const config = await loadRunConfig({
      env: {},
      overrides: {
        'problems.name': '^1001_ReLU$',
        'provider.base_url': server.url,
        'provider.model': 'scripted',
        'provider.temperature': 0,
        'search.rounds': 3,
        'search.ideas_per_round': 2,
        'search.impls_per_idea': 1,
        'search.beam': 1,
        'verify.repeats': 5,
        'verify.trials': 2,
        'cache.dir': path.join(work, 'cache'),
        'run.out': path.join(work, 'runs'),
      },
    });
    report = await buildFromConfig({ config, runDir: path.join(work, 'runs/search'), runId: 'search', progress: createProgress('silent') });
  }, 600_000);

  afterAll(() => server?.close());

  const prompts = () => server.requests.map((r) => lastUserMessage(r.body));

  it('conditions round-2 ideas on round-1 outcomes', () => {
    const ideaPrompts = prompts().filter(isIdeasPrompt);
    expect(ideaPrompts).toHaveLength(3);
    expect(ideaPrompts[0]).toContain('No ideas have been tried');
    expect(ideaPrompts[1]).toMatch(/round 1 \[memory_access\] R1-FAST: vectorise round 1 -> 1\/1 correct, best speedup \d/);
    expect(ideaPrompts[1]).toMatch(/round 1 \[control_flow_loops\] R1-WRONG: .* -> 0\/1 correct, no correct implementation; most common failure: correctness/);
    expect(ideaPrompts[2]).toContain('round 2 [memory_access] R2-FAST');
  });

  it('starts round-2 implementations from the best round-1 kernel', () => {
    const implPrompts = prompts().filter((p) => !isIdeasPrompt(p));
    const round1 = implPrompts.filter((p) => /R1-(FAST|WRONG):/.test(p));
    const round2 = implPrompts.filter((p) => /R2-(FAST|SLOW):/.test(p));
    expect(round1.every((p) => p.includes('start from scratch'))).toBe(true);
    expect(round2).toHaveLength(2);
    for (const p of round2) expect(p).toContain('# kernel R1-FAST');
  });

  it('links children to parents in the lineage columns', async () => {
    const glob = sqlStr(path.join(work, 'runs/search/records/*.parquet'));
    const rows = await duckQuery(`select round, idea_text, kernel_id, parent_ids, seed_source, correct, impl_index from read_parquet(${glob}) order by round, idea_text`);
    expect(rows).toHaveLength(6);
    const r1Fast = rows.find((r) => String(r.idea_text).startsWith('R1-FAST'))!;
    for (const r of rows.filter((r) => r.round === 1)) expect(r).toMatchObject({ seed_source: 'none', parent_ids: [] });
    for (const r of rows.filter((r) => r.round === 2)) expect(r).toMatchObject({ seed_source: 'search', parent_ids: [r1Fast.kernel_id] });
    const r3 = rows.filter((r) => r.round === 3);
    expect(r3.every((r) => (r.parent_ids as string[]).length === 1 && r.seed_source === 'search')).toBe(true);
  });

  it('stores in each record the dedup key the export would compute from its kernel source', async () => {
    const parts = await listPartFiles(path.join(work, 'runs/search'));
    const stored = await storedDedupKeys(parts);
    expect(stored.size).toBe(6);
    expect([...stored.values()].every((k) => typeof k === 'string' && k.length === 28)).toBe(true);
    expect(stored).toEqual(await fallbackDedupKeys(parts, work));
  });

  it('stores the trajectory and the search settings in the manifest', () => {
    const [problem] = report.manifest.problems;
    expect(problem!.trajectory).toHaveLength(3);
    expect(problem!.trajectory.every((s) => typeof s === 'number' && s > 0)).toBe(true);
    // Best so far never gets worse.
    const t = problem!.trajectory as number[];
    expect(t[1]!).toBeGreaterThanOrEqual(t[0]!);
    expect(report.manifest.search).toEqual({ rounds: 3, ideas_per_round: 2, impls_per_idea: 1, beam: 1 });
    expect(report.manifest.versions.prompt_version).toMatch(/^llm-prompts-v\d+/);
  });

  it('seeds a new run from the bank when it has no correct kernel of its own', async () => {
    const config = await loadRunConfig({
      env: {},
      overrides: {
        'problems.name': '^1001_ReLU$',
        'provider.base_url': server.url,
        'provider.model': 'scripted',
        'search.rounds': 1,
        'search.ideas_per_round': 2,
        'search.bank': [path.join(work, 'runs/search')],
        'verify.repeats': 5,
        'verify.trials': 2,
        'cache.dir': path.join(work, 'cache'),
      },
    });
    const before = server.requests.length;
    await buildFromConfig({ config, runDir: path.join(work, 'runs/banked'), runId: 'banked', progress: createProgress('silent') });
    const implPrompts = server.requests.slice(before).map((r) => lastUserMessage(r.body)).filter((p) => !isIdeasPrompt(p));
    expect(implPrompts.length).toBeGreaterThan(0);
    for (const p of implPrompts) expect(p).toContain('from the bank of known-good kernels');
    const rows = await duckQuery(`select distinct seed_source from read_parquet(${sqlStr(path.join(work, 'runs/banked/records/*.parquet'))})`);
    expect(rows).toEqual([{ seed_source: 'bank' }]);
  });
});
