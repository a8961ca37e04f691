import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { duckQuery, sqlStr } from '../support/duckdb.ts';
import { makeRecord } from '../support/records.ts';
import { writeRecordsParquet } from '../../datasets/parquet-writer.ts';
import { readRecordsParquet } from '../../datasets/parquet-reader.ts';
import { fixtureRecords, writeRun } from './fixture.ts';
import { kforge } from './cli.ts';

describe('kforge filter', () => {
  let dir: string;
  let runA: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kforge-filter-'));
    runA = await writeRun(join(dir, 'runs', 'a'), fixtureRecords('run-a'));
    // A second run: the cross-run tests read both folders under runs/.
    await writeRun(join(dir, 'runs', 'b'), fixtureRecords('run-b').map((r) => ({ ...r, record_id: `b-${r.record_id}` })));
  });

  const ids = async (file: string): Promise<string[]> =>
    (await duckQuery(`SELECT record_id FROM read_parquet(${sqlStr(file)}) ORDER BY record_id`)).map((r) => String(r.record_id));

  it('keeps correct records above the speedup threshold, leaving out suspect records and weak problems', async () => {
    const out = join(dir, 'fast.parquet');
    const stdout = await kforge(['filter', runA, '--correct', '--min-speedup', '1.2', '--out', out]);
    expect(stdout).toContain('4 of 17 records kept');
    // 1/4 (weak) has 3.0 and 1.6, 1/3's 5x is suspect: all left out.
    expect(await ids(out)).toEqual(['1-1-1', '1-1-2', '2-1-0', '2-1-2']);
  });

  it('selects by level, problem, round and provider across two runs', async () => {
    const out = join(dir, 'sel');
    await kforge(['filter', join(dir, 'runs'), '--level', '2', '--round', '2', '--provider', 'openai', '--out', out]);
    expect(await ids(join(out, 'records', 'part-00000.parquet'))).toEqual(['2-1-2', '2-2-1', 'b-2-1-2', 'b-2-2-1']);
    const byProblem = join(dir, 'by-problem.parquet');
    await kforge(['filter', runA, '--problem', '1/2', '--correct', '--out', byProblem]);
    expect(await ids(byProblem)).toEqual(['1-2-1', '1-2-2']);
  });

  it('includes suspect records and weak problems only when asked', async () => {
    const out = join(dir, 'all.parquet');
    await kforge(['filter', runA, '--min-speedup', '2', '--include-suspect', '--include-weak', '--out', out]);
    expect(await ids(out)).toEqual(['1-1-2', '1-3-2', '1-4-0']);
    const rows = await duckQuery(`SELECT count(*) AS n, bool_or(suspect) AS s FROM read_parquet(${sqlStr(out)})`);
    expect(rows[0]).toEqual({ n: 3n, s: true });
  });

  it('keeps every column intact, kernel sources included', async () => {
    const out = join(dir, 'cols.parquet');
    await kforge(['filter', runA, '--problem', '2_Problem_1', '--out', out]);
    const [row] = await duckQuery(`SELECT count(*) AS n, min(kernel_source) AS k, min(problem_code) AS p FROM read_parquet(${sqlStr(out)})`);
    expect(row!.n).toBe(3n);
    expect(String(row!.k)).toContain('class ModelNew');
    expect(String(row!.p)).toContain('return x * 12');
  });

  it('copies picked rows column by column without changing any value (nulls, lists, unicode)', async () => {
    const input = [
      makeRecord({ record_id: 'r0', speedup: 3, problem_name: 'ünï ∑ 😀', weak_problem: null, seeds: [2 ** 40], parent_ids: ['p', 'q'], flops: null }),
      makeRecord({ record_id: 'r1', speedup: 0.5 }),
      makeRecord({ record_id: 'r2', speedup: 2, deterministic: null, inputs_unchanged: false, ref_trials_ms: [], passes_policies: [], kernel_source: 'é'.repeat(50_000), cost_usd: 0.5, tokens_in: null }),
      makeRecord({ record_id: 'r3', speedup: null, correct: false, fail_stage: 'build', compiled: false }),
      makeRecord({ record_id: 'r4', speedup: 1.7, weak_reasons: ['zeros_pass'], suspect: true, flags: ['x'] }),
    ];
    const src = join(dir, 'kinds.parquet');
    await writeRecordsParquet(input, src);
    const out = join(dir, 'kinds-out.parquet');
    await kforge(['filter', src, '--min-speedup', '1.5', '--include-suspect', '--out', out]);
    expect(await readRecordsParquet(out)).toEqual([input[0], input[2], input[4]]);
  });

  it('gives the same file with two worker threads', async () => {
    const one = join(dir, 'w1.parquet');
    const two = join(dir, 'w2.parquet');
    await kforge(['filter', join(dir, 'runs'), '--correct', '--out', one]);
    await kforge(['filter', join(dir, 'runs'), '--correct', '--workers', '2', '--out', two]);
    const q = (f: string) => duckQuery(`SELECT record_id, speedup, length(kernel_source) AS k FROM read_parquet(${sqlStr(f)})`);
    const rows = await q(two);
    expect(rows.length).toBe(18);
    expect(rows).toEqual(await q(one));
  });
});
