/** `kforge filter`: the matching records of many inputs, in input order, into one Parquet file (DuckDB). */
import { duckSettings, withDuck, type DuckSettings } from './duck.ts';
import { filterSql, type RecordFilter } from './record-filter.ts';
import { copyRecordsToParquet, createRecordsView, RECORD_COPY_MEMORY_LIMIT, RECORD_SELECT } from './record-sql.ts';
import { runLayout } from '../stages/core/run-layout.ts';

/** A path ending in .parquet is the file; anything else is a folder that gets records/part-00000.parquet. */
export function filterOutputPath(out: string): string {
  return out.endsWith('.parquet') ? out : runLayout(out).partFile(0);
}

export interface SelectCounters {
  rowsScanned: number;
  rowsSelected: number;
}

export async function runFilter(paths: readonly string[], filter: RecordFilter, out: string, settings: Partial<DuckSettings> = {}): Promise<SelectCounters & { outputPath: string }> {
  const outputPath = filterOutputPath(out);
  return withDuck(paths, async (d) => {
    await createRecordsView(d, paths);
    const [total] = await d.rows('SELECT count(*) AS n FROM records');
    const rowsSelected = await copyRecordsToParquet(d, `SELECT ${RECORD_SELECT} FROM records WHERE ${filterSql(filter)}`, outputPath);
    return { rowsScanned: Number(total!.n), rowsSelected, outputPath };
  }, duckSettings(settings, RECORD_COPY_MEMORY_LIMIT));
}
