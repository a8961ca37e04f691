/**
 * Reading record Parquet files row group by row group: the file is opened as a lazily read Blob
 * (fs.openAsBlob), so only the footer and the requested row group's column chunks are in memory.
 */
import { repairAdvice } from './corrupt-part.ts';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { parseTable } from 'arrow-js-ffi';
import { openAsBlob } from 'node:fs';
import { arrowToRecords } from './arrow-records.ts';
import type { KernelRecord } from './schema.ts';

export { listPartFiles } from './part-files.ts';

export interface ReadOptions {
  /** Columns to read (default: every column of the schema). Other keys are absent from the rows. */
  columns?: readonly (keyof KernelRecord)[];
}

/** One row group of one file as an Arrow table. */
export interface ArrowRowGroup {
  path: string;
  rowGroup: number;
  table: arrow.Table;
}

export interface RecordBatchOf<T> {
  path: string;
  rowGroup: number;
  records: T[];
}

/** A Parquet file that is not a record file (unreadable, or missing a requested column). */
export class ParquetReadError extends Error {
  override readonly name = 'ParquetReadError';
}

/** An open Parquet file: its row group count and a reader for any row group and column subset. */
export class RecordParquetFile {
  private constructor(
    readonly path: string,
    private readonly file: pw.ParquetFile,
    readonly numRowGroups: number,
    readonly columnNames: readonly string[],
  ) {}

  static async open(path: string): Promise<RecordParquetFile> {
    try {
      const file = await pw.ParquetFile.fromFile(await openAsBlob(path));
      const meta = file.metadata();
      const names = tableFromWasm(pw.Table.fromIPCStream(file.schema().intoIPCStream())).schema.fields.map((f) => f.name);
      return new RecordParquetFile(path, file, meta.numRowGroups(), names);
    } catch (err) {
      // The one check every reader (filter, export, stats, inspect, report, dataset merge, resume) passes.
      throw new ParquetReadError(`cannot read Parquet file ${path}: ${(err as Error).message ?? err}. ${repairAdvice(path)}`, { cause: err });
    }
  }

  rowGroupRows(i: number): number {
    return this.file.metadata().rowGroup(i).numRows();
  }

  /** Read one row group; columns absent from an older file come back as all-null columns. */
  async readRowGroup(i: number, columns?: readonly string[]): Promise<arrow.Table> {
    const wanted = columns ?? this.columnNames;
    const present = wanted.filter((c) => this.columnNames.includes(c));
    // One batch per row group: fewer hand-overs from WebAssembly.
    const table = tableFromWasmFFI(await this.file.read({ rowGroups: [i], columns: [...present], batchSize: Math.max(1, this.rowGroupRows(i)) }));
    if (present.length === wanted.length) return table;
    let out = table;
    for (const missing of wanted.filter((c) => !present.includes(c))) {
      out = out.assign(new arrow.Table({ [missing]: arrow.vectorFromArray(new Array(out.numRows).fill(null), new arrow.Null()) }));
    }
    return out;
  }

  close(): void {
    this.file.free();
  }
}

function tableFromWasm(table: pw.Table): arrow.Table {
  return arrow.tableFromIPC(table.intoIPCStream());
}

/**
 * Move a WebAssembly table into JS through the Arrow C data interface: one copy of the buffers
 * (copied, so nothing points into WebAssembly memory afterwards), against two for an IPC round trip.
 */
function tableFromWasmFFI(table: pw.Table): arrow.Table {
  const ffi = table.intoFFI();
  try {
    return parseTable(pw.wasmMemory().buffer, ffi.arrayAddrs(), ffi.schemaAddr(), true);
  } finally {
    ffi.free();
  }
}

/** Every row group of every file, in order, as Arrow tables (one row group in memory at a time). */
export async function* iterateArrowRowGroups(paths: readonly string[], options: ReadOptions = {}): AsyncGenerator<ArrowRowGroup> {
  for (const path of paths) {
    const file = await RecordParquetFile.open(path);
    try {
      for (let g = 0; g < file.numRowGroups; g++) {
        yield { path, rowGroup: g, table: await file.readRowGroup(g, options.columns as string[] | undefined) };
      }
    } finally {
      file.close();
    }
  }
}

/** Every row group of every file as plain records (int64 -> number). */
export function iterateRecordBatches(paths: readonly string[], options: ReadOptions & { columns: readonly (keyof KernelRecord)[] }): AsyncGenerator<RecordBatchOf<Partial<KernelRecord>>>;
export function iterateRecordBatches(paths: readonly string[], options?: { columns?: undefined }): AsyncGenerator<RecordBatchOf<KernelRecord>>;
export async function* iterateRecordBatches(paths: readonly string[], options: ReadOptions = {}): AsyncGenerator<RecordBatchOf<Partial<KernelRecord>>> {
  for await (const group of iterateArrowRowGroups(paths, options)) {
    yield { path: group.path, rowGroup: group.rowGroup, records: arrowToRecords(group.table) };
  }
}

/** Read whole files into memory (small sets: tests, one run's parts). */
export async function readRecordsParquet(path: string | readonly string[]): Promise<KernelRecord[]> {
  const out: KernelRecord[] = [];
  for await (const batch of iterateRecordBatches(typeof path === 'string' ? [path] : path)) {
    for (const r of batch.records) out.push(r);
  }
  return out;
}
