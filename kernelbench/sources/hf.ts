/**
 * Problems from a dataset on the Hugging Face hub (`hf:ScalingIntelligence/KernelBench`, one split per
 * level). The hub's Parquet listing, `GET <endpoint>/api/datasets/<repo>/parquet`, answers
 * `{config: {split: [url, ...]}}`; each url (which the hub redirects to
 * `/datasets/<repo>/resolve/refs%2Fconvert%2Fparquet/<config>/<split>/0000.parquet`) is downloaded once
 * into a local cache, and read like any Parquet problem file. Once the cache holds a repo, no request
 * is made: the source works offline, and the problems do not change under a nightly job between runs
 * (remove the cache folder to fetch them again).
 */
import { access, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../stages/core/cache/atomic-write.ts';
import { ProblemSourceError } from '../../stages/core/errors/config-error.ts';
import type { Problem } from '../problem.ts';
import { readParquetProblems } from './parquet.ts';

export interface HubSource {
  hf: string;
  endpoint?: string | undefined;
  cache_dir?: string | undefined;
}

const listingSchema = z.record(z.string(), z.record(z.string(), z.array(z.string().min(1))));
const indexSchema = z.object({ repo: z.string(), endpoint: z.string(), fetched_at: z.string(), files: z.array(z.object({ config: z.string(), split: z.string(), file: z.string() })) });
type CacheIndex = z.infer<typeof indexSchema>;

const REQUEST_TIMEOUT_MS = 60_000;

export function hubEndpoint(spec: HubSource, env: NodeJS.ProcessEnv = process.env): string {
  return (spec.endpoint || env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, '');
}

/** The folder holding one repo's Parquet files: HF_HUB_CACHE / HF_HOME / XDG_CACHE_HOME, as the hub's own clients use them. */
export function hubCacheDir(spec: HubSource, env: NodeJS.ProcessEnv = process.env): string {
  const root =
    // An empty variable counts as unset, as it does for the hub's own clients.
    spec.cache_dir ||
    env.HF_HUB_CACHE ||
    (env.HF_HOME ? path.join(env.HF_HOME, 'hub') : path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'huggingface', 'hub'));
  return path.join(root, 'kforge-parquet', `datasets--${spec.hf.replace('/', '--')}`);
}

export async function readHubProblems(spec: HubSource): Promise<Problem[]> {
  const dir = hubCacheDir(spec);
  const index = (await readCachedIndex(dir)) ?? (await download(spec, dir));
  const problems: Problem[] = [];
  for (const entry of index.files) {
    problems.push(...(await readParquetProblems(path.join(dir, entry.file), `hf:${spec.hf}`, entry.file)));
  }
  return problems.sort((a, b) => a.level - b.level || a.problemId - b.problemId);
}

/** A complete cached copy (its index lists files that are all there), or null. */
async function readCachedIndex(dir: string): Promise<CacheIndex | null> {
  const text = await readFile(path.join(dir, 'index.json'), 'utf8').catch(() => null);
  if (text === null) return null;
  let parsed;
  try {
    parsed = indexSchema.safeParse(JSON.parse(text));
  } catch {
    return null; // a cut-off index is a miss: fetched again
  }
  if (!parsed.success) return null;
  const present = await Promise.all(parsed.data.files.map((f) => access(path.join(dir, f.file)).then(() => true, () => false)));
  return present.every(Boolean) ? parsed.data : null;
}

async function download(spec: HubSource, dir: string): Promise<CacheIndex> {
  const endpoint = hubEndpoint(spec);
  const offline = ['1', 'true', 'yes'].includes(String(process.env.HF_HUB_OFFLINE ?? '').toLowerCase());
  const noCopy = `there is no cached copy under ${dir}`;
  if (offline) {
    throw new ProblemSourceError(`hf:${spec.hf}: HF_HUB_OFFLINE is set and ${noCopy}. Fetch it once with the network on (unset HF_HUB_OFFLINE), or give the problems as a file (--source problems.jsonl).`);
  }
  const listingUrl = `${endpoint}/api/datasets/${spec.hf}/parquet`;
  const listingJson = await fetchOrExplain(listingUrl, spec, noCopy).then((r) => r.json() as Promise<unknown>);
  const listing = listingSchema.safeParse(listingJson);
  if (!listing.success) {
    throw new ProblemSourceError(`hf:${spec.hf}: ${listingUrl} did not answer a Parquet listing ({config: {split: [url]}}): ${listing.error.issues[0]?.message}. Is --hf-endpoint (or HF_ENDPOINT) a Hugging Face hub?`);
  }
  const files: CacheIndex['files'] = [];
  for (const [config, splits] of Object.entries(listing.data)) {
    for (const [split, urls] of Object.entries(splits)) {
      for (const [i, url] of urls.entries()) {
        const file = path.posix.join(safeName(config), safeName(split), `${String(i).padStart(4, '0')}.parquet`);
        const bytes = new Uint8Array(await (await fetchOrExplain(new URL(url, `${endpoint}/`).href, spec, noCopy)).arrayBuffer());
        await writeFileAtomic(path.join(dir, file), bytes);
        files.push({ config, split, file });
      }
    }
  }
  if (!files.length) throw new ProblemSourceError(`hf:${spec.hf}: ${listingUrl} lists no Parquet files; check the repo name.`);
  const index: CacheIndex = { repo: spec.hf, endpoint, fetched_at: new Date().toISOString(), files };
  // Written last: a download cut short leaves no index, so the next run fetches again.
  await writeFileAtomic(path.join(dir, 'index.json'), JSON.stringify(index, null, 2) + '\n');
  return index;
}

async function fetchOrExplain(url: string, spec: HubSource, noCopy: string): Promise<Response> {
  const token = process.env.HF_TOKEN;
  let response: Response;
  try {
    response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new ProblemSourceError(
      `hf:${spec.hf}: cannot reach the hub (${url}: ${cause}) and ${noCopy}. Connect once to fill the cache, point HF_ENDPOINT or --hf-endpoint at a mirror, or give the problems as a file (--source problems.jsonl).`,
    );
  }
  if (!response.ok) {
    const hint = response.status === 401 || response.status === 403 ? ' (a gated or private dataset needs HF_TOKEN)' : response.status === 404 ? ' (is the repo name right?)' : '';
    throw new ProblemSourceError(`hf:${spec.hf}: ${url} answered ${response.status} ${response.statusText}${hint}, and ${noCopy}.`);
  }
  return response;
}

/** Config and split names become folder names: nothing that climbs out of the cache. */
function safeName(name: string): string {
  return name.replace(/[^\w.-]/g, '_').replace(/^\.+/, '_');
}
