/**
 * Nightly datasets. A dataset is a folder `<root>/<name>/` holding `dataset.json` and one folder per
 * version (`versions/<version>/records/part-*.parquet`). A version stores only the records that are
 * new that night (by record_id), so a record seen on two nights is stored once, with the
 * dataset_version of the night it first appeared. Version V of the dataset is the union of every
 * version up to and including V: `<root>/<name>@<V>` names it; `<root>/<name>` is the latest.
 */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { listPartFilesOf } from './part-files.ts';
import { writeRecordStreamParquet } from './parquet-writer.ts';
import { rechunk, selectRecords } from './select-rows.ts';
import type { KernelRecord } from './schema.ts';
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

  const seen = new Set<string>();
  const existing = manifest.versions.length ? await resolveInput(dir) : [];
  for await (const chunk of selectRecords<Pick<KernelRecord, 'record_id'>>(existing, { predicateColumns: ['record_id'], pick: (rows) => (rows.forEach((r) => seen.add(r.record_id)), []) })) void chunk;

  const inputs = await resolveInputs(o.inputs);
  let duplicates = 0;
  const fresh = selectRecords<Pick<KernelRecord, 'record_id'>>(inputs, {
    predicateColumns: ['record_id'],
    pick: (rows) =>
      rows.flatMap((r, i) => {
        if (seen.has(r.record_id)) return (duplicates++, []);
        seen.add(r.record_id);
        return [i];
      }),
  });
  async function* stamped(): AsyncGenerator<KernelRecord[]> {
    for await (const chunk of rechunk(fresh, 4096)) yield chunk.map((r) => ({ ...r, dataset_version: o.version }));
  }
  const vdir = versionDir(dir, o.version);
  const layout = runLayout(vdir);
  await mkdir(layout.recordsDir, { recursive: true });
  const added = await writeRecordStreamParquet(stamped(), layout.partFile(0));

  const entry: DatasetVersionEntry = { version: o.version, created_at: new Date().toISOString(), sources: [...o.inputs], added, duplicates };
  manifest.versions.push(entry);
  const tmp = join(dir, `${MANIFEST}.tmp-${process.pid}`);
  await writeFile(tmp, JSON.stringify(manifest, null, 2) + '\n');
  await rename(tmp, join(dir, MANIFEST));
  return { datasetDir: dir, entry };
}
