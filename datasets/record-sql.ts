/**
 * The record files as one SQL relation, and records out of it: a view `records` over every part file
 * with exactly the record schema's columns and types (a column an older file lacks reads as NULL of
 * its type), plus `file_index` and `file_row_number` for the input order; rows back as KernelRecords;
 * a query written to Parquet atomically (temp name, fsync, rename).
 */
import { sqlList, sqlStr, type Duck } from './duck.ts';
import { DEFAULT_ROW_GROUP_SIZE } from './parquet-writer.ts';
import { COLUMNS, COLUMN_NAMES, RECORD_SCHEMA_VERSION, type ColumnKind, type KernelRecord } from './schema.ts';

const SQL_TYPE: Record<ColumnKind, string> = {
  utf8: 'VARCHAR',
  int32: 'INTEGER',
  int64: 'BIGINT',
  float64: 'DOUBLE',
  bool: 'BOOLEAN',
  'list<utf8>': 'VARCHAR[]',
  'list<float64>': 'DOUBLE[]',
  'list<int64>': 'BIGINT[]',
};

export const quoteId = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** The record columns, cast to the schema's types, for a SELECT list. */
export const RECORD_SELECT = COLUMN_NAMES.map(quoteId).join(', ');

export interface RecordsViewOptions {
  /** The view's name (default `records`). */
  name?: string;
  /** Read only these of the paths; file_index stays each file's position in all of them. */
  only?: readonly string[];
}

/**
 * Create the view `records` over the part files (in the order given). Reading every footer here is
 * also where a cut-short file is found, before anything is written.
 */
export async function createRecordsView(d: Duck, paths: readonly string[], o: RecordsViewOptions = {}): Promise<void> {
  const src = `read_parquet(${sqlList(o.only ?? paths)}, union_by_name = true, filename = true, file_row_number = true)`;
  const present = new Set((await d.rows(`DESCRIBE SELECT * FROM ${src}`)).map((r) => String(r.column_name)));
  const cols = COLUMN_NAMES.map((c) => `CAST(${present.has(c) ? quoteId(c) : 'NULL'} AS ${SQL_TYPE[COLUMNS[c].kind]}) AS ${quoteId(c)}`);
  await d.run(`CREATE OR REPLACE TEMP VIEW ${quoteId(o.name ?? 'records')} AS SELECT ${cols.join(', ')}, list_position(${sqlList(paths)}, filename) AS file_index, file_row_number FROM ${src}`);
}

/** A DuckDB row (BIGINT as bigint) as a KernelRecord (int64 as number, as our own reader gives). */
export function rowToRecord(row: Record<string, unknown>): KernelRecord {
  const out: Record<string, unknown> = {};
  for (const c of COLUMN_NAMES) {
    const v = row[c];
    const kind = COLUMNS[c].kind;
    out[c] = v === undefined || v === null ? null : kind === 'int64' ? Number(v) : kind === 'list<int64>' ? (v as bigint[]).map(Number) : v;
  }
  return out as unknown as KernelRecord;
}

/** Same, for a subset of columns (only those present in the row). */
export function rowToPartial<T>(row: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [c, v] of Object.entries(row)) {
    const kind = COLUMNS[c as keyof KernelRecord]?.kind;
    out[c] = v === null ? null : kind === 'int64' || typeof v === 'bigint' ? Number(v) : kind === 'list<int64>' ? (v as bigint[]).map(Number) : v;
  }
  return out as T;
}

/**
 * The default memory limit of the commands that COPY whole records to Parquet (filter, dataset merge).
 * DuckDB's order-keeping Parquet COPY (PhysicalBatchCopyToFile) runs as many threads as fit in the
 * memory it reserves, 4 MiB per column per thread, out of at most a quarter of memory_limit: at 1GB
 * and the record's ~100 columns that is one thread (measured: one busy thread at 1GB and 1300MB, two
 * from 1400MB). This is enough for two; what the copy buffers stays bounded by that reservation
 * (peak RSS 0.4-0.5 GB on 100K records either way). An explicit --memory-limit is used as given.
 */
export const RECORD_COPY_MEMORY_LIMIT = `${(COLUMN_NAMES.length + 2) * 4 * 4}MiB`;

/**
 * COPY a SELECT of the record columns to one zstd Parquet file, atomically; returns the row count.
 * The column types are the schema's (the view casts them); DuckDB 1.5 writes every column OPTIONAL
 * (duckdb/duckdb#22144, #23051) and names list items `element`, so pyarrow reports these columns
 * as nullable where our own writer's files say not null. Values, types and HF features are the same.
 */
export async function copyRecordsToParquet(d: Duck, select: string, path: string): Promise<number> {
  const meta = `{'kforge.schema_version': ${sqlStr(RECORD_SCHEMA_VERSION)}}`;
  return d.copyAtomically(path, (tmp) => `COPY (${select}) TO ${sqlStr(tmp)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${DEFAULT_ROW_GROUP_SIZE}, KV_METADATA ${meta})`);
}
