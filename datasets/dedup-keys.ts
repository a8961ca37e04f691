/**
 * The dedup key of every row an export selected. A record written since schema version 2 carries it
 * (`kernel_dedup_key`, written by `kforge build` / `kforge verify`: stages/records.ts), so the export
 * reads 28 bytes, not 8 KB of kernel source per row. Only the part files that need it are read for
 * their sources: those with a selected row whose key is null (written before the column existed),
 * and those whose footer cannot promise that no kernel_source is null. There the key is computed as
 * before, by kforge_dedup_key (a scalar function DuckDB calls on its own chunks, over the source's
 * UTF-8 bytes: no JS string is made), and a row without source gets no key at all.
 */
import { DuckDBScalarFunction, BLOB, VARCHAR, type DuckDBBlobVector } from '@duckdb/node-api';
import { DatasetError } from './dataset-store.ts';
import { sqlList, type Duck } from './duck.ts';
import { kernelDedupKey } from './kernel-dedup.ts';
import { createRecordsView } from './record-sql.ts';

/** A selected record without kernel source (a foreign or repaired file): nothing to export or dedup on. */
export class MissingKernelSourceError extends DatasetError {}

/** The stored key, as the column to select into the table that fillDedupKeys completes. */
export const STORED_DEDUP_KEY = 'kernel_dedup_key AS dedup_key';

/**
 * Complete `table` (file_index, file_row_number, record_id, dedup_key: selected rows of the view
 * `records` over `paths`): every dedup_key set, else MissingKernelSourceError naming the first record
 * without kernel source. A stored key is never recomputed, even in a file read for the others.
 */
export async function fillDedupKeys(d: Duck, paths: readonly string[], table: string): Promise<void> {
  const files = await filesToRead(d, paths, table);
  if (files.length) {
    await createRecordsView(d, paths, { name: 'kforge_unkeyed', only: files });
    d.conn.registerScalarFunction(dedupKeyFunction());
    const computed = `SELECT file_index, file_row_number,
        CASE WHEN kernel_source IS NULL THEN NULL ELSE coalesce(kernel_dedup_key, kforge_dedup_key(encode(kernel_source))) END AS dedup_key
      FROM kforge_unkeyed SEMI JOIN ${table} USING (file_index, file_row_number)`;
    await d.run(`UPDATE ${table} AS s SET dedup_key = k.dedup_key FROM (${computed}) AS k
      WHERE s.file_index = k.file_index AND s.file_row_number = k.file_row_number`);
  }
  const [missing] = await d.rows(`SELECT record_id FROM ${table} WHERE dedup_key IS NULL ORDER BY file_index, file_row_number LIMIT 1`);
  if (missing) throw new MissingKernelSourceError(`record ${String(missing.record_id)} has no kernel_source and cannot be exported; leave it out with a filter (e.g. --correct) or repair its part file`);
}

/**
 * The part files (of those with a selected row) whose sources must be read: a selected row without a
 * stored key, or a kernel_source column whose row-group statistics do not say "no nulls" (absent, or
 * a writer that wrote no null count). Footers only: DuckDB has read them for the view already.
 */
async function filesToRead(d: Duck, paths: readonly string[], table: string): Promise<string[]> {
  const clean = `SELECT file_name FROM parquet_metadata(${sqlList(paths)}) WHERE path_in_schema = 'kernel_source'
    GROUP BY file_name HAVING coalesce(bool_and(stats_null_count = 0), false)`;
  const used = await d.rows(`SELECT file_index, bool_or(dedup_key IS NULL) AS unkeyed FROM ${table} GROUP BY file_index ORDER BY file_index`);
  const promised = new Set((await d.rows(clean)).map((r) => String(r.file_name)));
  return used.map((r) => paths[Number(r.file_index) - 1]!).filter((p, i) => used[i]!.unkeyed === true || !promised.has(p));
}

/** kforge_dedup_key(BLOB) -> VARCHAR: kernelDedupKey of the UTF-8 bytes; NULL for a NULL source. */
function dedupKeyFunction(): DuckDBScalarFunction {
  return DuckDBScalarFunction.create({
    name: 'kforge_dedup_key',
    returnType: VARCHAR,
    parameterTypes: [BLOB],
    specialHandling: true, // NULL in, NULL out, seen by us (the caller names the record)
    mainFunction: (_info, input, output) => {
      const bytes = input.getColumnVector(0) as DuckDBBlobVector;
      for (let i = 0; i < input.rowCount; i++) {
        const b = bytes.getItemBytes(i);
        output.setItem(i, b ? kernelDedupKey(b) : null);
      }
      output.flush();
    },
  });
}
