import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtemp, readdir, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeRecordsParquet, writeRecordStreamParquet } from '../../datasets/parquet-writer.ts';
import { iterateRecordBatches, listPartFiles, readRecordsParquet } from '../../datasets/parquet-reader.ts';
import { COLUMN_NAMES, COLUMNS, type KernelRecord } from '../../datasets/schema.ts';
import { makeRecord } from '../support/records.ts';
import { duckQuery, sqlStr } from '../support/duckdb.ts';

const big = 'x'.repeat(200_000) + 'é';
const records: KernelRecord[] = [
  makeRecord({ problem_name: 'ünïcødé ∑ 😀', weak_problem: true, weak_reasons: ['zeros_pass', 'input_insensitive'], seeds: [2 ** 40, 7] }),
  makeRecord({ weak_problem: null, inputs_unchanged: false, flops: null, speedup: null, kernel_source: big, seeds: [], ref_trials_ms: [], fail_stage: 'correctness', fail_message: 'max error 3e-2', correct: false, tokens_in: null, cost_usd: 0.0125 }),
  makeRecord({ weak_problem: false, deterministic: null, parent_ids: ['a', 'b'], input_dtypes: [], dataset_version: '2025-01-02', round: 3, level: 2 }),
];

const duckTypes: Record<string, string> = {
  utf8: 'VARCHAR', int32: 'INTEGER', int64: 'BIGINT', float64: 'DOUBLE', bool: 'BOOLEAN',
  'list<utf8>': 'VARCHAR[]', 'list<float64>': 'DOUBLE[]', 'list<int64>': 'BIGINT[]',
};

describe('record Parquet files', () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kforge-parquet-'));
    file = join(dir, 'records', 'part-00000.parquet');
    await writeRecordsParquet(records, file);
  });

  it('leaves only the final file behind (no temporary file)', async () => {
    expect(await readdir(join(dir, 'records'))).toEqual(['part-00000.parquet']);
  });

  it('round-trips every column through our reader', async () => {
    expect(await readRecordsParquet(file)).toEqual(records);
  });

  it('is read by DuckDB with the schema column types, values and nulls', async () => {
    const cols = await duckQuery(`DESCRIBE SELECT * FROM read_parquet(${sqlStr(file)})`);
    expect(cols.map((c) => c.column_name)).toEqual(COLUMN_NAMES);
    for (const c of cols) expect([c.column_name, c.column_type]).toEqual([c.column_name, duckTypes[COLUMNS[c.column_name as keyof KernelRecord].kind]]);

    const rows = await duckQuery(`SELECT problem_name, weak_problem, weak_reasons, seeds, length(kernel_source) AS klen, speedup, fail_stage, cost_usd, tokens_in, parent_ids, input_dtypes FROM read_parquet(${sqlStr(file)})`);
    expect(rows[0]).toMatchObject({ problem_name: 'ünïcødé ∑ 😀', weak_problem: true, weak_reasons: ['zeros_pass', 'input_insensitive'], seeds: [2n ** 40n, 7n], speedup: 2, fail_stage: null });
    expect(rows[1]).toMatchObject({ weak_problem: null, klen: BigInt(big.length), speedup: null, seeds: [], fail_stage: 'correctness', cost_usd: 0.0125, tokens_in: null });
    expect(rows[2]).toMatchObject({ weak_problem: false, parent_ids: ['a', 'b'], input_dtypes: [] });
  });

  it('is zstd-compressed and marks non-nullable columns REQUIRED', async () => {
    const meta = await duckQuery(`SELECT DISTINCT compression FROM parquet_metadata(${sqlStr(file)})`);
    expect(meta.map((m) => m.compression)).toEqual(['ZSTD']);
    const schema = await duckQuery(`SELECT name, repetition_type FROM parquet_schema(${sqlStr(file)}) WHERE name IN ('record_id', 'speedup')`);
    expect(Object.fromEntries(schema.map((s) => [s.name, s.repetition_type]))).toEqual({ record_id: 'REQUIRED', speedup: 'OPTIONAL' });
  });

  it('streams many chunks into one file of several row groups, read back group by group', async () => {
    const many = Array.from({ length: 250 }, (_, i) => makeRecord({ problem_id: i, speedup: i / 100 }));
    async function* chunks() {
      for (let i = 0; i < many.length; i += 100) yield many.slice(i, i + 100);
    }
    const path = join(dir, 'stream.parquet');
    expect(await writeRecordStreamParquet(chunks(), path, { rowGroupSize: 64 })).toBe(250);
    const groups: number[] = [];
    const ids: number[] = [];
    for await (const b of iterateRecordBatches([path], { columns: ['problem_id'] })) {
      groups.push(b.records.length);
      ids.push(...b.records.map((r) => r.problem_id!));
      expect(Object.keys(b.records[0]!)).toEqual(['problem_id']);
    }
    expect(groups.length).toBeGreaterThan(3);
    expect(Math.max(...groups)).toBeLessThanOrEqual(64);
    expect(ids).toEqual(many.map((r) => r.problem_id));
    const [count] = await duckQuery(`SELECT count(*) AS n, sum(speedup) AS s FROM read_parquet(${sqlStr(path)})`);
    expect(count).toEqual({ n: 250n, s: expect.closeTo(many.reduce((a, r) => a + r.speedup!, 0), 6) });
  });

  it('writes an empty file that still has the schema', async () => {
    const path = join(dir, 'empty.parquet');
    await writeRecordsParquet([], path);
    expect(await readRecordsParquet(path)).toEqual([]);
    const [row] = await duckQuery(`SELECT count(*) AS n FROM read_parquet(${sqlStr(path)})`);
    expect(row!.n).toBe(0n);
  });

  it('lists part files of run folders and ignores temporary files', async () => {
    const runs = join(dir, 'runs');
    await mkdir(join(runs, 'r1', 'records'), { recursive: true });
    await mkdir(join(runs, 'r2', 'records'), { recursive: true });
    await writeRecordsParquet(records.slice(0, 1), join(runs, 'r1', 'records', 'part-00001.parquet'));
    await writeRecordsParquet(records.slice(1), join(runs, 'r2', 'records', 'part-00000.parquet'));
    await writeFile(join(runs, 'r2', 'records', 'part-00001.parquet.tmp-123'), 'half');
    expect(await listPartFiles(join(runs, 'r2'))).toEqual([join(runs, 'r2', 'records', 'part-00000.parquet')]);
    const all = await listPartFiles(runs);
    expect(all).toHaveLength(2);
    expect((await readRecordsParquet(all)).map((r) => r.record_id)).toEqual(records.map((r) => r.record_id));
  });
});
