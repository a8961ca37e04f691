/**
 * The stored dedup key (`kernel_dedup_key`, schema version 2): a record built for `kforge build` or
 * `kforge verify` carries the key the export computed from the source before the column existed; an
 * export over part files with and without it gives the bytes it gives over files without it; and a
 * stored key is what the export dedups on (a deliberately different one decides), never recomputed.
 */
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { kernelDedupKey } from '../../datasets/kernel-dedup.ts';
import { writeRecordsParquet } from '../../datasets/parquet-writer.ts';
import { RECORD_SCHEMA_VERSION, type KernelRecord } from '../../datasets/schema.ts';
import type { Problem } from '../../kernelbench/problem.ts';
import { importOutcome, loadFailureRecord, type ImportContext } from '../../pipeline/imports/import-record.ts';
import { buildRecord } from '../../stages/records.ts';
import { fallbackDedupKeys, storedDedupKeys, writeWithoutStoredKey } from '../support/dedup-keys.ts';
import { duckQuery, sqlStr } from '../support/duckdb.ts';
import { makeRecord } from '../support/records.ts';
import { kforge } from './cli.ts';
import { fixtureRecords, kernelFor } from './fixture.ts';

const readJsonl = async (path: string): Promise<{ record_id: string }[]> =>
  (await readFile(path, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { record_id: string });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kforge-dedup-key-'));
});

describe('the dedup key a record stores', () => {
  it('is the key the export computes from the source, for built and imported records (DuckDB reads it back)', async () => {
    const problem: Problem = { key: 'k', source: 'builtin', file: null, level: 1, problemId: 1, name: 'p', code: 'x' };
    const ctx: ImportContext = { runId: 'r', backend: 'cpu', tolerancePolicy: 'default', precision: 'fp32', model: 'm', verifierVersion: '1', sourceLabel: 'builtin' };
    const sources = [
      kernelFor(1, 1, 0),
      'x = "# not a comment"  # a comment\n#include <torch/extension.h>\n/* block */ y = a // 2\r\n\tz = \'\\\'#\'\n',
      'ünïcødé = "∑ 😀"  # ✓\n\u00a0\u2003trailing unicode space\u3000\n',
      '/* never closed',
      '',
    ];
    const records: KernelRecord[] = sources.map((kernel, sample) => buildRecord(importOutcome(problem, { origin: `t:${sample}`, ref: null, kernel, model: null, sample, metadata: {}, failure: null }, ctx)));
    records.push(loadFailureRecord({ origin: 't:9', ref: null, kernel: '  \n', model: null, sample: 9, metadata: {}, failure: null }, problem, 'empty kernel', ctx));
    const file = join(dir, 'built.parquet');
    await writeRecordsParquet(records, file);

    const stored = await storedDedupKeys([file]);
    const computed = await fallbackDedupKeys([file], dir);
    expect(stored.size).toBe(records.length);
    for (const r of records) {
      expect(stored.get(r.record_id), r.kernel_source).toBe(computed.get(r.record_id));
      expect(stored.get(r.record_id)).toBe(kernelDedupKey(r.kernel_source));
    }
    const [meta] = await duckQuery(`SELECT decode(value) AS v FROM parquet_kv_metadata(${sqlStr(file)}) WHERE decode(key) = 'kforge.schema_version'`);
    expect(meta!.v).toBe(RECORD_SCHEMA_VERSION);
  });
});

