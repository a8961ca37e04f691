/**
 * Nightly datasets. A dataset is a folder `<root>/<name>/` holding `dataset.json` and one folder per
 * version (`versions/<version>/records/part-*.parquet`). A version stores only the records that are
 * new that night (by record_id), so a record seen on two nights is stored once, with the
 * dataset_version of the night it first appeared. Version V of the dataset is the union of every
 * version up to and including V: `<root>/<name>@<V>` names it; `<root>/<name>` is the latest.
 */
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { listPartFilesOf } from './part-files.ts';
import { duckSettings, sqlList, sqlStr, withDuck } from './duck.ts';
import { copyRecordsToParquet, createRecordsView, quoteId, RECORD_COPY_MEMORY_LIMIT } from './record-sql.ts';
import { COLUMN_NAMES } from './schema.ts';
import { runLayout } from '../stages/core/run-layout.ts';

const VersionEntry = z.object({
  version: z.string(),
  created_at: z.string(),
  sources: z.array(z.string()),
  added: z.number().int(),
  duplicates: z.number().int(),
});
const Manifest = z.object({ name: z.string(), versions: z.array(VersionEntry) });
export type DatasetManifest = z.infer<typeof Manifest>;
export type DatasetVersionEntry = z.infer<typeof VersionEntry>;

export class DatasetError extends Error {
  override readonly name = 'DatasetError';
}

const MANIFEST = 'dataset.json';
const VERSION_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export async function readDatasetManifest(dir: string): Promise<DatasetManifest | null> {
  const text = await readFile(join(dir, MANIFEST), 'utf8').catch(() => null);
  if (text === null) return null;
  const parsed = Manifest.safeParse(JSON.parse(text));
  if (!parsed.success) throw new DatasetError(`${join(dir, MANIFEST)} is malformed: ${parsed.error.message}`);
  return parsed.data;
}

const versionDir = (dir: string, version: string): string => join(dir, 'versions', version);

/**
 * Part files of one input spec: `<dataset dir>@<version>` (versions up to V), a dataset dir (all
 * versions), or anything listPartFiles understands (a part file, a run folder, a folder of runs).
 */
export async function resolveInput(spec: string): Promise<string[]> {
  const at = spec.lastIndexOf('@');
  const [dir, version] = at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [spec, null];
  const manifest = await readDatasetManifest(dir);
  if (!manifest) {
    if (version !== null && !(await stat(spec).catch(() => null))) throw new DatasetError(`${dir} is not a dataset folder (no ${MANIFEST})`);
    return listPartFilesOf([spec]);
  }
  const upto = version === null ? manifest.versions.length - 1 : manifest.versions.findIndex((v) => v.version === version);
  if (upto < 0) throw new DatasetError(`dataset ${manifest.name} has no version ${version} (has ${manifest.versions.map((v) => v.version).join(', ') || 'none'})`);
  const dirs = manifest.versions.slice(0, upto + 1).map((v) => versionDir(dir, v.version));
  return dirs.length ? listPartFilesOf(dirs) : [];
}

/** Part files of many input specs, in order, each file once. */
export async function resolveInputs(specs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const s of specs) for (const f of await resolveInput(s)) if (!out.includes(f)) out.push(f);
  return out;
}

export interface MergeOptions {
  root: string;
  name: string;
  version: string;
  inputs: readonly string[];
}

export interface MergeResult {
  datasetDir: string;
  entry: DatasetVersionEntry;
}

/** Merge runs (or other datasets) into a new version of a named dataset, keeping each record_id once. */
export async function mergeIntoDataset(o: MergeOptions): Promise<MergeResult> {
  if (!VERSION_RE.test(o.version)) throw new DatasetError(`version "${o.version}" must be letters, digits, '.', '_' or '-'`);
  if (!VERSION_RE.test(o.name)) throw new DatasetError(`name "${o.name}" must be letters, digits, '.', '_' or '-'`);
  const dir = join(o.root, o.name);
  const manifest = (await readDatasetManifest(dir)) ?? { name: o.name, versions: [] };
  if (manifest.versions.some((v) => v.version === o.version)) throw new DatasetError(`dataset ${o.name} already has version ${o.version}`);

  const existing = manifest.versions.length ? await resolveInput(dir) : [];
  const inputs = await resolveInputs(o.inputs);
  const vdir = versionDir(dir, o.version);
  // New records only (by record_id, against every earlier version), each once: its first row in input order.
  const { added, total } = await withDuck([...existing, ...inputs], async (d) => {
    await createRecordsView(d, inputs);
    const old = existing.length ? `SELECT record_id FROM read_parquet(${sqlList(existing)})` : 'SELECT NULL::VARCHAR AS record_id WHERE false';
    const keep = `SELECT file_index, file_row_number FROM records ANTI JOIN (${old}) AS o USING (record_id)
      QUALIFY row_number() OVER (PARTITION BY record_id ORDER BY file_index, file_row_number) = 1`;
    const cols = COLUMN_NAMES.map((c) => (c === 'dataset_version' ? `${sqlStr(o.version)} AS dataset_version` : quoteId(c))).join(', ');
    const select = `SELECT ${cols} FROM records SEMI JOIN (${keep}) AS k USING (file_index, file_row_number) ORDER BY file_index, file_row_number`;
    const added = await copyRecordsToParquet(d, select, runLayout(vdir).partFile(0));
    return { added, total: Number((await d.rows('SELECT count(*) AS n FROM records'))[0]!.n) };
  }, duckSettings({}, RECORD_COPY_MEMORY_LIMIT));
  const duplicates = total - added;

  const entry: DatasetVersionEntry = { version: o.version, created_at: new Date().toISOString(), sources: [...o.inputs], added, duplicates };
  manifest.versions.push(entry);
  const tmp = join(dir, `${MANIFEST}.tmp-${process.pid}`);
  await writeFile(tmp, JSON.stringify(manifest, null, 2) + '\n');
  await rename(tmp, join(dir, MANIFEST));
  return { datasetDir: dir, entry };
}
