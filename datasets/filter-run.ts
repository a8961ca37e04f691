/** `kforge filter`: stream the matching records of many inputs into one Parquet file. */
import { runLayout } from '../stages/core/run-layout.ts';
import { filterIpcParallel } from './filter-parallel.ts';
import { writeArrowStreamParquet, writeIpcStreamParquet } from './parquet-writer.ts';
import type { RecordFilter } from './record-filter.ts';
import { filterArrowBatches, newCounters, type SelectCounters } from './select-rows.ts';

/** A path ending in .parquet is the file; anything else is a folder that gets records/part-00000.parquet. */
export function filterOutputPath(out: string): string {
  return out.endsWith('.parquet') ? out : runLayout(out).partFile(0);
}

export interface FilterRunOptions {
  /** Worker threads reading part files in parallel; 1 (default) reads in this thread. */
  workers?: number;
}

export async function runFilter(paths: readonly string[], filter: RecordFilter, out: string, options: FilterRunOptions = {}): Promise<SelectCounters & { outputPath: string }> {
  const counters = newCounters();
  const outputPath = filterOutputPath(out);
  if ((options.workers ?? 1) > 1 && paths.length > 1) await writeIpcStreamParquet(filterIpcParallel(paths, filter, options.workers!, counters), outputPath);
  else await writeArrowStreamParquet(filterArrowBatches(paths, filter, counters), outputPath);
  return { ...counters, outputPath };
}
