/**
 * Finding record Parquet files in what a user points at: a file, a run folder (records/part-*.parquet),
 * a dataset version folder (same layout), or a folder of runs. Temporary files (`*.tmp-*`) of a
 * writer in progress are never listed.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runLayout } from '../stages/core/run-layout.ts';

/** Nothing readable was found where the user pointed. */
export class NoPartFilesError extends Error {
  override readonly name = 'NoPartFilesError';
}

const isParquet = (name: string): boolean => name.endsWith('.parquet') && !name.includes('.tmp-');

async function isDir(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isDirectory() ?? false;
}

async function collect(dir: string, depth: number): Promise<string[]> {
  const { recordsDir } = runLayout(dir);
  if (await isDir(recordsDir)) {
    const names = (await readdir(recordsDir)).filter(isParquet).sort();
    return names.map((n) => join(recordsDir, n));
  }
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  const direct = entries.filter((e) => e.isFile() && isParquet(e.name)).map((e) => join(dir, e.name));
  if (direct.length > 0 || depth === 0) return direct;
  const nested: string[] = [];
  for (const e of entries) if (e.isDirectory()) nested.push(...(await collect(join(dir, e.name), depth - 1)));
  return nested;
}

/**
 * Part files of one path, sorted. A folder with `records/` gives its parts; a folder with .parquet
 * files gives those; otherwise each sub-folder is looked into (two levels: runs/<run>/records).
 */
export async function listPartFiles(dirOrFile: string): Promise<string[]> {
  const st = await stat(dirOrFile).catch(() => null);
  if (!st) throw new NoPartFilesError(`${dirOrFile} does not exist`);
  if (st.isFile()) {
    if (!dirOrFile.endsWith('.parquet')) throw new NoPartFilesError(`${dirOrFile} is not a .parquet file`);
    return [dirOrFile];
  }
  return collect(dirOrFile, 2);
}

/** Part files of many paths, de-duplicated, in the order given. */
export async function listPartFilesOf(paths: readonly string[]): Promise<string[]> {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of paths) for (const f of await listPartFiles(p)) if (!seen.has(f)) (seen.add(f), out.push(f));
  if (out.length === 0) throw new NoPartFilesError(`no record Parquet files under ${paths.join(', ')}`);
  return out;
}
