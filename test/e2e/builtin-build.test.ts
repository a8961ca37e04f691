/**
 * Issue 4: the README's main command, `kforge build` with no endpoint configured, uses the builtin
 * provider and yields a correct kernel for every builtin problem on the cpu backend. DuckDB reads the result.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readProblemSource } from '../../kernelbench/sources/index.ts';
import { duckQuery, sqlStr } from '../support/duckdb.ts';
import { runKforge } from '../support/run-kforge.ts';

describe('kforge build with no LLM (builtin provider, cpu backend)', () => {
  let work: string;
  let run: Awaited<ReturnType<typeof runKforge>>;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'kforge-builtin-'));
    // No --provider and no endpoint: the default must be the builtin provider.
    run = await runKforge(
      ['build', '--ideas', '1', '--out', path.join(work, 'runs'), '--run-id', 'builtin', '--progress', 'lines', '--set', `cache.dir=${path.join(work, 'cache')}`, '--set', 'verify.repeats=5'],
      { env: { KFORGE_BASE_URL: '', OPENAI_API_KEY: '' } },
    );
  }, 1_200_000);

  it('finishes, on the builtin provider', () => {
    expect(run.exitCode, run.all).toBe(0);
    expect(run.stderr).toContain('provider builtin');
  });

  it('has a correct, unflagged kernel for every builtin problem', async () => {
    const problems = await readProblemSource('builtin');
    const rows = await duckQuery(
      `select problem_name, bool_or(correct and not suspect) as ok, max(speedup) as best, any_value(provider) as provider
       from read_parquet(${sqlStr(path.join(work, 'runs/builtin/records/*.parquet'))}) group by problem_name order by 1`,
    );
    expect(rows.map((r) => r.problem_name)).toEqual(problems.map((p) => p.name).sort());
    for (const row of rows) {
      expect(row, String(row.problem_name)).toMatchObject({ ok: true, provider: 'builtin' });
      expect(Number(row.best)).toBeGreaterThan(0);
    }
  });
});
