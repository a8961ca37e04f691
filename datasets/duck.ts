/**
 * The query engine of the data commands: one in-process DuckDB per command, over the record Parquet
 * files. Memory is bounded (memory_limit, threads) and what does not fit spills to a temp folder of
 * ours, removed afterwards. Every error DuckDB raises while reading is turned into a ParquetReadError
 * naming the bad part file and how to repair it (datasets/corrupt-part.ts): nothing is skipped.
 */
import { DuckDBInstance, type DuckDBConnection, type DuckDBDataChunk } from '@duckdb/node-api';
import { availableParallelism, tmpdir } from 'node:os';
import { mkdir, mkdtemp, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { repairAdvice } from './corrupt-part.ts';
import { ParquetReadError } from './parquet-reader.ts';
import { tmpPathFor } from './parquet-writer.ts';

export interface DuckSettings {
  /** DuckDB's memory_limit, e.g. '1GB'. Beyond it, sorts and joins spill to tempDir. */
  memoryLimit: string;
  threads: number;
  /** Parent of the spill folder (a fresh kforge-duckdb-* folder is made in it and removed after). */
  tempParent: string;
}

/**
 * Defaults, overridable by KFORGE_DUCKDB_MEMORY, KFORGE_DUCKDB_THREADS and KFORGE_DUCKDB_TEMP.
 * `defaultMemory`: a command's own default memory limit (datasets/record-sql.ts: RECORD_COPY_MEMORY_LIMIT).
 */
export function duckSettings(over: Partial<DuckSettings> = {}, defaultMemory = '1GB'): DuckSettings {
  const env = process.env;
  const threads = over.threads ?? (Number(env.KFORGE_DUCKDB_THREADS) || availableParallelism());
  return {
    memoryLimit: over.memoryLimit ?? env.KFORGE_DUCKDB_MEMORY ?? defaultMemory,
    threads: Math.max(1, Math.floor(threads)),
    tempParent: over.tempParent ?? env.KFORGE_DUCKDB_TEMP ?? tmpdir(),
  };
}

/** SQL string literal. */
export const sqlStr = (s: string): string => `'${s.replace(/'/g, "''")}'`;
/** SQL list of string literals. */
export const sqlList = (xs: readonly string[]): string => `[${xs.map(sqlStr).join(', ')}]`;
/** A number for SQL; refuses anything that is not finite (flags are checked before, this is the last guard). */
export function sqlNum(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`not a finite number: ${x}`);
  return String(x);
}

export class Duck {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly conn: DuckDBConnection,
    private readonly spill: string,
    /** The part files read: a DuckDB error that names none of them is traced to one by probing. */
    private readonly paths: readonly string[],
  ) {}

  static async open(paths: readonly string[], settings: DuckSettings = duckSettings()): Promise<Duck> {
    const spill = await mkdtemp(join(settings.tempParent, 'kforge-duckdb-'));
    const instance = await DuckDBInstance.create(':memory:', {
      memory_limit: settings.memoryLimit,
      threads: String(settings.threads),
      temp_directory: spill,
      // Output rows keep the order of the part files and of the rows in them (as the old engine did).
      preserve_insertion_order: 'true',
    });
    return new Duck(instance, await instance.connect(), spill, paths);
  }

  /** Run statements; DuckDB's errors become ParquetReadError where a part file is at fault. */
  async run(sql: string): Promise<void> {
    await this.guard(() => this.conn.run(sql));
  }

  async rows(sql: string): Promise<Record<string, unknown>[]> {
    return this.guard(async () => (await this.conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[]);
  }

  /** Stream a query's rows in chunks (about 2,048 rows each); memory holds a few chunks. */
  async *stream(sql: string): AsyncGenerator<Record<string, unknown>[]> {
    const result = await this.guard(() => this.conn.stream(sql));
    const it = result.yieldRowObjectJs()[Symbol.asyncIterator]();
    for (;;) {
      const next = await this.guard(() => it.next());
      if (next.done) return;
      yield next.value as Record<string, unknown>[];
    }
  }

  /**
   * Stream a query's result as DuckDB's own chunks (about 2,048 rows each), for callers that read
   * columns as bytes (`getItemBytes`) rather than as JS strings.
   */
  async *chunks(sql: string): AsyncGenerator<DuckDBDataChunk> {
    const result = await this.guard(() => this.conn.stream(sql));
    for (;;) {
      const chunk = await this.guard(() => result.fetchChunk());
      if (!chunk || chunk.rowCount === 0) return;
      yield chunk;
    }
  }

  /**
   * Run a COPY into `path` atomically: DuckDB writes a temp name (`copy(tmp)` gives the statement),
   * which is fsynced and renamed; nothing is left behind on failure. Returns COPY's row count.
   */
  async copyAtomically(path: string, copy: (tmp: string) => string): Promise<number> {
    await mkdir(dirname(path), { recursive: true });
    const tmp = tmpPathFor(path);
    try {
      const [row] = await this.rows(copy(tmp));
      const fh = await open(tmp, 'r+');
      await fh.sync();
      await fh.close();
      await rename(tmp, path);
      return Number(row?.Count ?? 0);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async close(): Promise<void> {
    this.conn.closeSync();
    this.instance.closeSync();
    await rm(this.spill, { recursive: true, force: true });
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw await this.readError(err as Error);
    }
  }

  /** The part file a failed query is about: the one its message names, else the first whose footer fails. */
  private async readError(err: Error): Promise<Error> {
    const named = this.paths.find((p) => err.message.includes(p));
    const bad = named ?? (await this.firstUnreadable());
    if (!bad) return err;
    const reason = err.message.replace(/^[A-Za-z ]*Error: /, '');
    return new ParquetReadError(`cannot read Parquet file ${bad}: ${reason}. ${repairAdvice(bad)}`, { cause: err });
  }

  private async firstUnreadable(): Promise<string | null> {
    for (const p of this.paths) {
      const ok = await this.conn.run(`SELECT count(*) FROM parquet_metadata(${sqlStr(p)})`).then(() => true, () => false);
      if (!ok) return p;
    }
    return null;
  }
}

/** Open DuckDB over these part files, run fn, close it (and remove the spill folder) whatever happens. */
export async function withDuck<T>(paths: readonly string[], fn: (d: Duck) => Promise<T>, settings?: DuckSettings): Promise<T> {
  const d = await Duck.open(paths, settings);
  try {
    return await fn(d);
  } finally {
    await d.close();
  }
}
