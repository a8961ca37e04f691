/**
 * Predicate push-down over record part files: per row group, read the small columns a predicate
 * needs, and only where some row matches read the remaining columns (kernel sources, prompts).
 * One row group is in memory at a time.
 */
import type * as arrow from 'apache-arrow';
import { arrowToRecords, recordsToArrowBatch } from './arrow-records.ts';
import { takeRows } from './arrow-take.ts';
import { RecordParquetFile } from './parquet-reader.ts';
import { compileFilter, filterColumnsFor, type FilterView, type RecordFilter } from './record-filter.ts';
import { COLUMN_NAMES, type KernelRecord } from './schema.ts';

export interface SelectOptions<V> {
  /** Columns the picker reads. */
  predicateColumns: readonly (keyof KernelRecord)[];
  /** Row indices (within the row group) to keep, given the predicate columns of each row. */
  pick: (rows: V[]) => number[];
  /** Columns of the rows returned (default: all). */
  columns?: readonly (keyof KernelRecord)[];
}

export interface SelectCounters {
  rowsScanned: number;
  rowsSelected: number;
  rowGroupsScanned: number;
  rowGroupsFetched: number;
}

export const newCounters = (): SelectCounters => ({ rowsScanned: 0, rowsSelected: 0, rowGroupsScanned: 0, rowGroupsFetched: 0 });

/** The row groups of one file that hold selected rows, each with the rows picked; counts as it goes. */
async function* pickedRowGroups<V>(
  file: RecordParquetFile,
  options: Omit<SelectOptions<V>, 'columns'>,
  counters: SelectCounters,
): AsyncGenerator<{ group: number; picked: number[] }> {
  for (let group = 0; group < file.numRowGroups; group++) {
    const small = await file.readRowGroup(group, options.predicateColumns as string[]);
    const picked = options.pick(arrowToRecords(small) as V[]);
    counters.rowGroupsScanned++;
    counters.rowsScanned += small.numRows;
    if (picked.length === 0) continue;
    counters.rowGroupsFetched++;
    counters.rowsSelected += picked.length;
    yield { group, picked };
  }
}

/** Stream chunks of the selected records (one chunk per row group that has any). */
export async function* selectRecords<V = Partial<KernelRecord>>(
  paths: readonly string[],
  options: SelectOptions<V>,
  counters: SelectCounters = newCounters(),
): AsyncGenerator<KernelRecord[]> {
  for (const path of paths) {
    const file = await RecordParquetFile.open(path);
    try {
      for await (const { group: g, picked } of pickedRowGroups(file, options, counters)) {
        const full = await file.readRowGroup(g, options.columns as string[] | undefined);
        yield arrowToRecords(full, picked) as KernelRecord[];
      }
    } finally {
      file.close();
    }
  }
}

/**
 * Like selectRecords but the selected rows stay Arrow: every column is copied buffer to buffer
 * (no string decoding), for passing rows from file to file.
 */
export async function* selectArrowBatches<V = Partial<KernelRecord>>(
  paths: readonly string[],
  options: Omit<SelectOptions<V>, 'columns'>,
  counters: SelectCounters = newCounters(),
): AsyncGenerator<arrow.RecordBatch> {
  for (const path of paths) {
    const file = await RecordParquetFile.open(path);
    const sameColumns = file.columnNames.join(',') === COLUMN_NAMES.join(',');
    try {
      for await (const { group: g, picked } of pickedRowGroups(file, options, counters)) {
        if (sameColumns) yield* await file.mapRowGroup(g, (view) => takeRows(view, picked));
        // An older file (fewer columns): go through records, which fills the new columns with null.
        else yield recordsToArrowBatch(arrowToRecords(await file.readRowGroup(g, COLUMN_NAMES), picked) as KernelRecord[]);
      }
    } finally {
      file.close();
    }
  }
}

/** Arrow batches of the records that pass a RecordFilter, streamed. */
export function filterArrowBatches(paths: readonly string[], filter: RecordFilter, counters?: SelectCounters): AsyncGenerator<arrow.RecordBatch> {
  const keep = compileFilter(filter);
  return selectArrowBatches<FilterView>(paths, { predicateColumns: filterColumnsFor(filter), pick: (rows) => rows.flatMap((r, i) => (keep(r) ? [i] : [])) }, counters);
}

/** Records that pass a RecordFilter, streamed. */
export function filterRecords(
  paths: readonly string[],
  filter: RecordFilter,
  counters?: SelectCounters,
  columns?: readonly (keyof KernelRecord)[],
): AsyncGenerator<KernelRecord[]> {
  const keep = compileFilter(filter);
  return selectRecords<FilterView>(
    paths,
    {
      predicateColumns: filterColumnsFor(filter),
      pick: (rows) => rows.flatMap((r, i) => (keep(r) ? [i] : [])),
      ...(columns ? { columns } : {}),
    },
    counters,
  );
}

/** Regroup a stream of chunks into chunks of `size` rows (the last may be smaller). */
export async function* rechunk<T>(chunks: AsyncIterable<readonly T[]>, size: number): AsyncGenerator<T[]> {
  let buf: T[] = [];
  for await (const chunk of chunks) {
    for (const item of chunk) {
      buf.push(item);
      if (buf.length >= size) {
        yield buf;
        buf = [];
      }
    }
  }
  if (buf.length > 0) yield buf;
}