describe('kforge export over part files with and without the stored key', () => {
  let newParts: string[];
  let oldParts: string[];
  beforeAll(async () => {
    const records = fixtureRecords('run-a');
    const original = records.find((r) => r.record_id === '1-1-1')!;
    // A duplicate (up to comments and whitespace) in the other part file than its original: the dedup crosses old and new files.
    const source = '# a comment\n' + original.kernel_source.replace(/\n/g, '  \n\n');
    const dup = { ...original, record_id: 'zz-dup', kernel_id: 'kid-dup', kernel_source: source, kernel_dedup_key: kernelDedupKey(source) };
    const half = Math.ceil((records.length + 1) / 2);
    const all = [...records, dup];
    expect(all.indexOf(original)).toBeLessThan(half);
    newParts = [join(dir, 'new', 'part-00000.parquet'), join(dir, 'new', 'part-00001.parquet')];
    oldParts = [join(dir, 'old-part-00000.parquet'), join(dir, 'old-part-00001.parquet')];
    await writeRecordsParquet(all.slice(0, half), newParts[0]!);
    await writeRecordsParquet(all.slice(half), newParts[1]!);
    for (const [i, p] of newParts.entries()) await writeWithoutStoredKey([p], oldParts[i]!);
    expect(await storedDedupKeys([oldParts[0]!]).catch((e: Error) => e.message)).toMatch(/kernel_dedup_key/); // no such column
    expect([...(await storedDedupKeys(newParts)).values()].every((k) => typeof k === 'string')).toBe(true);
  });

  const exportOf = async (inputs: string[], format: string, name: string): Promise<Record<string, string>> => {
    const out = join(dir, name);
    await kforge(['export', ...inputs, '--format', format, '--min-speedup', '1.0', '--validation-fraction', '0.5', '--out', out]);
    const files: Record<string, string> = {};
    for (const f of (await readdir(out)).filter((f) => f.endsWith('.jsonl')).sort()) files[f] = await readFile(join(out, f), 'utf8');
    files.counts = JSON.stringify(JSON.parse(await readFile(join(out, 'export.json'), 'utf8')).counts);
    return files;
  };

  it.each(['chat', 'idea', 'dpo'])('%s: the same bytes and counts as over the files without it', async (format) => {
    const old = await exportOf(oldParts, format, `${format}-old`);
    expect(Object.keys(old).length).toBeGreaterThan(2);
    if (format !== 'dpo') expect(JSON.parse(old.counts!)).toMatchObject({ duplicates: 1 });
    expect(await exportOf([oldParts[0]!, newParts[1]!], format, `${format}-old-new`)).toEqual(old);
    expect(await exportOf([newParts[0]!, oldParts[1]!], format, `${format}-new-old`)).toEqual(old);
    expect(await exportOf(newParts, format, `${format}-new`)).toEqual(old);
  });
});

describe('a stored dedup key', () => {
  const forced = 'a deliberately different key';
  let ours: string;
  let mixed: string;
  beforeAll(async () => {
    const k = (i: number) => kernelFor(1, 1, i);
    // Our writer: a and b differ in source but store the same key.
    ours = join(dir, 'forced', 'part-00000.parquet');
    await writeRecordsParquet([makeRecord({ record_id: 'a', kernel_source: k(1), kernel_dedup_key: forced }), makeRecord({ record_id: 'b', kernel_source: k(2), kernel_dedup_key: forced })], ours);
    // A DuckDB-written file that has to be read for c's key (null: no stored key): e and f still dedup on what they store.
    const seed = join(dir, 'forced-seed.parquet');
    await writeRecordsParquet([
      makeRecord({ record_id: 'c', kernel_source: `# c\n${k(3)}` }),
      makeRecord({ record_id: 'd', kernel_source: k(3) }),
      makeRecord({ record_id: 'e', kernel_source: k(4), kernel_dedup_key: `${forced} 2` }),
      makeRecord({ record_id: 'f', kernel_source: k(5), kernel_dedup_key: `${forced} 2` }),
      makeRecord({ record_id: 'g', kernel_source: k(6) }),
    ], seed);
    mixed = join(dir, 'forced', 'part-00001.parquet');
    await duckQuery(`COPY (SELECT * REPLACE (CASE WHEN record_id = 'c' THEN NULL ELSE kernel_dedup_key END AS kernel_dedup_key) FROM read_parquet(${sqlStr(seed)})) TO ${sqlStr(mixed)} (FORMAT parquet)`);
    expect((await storedDedupKeys([mixed])).get('c')).toBeNull();
  });

  it('decides the dedup where it is present; a null one is computed from the source', async () => {
    const out = join(dir, 'forced-chat');
    await kforge(['export', ours, mixed, '--format', 'chat', '--validation-fraction', '0', '--out', out]);
    expect((await readJsonl(join(out, 'train.index.jsonl'))).map((r) => r.record_id)).toEqual(['a', 'c', 'e', 'g']);
    expect(JSON.parse(await readFile(join(out, 'export.json'), 'utf8')).counts).toMatchObject({ train: 4, duplicates: 3 });
  });

  it('is carried by kforge filter and kforge dataset merge as it is, null included', async () => {
    const filtered = join(dir, 'forced-filtered.parquet');
    await kforge(['filter', ours, mixed, '--out', filtered]);
    const want = new Map([['a', forced], ['b', forced], ['c', null], ['d', kernelDedupKey(kernelFor(1, 1, 3))], ['e', `${forced} 2`], ['f', `${forced} 2`], ['g', kernelDedupKey(kernelFor(1, 1, 6))]]);
    expect(await storedDedupKeys([filtered])).toEqual(want);
    const root = join(dir, 'datasets');
    await kforge(['dataset', 'merge', join(dir, 'forced'), '--name', 'keys', '--dataset-version', 'v1', '--root', root]);
    expect(await storedDedupKeys([join(root, 'keys', 'versions', 'v1', 'records', 'part-00000.parquet')])).toEqual(want);
  });
});
