/** `kforge filter`: stream the matching records of many inputs into one Parquet file. */
import { join } from 'node:path';
import { writeRecordStreamParquet, DEFAULT_ROW_GROUP_SIZE } from './parquet-writer.ts';
import type { RecordFilter } from './record-filter.ts';
import { filterRecords, newCounters, rechunk, type SelectCounters } from './select-rows.ts';

/** A path ending in .parquet is the file; anything else is a folder that gets records/part-00000.parquet. */
export function filterOutputPath(out: string): string {
  return out.endsWith('.parquet') ? out : join(out, 'records', 'part-00000.parquet');
}

export async function runFilter(paths: readonly string[], filter: RecordFilter, out: string): Promise<SelectCounters & { outputPath: string }> {
  const counters = newCounters();
  const outputPath = filterOutputPath(out);
  await writeRecordStreamParquet(rechunk(filterRecords(paths, filter, counters), DEFAULT_ROW_GROUP_SIZE), outputPath);
  return { ...counters, outputPath };
}
