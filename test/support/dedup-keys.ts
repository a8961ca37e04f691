/**
 * The dedup keys an export computes for records written before `kernel_dedup_key` existed (the
 * fallback of datasets/dedup-keys.ts), to compare with the keys builds store. The "old" file is the
 * same rows without the column, written by DuckDB.
 */
import { join } from 'node:path';
import { fillDedupKeys, STORED_DEDUP_KEY } from '../../datasets/dedup-keys.ts';
import { withDuck } from '../../datasets/duck.ts';
import { createRecordsView } from '../../datasets/record-sql.ts';
import { duckQuery, sqlStr } from './duckdb.ts';

/** Copy the rows of `from` (part files) to `to` without kernel_dedup_key, as a schema-1 file has them. */
export async function writeWithoutStoredKey(from: readonly string[], to: string): Promise<void> {
  const src = `read_parquet([${from.map(sqlStr).join(', ')}])`;
  await duckQuery(`COPY (SELECT * EXCLUDE (kernel_dedup_key) FROM ${src}) TO ${sqlStr(to)} (FORMAT parquet)`);
}

let copies = 0;

/** record_id -> the key the export computes from kernel_source for the records of `files`. */
export async function fallbackDedupKeys(files: readonly string[], scratch: string): Promise<Map<string, string>> {
  const old = join(scratch, `without-dedup-key-${++copies}.parquet`);
  await writeWithoutStoredKey(files, old);
  return withDuck([old], async (d) => {
    await createRecordsView(d, [old]);
    await d.run(`CREATE TEMP TABLE keys AS SELECT file_index, file_row_number, record_id, ${STORED_DEDUP_KEY} FROM records`);
    await fillDedupKeys(d, [old], 'keys');
    return new Map((await d.rows('SELECT record_id, dedup_key FROM keys')).map((r) => [String(r.record_id), String(r.dedup_key)]));
  });
}

/** record_id -> kernel_dedup_key as stored in `files`, read by DuckDB (null where absent). */
export async function storedDedupKeys(files: readonly string[]): Promise<Map<string, string | null>> {
  const rows = await duckQuery(`SELECT record_id, kernel_dedup_key FROM read_parquet([${files.map(sqlStr).join(', ')}])`);
  return new Map(rows.map((r) => [String(r.record_id), r.kernel_dedup_key === null ? null : String(r.kernel_dedup_key)]));
}
