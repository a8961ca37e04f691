/** DuckDB as the independent reader of what our code writes. */
import { DuckDBInstance } from '@duckdb/node-api';

export type DuckRow = Record<string, unknown>;

/** Run one query in a fresh in-memory DuckDB and return rows as JS values (BIGINT -> bigint). */
export async function duckQuery(sql: string): Promise<DuckRow[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const reader = await conn.runAndReadAll(sql);
    return reader.getRowObjectsJS() as DuckRow[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** SQL string literal. */
export const sqlStr = (s: string): string => `'${s.replace(/'/g, "''")}'`;
