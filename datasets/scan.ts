/** Streaming passes over the small columns only (no kernel sources): stats, best-per-problem picks. */
import { iterateRecordBatches } from './parquet-reader.ts';
import { compileFilter, filterColumnsFor, type FilterView, type RecordFilter } from './record-filter.ts';
import type { KernelRecord } from './schema.ts';
import { StatsAccumulator, STATS_COLUMNS, type DatasetStats, type StatsRow } from './stats.ts';

/** Rows of the given columns that pass the filter, one row group at a time. */
export async function* scanRows<T>(paths: readonly string[], columns: readonly (keyof KernelRecord)[], filter: RecordFilter): AsyncGenerator<T[]> {
  const keep = compileFilter(filter);
  const cols = [...new Set<keyof KernelRecord>([...columns, ...filterColumnsFor(filter)])];
  for await (const batch of iterateRecordBatches(paths, { columns: cols })) {
    yield batch.records.filter((r) => keep(r as FilterView)) as T[];
  }
}

/** Stats over part files. Stats describe a run, failures included: the filter defaults to everything. */
export async function statsOfFiles(paths: readonly string[], filter: RecordFilter = ALL_RECORDS): Promise<DatasetStats> {
  const acc = new StatsAccumulator();
  for await (const rows of scanRows<StatsRow>(paths, STATS_COLUMNS, filter)) acc.add(rows);
  return acc.finish();
}

/** A filter that keeps every record, suspect and weak ones included. */
export const ALL_RECORDS: RecordFilter = { includeSuspect: true, includeWeak: true };
