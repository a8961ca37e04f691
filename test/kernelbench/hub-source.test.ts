/**
 * `--source hf:ScalingIntelligence/KernelBench` against a local server laid out like the hub (no test
 * reaches the network): the Parquet files are fetched once (through the hub's redirect), read like any
 * Parquet source, and read again from the cache with the server gone; with neither network nor cache
 * the error says what to do. The Parquet files are written by DuckDB, not by our code.
 */
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duckQuery, sqlStr } from '../support/duckdb.ts';
import { startHubServer, type HubServer } from '../support/hub-server.ts';
import { KERNELBENCH_FIXTURE_JSONL } from '../support/paths.ts';
import { runKforge } from '../support/run-kforge.ts';
import { readProblemSource } from '../../kernelbench/sources/index.ts';
import type { ProblemSourceSpec } from '../../kernelbench/sources/spec.ts';

const REPO = 'ScalingIntelligence/KernelBench';
interface Listed { level: number; problem_id: number; name: string; key: string; source: string; file: string | null }
const listed = (stdout: string): Listed[] => stdout.trim().split('\n').map((l) => JSON.parse(l) as Listed);
/** A port nothing listens on: a server started and closed again. */
async function deadEndpoint(): Promise<string> {
  const s = await startHubServer(REPO, new Map());
  await s.close();
  return s.url;
}

describe('problems from the Hugging Face hub (local server laid out like the hub)', () => {
  let hub: HubServer;
  let work: string;
  const expected = (async () =>
    (await readFile(KERNELBENCH_FIXTURE_JSONL, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { level: number; problem_id: number; name: string }))();

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'kforge-hub-'));
    const files = new Map<string, Uint8Array>();
    for (const level of [1, 2, 3, 4]) {
      const out = path.join(work, `level_${level}.parquet`);
      await duckQuery(
        `copy (select code, level, name, problem_id from read_json_auto(${sqlStr(KERNELBENCH_FIXTURE_JSONL)}) where level = ${level} order by problem_id) to ${sqlStr(out)} (format parquet)`,
      );
      files.set(`level_${level}`, new Uint8Array(await readFile(out)));
    }
    hub = await startHubServer(REPO, files);
  });
  afterAll(async () => hub?.close());

  /** In this process (fast): the environment as a user would set it. */
  const withEnv = async <T>(env: Record<string, string>, body: () => Promise<T>): Promise<T> => {
    const keys = ['HF_HOME', 'HF_HUB_CACHE', 'HF_ENDPOINT', 'HF_TOKEN', 'HF_HUB_OFFLINE', ...Object.keys(env)];
    const saved = new Map(keys.map((k) => [k, process.env[k]]));
    for (const k of keys) delete process.env[k];
    Object.assign(process.env, env);
    try {
      return await body();
    } finally {
      for (const [k, v] of saved) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
  };
  const load = (spec: ProblemSourceSpec) => readProblemSource(spec);

  it('kforge problems --source hf:... --hf-endpoint: downloads the splits once, reads them as the levels', async () => {
    const home = path.join(work, 'home-a');
    const first = await runKforge(['problems', '--source', `hf:${REPO}`, '--hf-endpoint', hub.url, '--json'], {
      env: { HF_HOME: home, HF_HUB_OFFLINE: '', HF_HUB_CACHE: '', HF_TOKEN: '', HF_ENDPOINT: '' },
    });
    expect(first.exitCode, first.all).toBe(0);
    const got = listed(first.stdout);
    const want = await expected;
    expect(got.map((p) => `${p.level}/${p.problem_id}/${p.name}`).sort()).toEqual(want.map((p) => `${p.level}/${p.problem_id}/${p.name}`).sort());
    expect(new Set(got.map((p) => p.source))).toEqual(new Set([`hf:${REPO}`]));
    expect(got.find((p) => p.level === 2)!.file).toBe('default/level_2/0000.parquet');
    // The listing, then each split through the hub's redirect.
    const paths = hub.requests.map((r) => r.path);
    expect(paths[0]).toBe(`/api/datasets/${REPO}/parquet`);
    expect(paths.filter((p) => p.includes('/resolve/refs%2Fconvert%2Fparquet/'))).toHaveLength(4);
    const cached = path.join(home, 'hub', 'kforge-parquet', 'datasets--ScalingIntelligence--KernelBench');
    expect((await readdir(path.join(cached, 'default'))).sort()).toEqual(['level_1', 'level_2', 'level_3', 'level_4']);

    // The hub gone: the same problems, from the cache, nothing asked of the hub again.
    const seen = hub.requests.length;
    const offline = await withEnv({ HF_HOME: home }, async () => load({ hf: REPO, endpoint: await deadEndpoint() }));
    expect(offline.map((p) => p.key).sort()).toEqual(got.map((p) => p.key).sort());
    expect(hub.requests.length).toBe(seen);
  });

  it('takes the hub address from HF_ENDPOINT, the cache from HF_HUB_CACHE, and sends HF_TOKEN', async () => {
    const before = hub.requests.length;
    const hubCache = path.join(work, 'hub-cache-b');
    const got = await withEnv({ HF_HUB_CACHE: hubCache, HF_ENDPOINT: hub.url, HF_TOKEN: 'hf_test_not_a_secret' }, () => load({ hf: REPO }));
    expect(got.filter((p) => p.level === 3)).toHaveLength(2);
    expect(hub.requests.slice(before)[0]!.authorization).toBe('Bearer hf_test_not_a_secret');
    expect(await readdir(path.join(hubCache, 'kforge-parquet'))).toEqual(['datasets--ScalingIntelligence--KernelBench']);
  });

  it('with neither network nor cache: a clear error that says what to do', async () => {
    const home = path.join(work, 'home-c');
    const dead = await deadEndpoint();
    await expect(withEnv({ HF_HOME: home }, () => load({ hf: REPO, endpoint: dead }))).rejects.toThrow(
      expect.objectContaining({ name: 'ProblemSourceError', message: expect.stringMatching(/cannot reach the hub .* no cached copy under .*home-c.*--source problems.jsonl/) }),
    );
    await expect(withEnv({ HF_HOME: home, HF_HUB_OFFLINE: '1' }, () => load({ hf: REPO, endpoint: hub.url }))).rejects.toThrow(/HF_HUB_OFFLINE is set and there is no cached copy/);
    await expect(withEnv({ HF_HOME: home }, () => load({ hf: 'nobody/Nothing', endpoint: hub.url }))).rejects.toThrow(/answered 404 .*is the repo name right/);
  });

  it('a download cut short leaves no cache that counts: the next run fetches again', async () => {
    const home = path.join(work, 'home-d');
    const broken = `/datasets/${REPO}/resolve/refs%2Fconvert%2Fparquet/default/level_3/0000.parquet`;
    hub.failing.add(broken);
    await expect(withEnv({ HF_HOME: home }, () => load({ hf: REPO, endpoint: hub.url }))).rejects.toThrow(/answered 500/);
    hub.failing.delete(broken);
    expect(await withEnv({ HF_HOME: home }, () => load({ hf: REPO, endpoint: hub.url }))).toHaveLength(12);
  });
});
