/**
 * `kforge verify` (issue 15): kernels made elsewhere, from a folder laid out as KernelBench's runs and
 * from a JSONL, verified for real (cpu backend, real harness) into records that DuckDB reads back. The
 * cpu candidates are correct, fail to build, are wrong, crash, plus bad input (unknown problem, empty
 * kernel, not UTF-8, unreadable JSON): every one is a row. One cache for the whole file, so the JSONL's
 * kernels (the folder's again) are answered from it, and the rerun verifies nothing.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGenerations } from '../../pipeline/imports/read-generations.ts';
import { problemKey } from '../../kernelbench/problem.ts';
import { readProblemSource } from '../../kernelbench/sources/index.ts';
import { duckQuery, sqlStr } from '../support/duckdb.ts';
import { fixtureKernel, NOT_UTF8, pythonKernel } from '../support/imported.ts';
import { KERNELBENCH_FIXTURE_JSONL, REPO_ROOT } from '../support/paths.ts';
import { runKforge } from '../support/run-kforge.ts';

let work: string;
const runsDir = () => path.join(work, 'runs');
const verify = (inputs: string[], runId: string, extra: string[] = []) =>
  runKforge([
    'verify', ...inputs, '--source', KERNELBENCH_FIXTURE_JSONL, '--out', runsDir(), '--run-id', runId, '--progress', 'lines',
    '--set', `cache.dir=${path.join(work, 'cache')}`, '--set', 'verify.repeats=3', '--set', 'verify.timeout_s=150', ...extra,
  ]);
const rows = (runId: string, columns: string) =>
  duckQuery(`select ${columns} from read_parquet(${sqlStr(path.join(runsDir(), runId, 'records/*.parquet'))}) order by fail_stage is not distinct from 'load', impl_index, fail_message`);

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'kforge-verify-'));
});

describe('kforge verify on a folder laid out as KernelBench runs', () => {
  let folder: string;
  let first: Awaited<ReturnType<typeof runKforge>>;

  beforeAll(async () => {
    folder = path.join(work, 'kb-runs', 'my_run');
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'generation_config.yaml'), 'dataset_src: local\nlevel: 1\nrun_name: my_run\nmodel_name: deepseek-coder\nbackend: cuda\n');
    const kernels = ['correct', 'build_fails', 'wrong', 'crashes'] as const;
    for (const [sample, name] of kernels.entries()) await writeFile(path.join(folder, `level_1_problem_19_sample_${sample}_kernel.py`), fixtureKernel(name));
    await writeFile(path.join(folder, 'level_1_problem_19_sample_0_prompt.txt'), 'Write a fast ReLU.');
    await writeFile(path.join(folder, 'level_1_problem_19_sample_4_kernel.py'), '  \n');
    await writeFile(path.join(folder, 'level_1_problem_19_sample_5_kernel.py'), NOT_UTF8);
    await writeFile(path.join(folder, 'level_9_problem_7_sample_0_kernel.py'), fixtureKernel('correct'));
    await writeFile(path.join(folder, 'level_1_problem_19_sample_0_eval.json'), '{}'); // other files are not candidates
    first = await verify([folder], 'folder');
  }, 600_000);

  it('verifies each kernel and makes a load row for each bad one; the summary counts them', () => {
    expect(first.exitCode, first.all).toBe(0);
    expect(first.stdout).toMatch(/provider: import \/ unknown/);
    expect(first.stdout).toMatch(/input: 7 candidate\(s\); verified now: 4 \(0 from the cache\); load failures: 3 \(/);
    for (const kind of ['unknown problem 1', 'empty kernel 1', 'not UTF-8 1']) expect(first.stdout).toContain(kind);
    expect(first.stdout).toMatch(/records: 7 .*correct: 1/);
  });

  it('writes one record per file, with the verdicts, the problem, the sample and the model of the run', async () => {
    const got = await rows('folder', 'impl_index, level, problem_id, problem_name, problem_key, correct, compiled, fail_stage, fail_message, provider, model, prompt, kernel_source, idea_text, parent_ids, round');
    expect(got).toHaveLength(7);
    const relu = (await readProblemSource({ jsonl: KERNELBENCH_FIXTURE_JSONL })).find((p) => p.name === '19_ReLU')!;
    const byStage = (stage: string | null) => got.filter((r) => r.fail_stage === stage);
    expect(byStage(null)).toMatchObject([{ impl_index: 0, correct: true, prompt: 'Write a fast ReLU.', problem_key: relu.key, problem_name: '19_ReLU' }]);
    expect(byStage('build')).toMatchObject([{ impl_index: 1, compiled: false }]);
    expect(byStage('correctness')).toMatchObject([{ impl_index: 2, compiled: true, correct: false }]);
    expect(byStage('crash')).toMatchObject([{ impl_index: 3, correct: false }]);
    const load = byStage('load');
    expect(load.map((r) => String(r.fail_message))).toEqual(
      expect.arrayContaining([expect.stringMatching(/sample_4_kernel\.py: the kernel is empty$/), expect.stringMatching(/level_9_problem_7_sample_0_kernel\.py: no problem L9 #7 in jsonl:/), expect.stringMatching(/sample_5_kernel\.py: the kernel file is not valid UTF-8$/)]),
    );
    expect(load.find((r) => String(r.fail_message).includes('level_9'))).toMatchObject({ level: 9, problem_id: 7, problem_key: '', kernel_source: fixtureKernel('correct') });
    for (const r of got) expect(r).toMatchObject({ provider: 'import', model: 'deepseek-coder', idea_text: '', parent_ids: [], round: 1 });
  });

  it('a rerun of the same run verifies nothing and writes no row twice', async () => {
    const again = await verify([folder], 'folder');
    expect(again.exitCode, again.all).toBe(0);
    expect(again.stdout).toMatch(/verified now: 0 .*load failures: 0; already in the run: 7/);
    expect(await duckQuery(`select count(*) as n from read_parquet(${sqlStr(path.join(runsDir(), 'folder/records/*.parquet'))})`)).toEqual([{ n: 7n }]);
  });
});

describe('kforge verify on a JSONL', () => {
  let file: string;
  let result: Awaited<ReturnType<typeof runKforge>>;
  const reluKey = async () => (await readProblemSource({ jsonl: KERNELBENCH_FIXTURE_JSONL })).find((p) => p.name === '19_ReLU')!.key;

  beforeAll(async () => {
    file = path.join(work, 'generations.jsonl');
    const line = (o: object) => Buffer.from(JSON.stringify(o) + '\n');
    await writeFile(
      file,
      Buffer.concat([
        line({ problem: 'L1/19', kernel: fixtureKernel('correct'), model: 'm-json', sample: 0, metadata: { idea: 'a plain loop', idea_category: 'memory_access', temperature: 0.2, tokens_out: 321 } }),
        line({ problem: { name: '19_ReLU' }, kernel: fixtureKernel('wrong'), sample: 1 }),
        line({ problem: { key: await reluKey() }, kernel_source: fixtureKernel('build_fails'), sample: 2 }),
        line({ level: 1, problem_id: 19, kernel: fixtureKernel('crashes'), sample: 3, metadata: { parent_ids: ['abc'], round: 2 } }),
        Buffer.from('{"problem": "L1/19", "kernel": \n'),
        line({ problem: 'L7/7', kernel: fixtureKernel('correct') }),
        NOT_UTF8,
        line({ problem: '19_ReLU' }),
        Buffer.from('\n'),
      ]),
    );
    result = await verify([file], 'jsonl', ['--model', 'fallback-model']);
  }, 600_000);

  it('verifies the good lines (from the cache: the same kernels as the folder) and keeps a load row per bad line', async () => {
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout).toMatch(/input: 8 candidate\(s\); verified now: 4 \(4 from the cache\); load failures: 4 \(unreadable input 2, unknown problem 1, not UTF-8 1\)/);
    const got = await rows('jsonl', 'impl_index, fail_stage, fail_message, model, idea_text, idea_category, temperature, tokens_out, parent_ids, round, correct');
    expect(got).toHaveLength(8);
    const verdicts = got.filter((r) => r.fail_stage !== 'load').map((r) => [r.impl_index, r.fail_stage, r.model]);
    expect(verdicts).toEqual([[0, null, 'm-json'], [1, 'correctness', 'fallback-model'], [2, 'build', 'fallback-model'], [3, 'crash', 'fallback-model']]);
    expect(got[0]).toMatchObject({ correct: true, idea_text: 'a plain loop', idea_category: 'memory_access', temperature: 0.2, tokens_out: 321 });
    expect(got[3]).toMatchObject({ parent_ids: ['abc'], round: 2 });
    const messages = got.filter((r) => r.fail_stage === 'load').map((r) => String(r.fail_message));
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/generations\.jsonl:5: not valid JSON/),
        expect.stringMatching(/generations\.jsonl:6: no problem L7\/7 in jsonl:/),
        expect.stringMatching(/generations\.jsonl:7: the line is not valid UTF-8/),
        expect.stringMatching(/generations\.jsonl:8: not a candidate: .*no kernel/),
      ]),
    );
  });

  it('kforge stats reads the result unchanged', async () => {
    const stats = await runKforge(['stats', path.join(runsDir(), 'jsonl'), '--json']);
    expect(stats.exitCode, stats.all).toBe(0);
    const parsed = JSON.parse(stats.stdout) as { overall: { correct: number; candidates: number }; failures_by_stage: Record<string, number> };
    expect(parsed.overall.correct).toBe(1);
    expect(parsed.failures_by_stage).toMatchObject({ load: 4, build: 1, correctness: 1, crash: 1 });
  });

  it('a Parquet file with the same columns reads as the same candidates (written by DuckDB)', async () => {
    const parquet = path.join(work, 'generations.parquet');
    const jsonl = path.join(work, 'good.jsonl');
    const good = [
      { problem: 'L1/19', kernel: fixtureKernel('correct'), model: 'm', sample: 0 },
      { problem: '19_ReLU', kernel: fixtureKernel('wrong'), model: 'm', sample: 1 },
    ];
    await writeFile(jsonl, good.map((g) => JSON.stringify(g)).join('\n') + '\n');
    await duckQuery(`copy (select * from read_json_auto(${sqlStr(jsonl)})) to ${sqlStr(parquet)} (format parquet)`);
    const fromParquet = await readGenerations(parquet);
    const fromJsonl = await readGenerations(jsonl);
    const strip = (list: typeof fromJsonl) => list.map(({ origin: _origin, ...rest }) => rest);
    expect(strip(fromParquet)).toEqual(strip(fromJsonl));
    expect(fromParquet.map((c) => c.failure)).toEqual([null, null]);
    expect(problemKey(fromParquet[0]!.kernel!)).toBe(problemKey(fixtureKernel('correct')));
  });
});

describe('kforge serve on loopback (the same cache as the runs above)', () => {
  const TOKEN = 'serve-test-token-not-a-secret';
  let server: ReturnType<typeof execa>;
  let url: string;
  let stderr = '';
  const post = (body: unknown, options: { token?: string | null; query?: string; signal?: AbortSignal } = {}) =>
    fetch(`${url}/verify${options.query ?? ''}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(options.token === null ? {} : { authorization: `Bearer ${options.token ?? TOKEN}` }) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  const health = async () => (await (await fetch(`${url}/health`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { in_flight: number; verdicts: number };

  beforeAll(async () => {
    server = execa(process.execPath, [
      path.join(REPO_ROOT, 'bin/kforge.js'), 'serve', '--port', '0', '--source', KERNELBENCH_FIXTURE_JSONL, '--out', runsDir(), '--run-id', 'serve',
      '--set', `cache.dir=${path.join(work, 'cache')}`, '--set', 'verify.repeats=3', '--set', 'verify.timeout_s=150', '--max-body-bytes', '65536', '--concurrency', '2',
    ], { cwd: REPO_ROOT, env: { KFORGE_SERVE_TOKEN: TOKEN }, reject: false });
    url = await new Promise<string>((resolve, reject) => {
      server.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const m = /listening on (http:\/\/\S+)/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      void server.then((r) => reject(new Error(`kforge serve exited ${r.exitCode}: ${stderr}`)));
    });
  }, 300_000);

  afterAll(async () => {
    if (server.exitCode === null) server.kill('SIGKILL');
  });

  it('answers a candidate seen before from the cache, with the record fields', async () => {
    const res = await post({ problem: 'L1/19', kernel: fixtureKernel('correct'), model: 'rl-policy', sample: 7 });
    expect(res.status).toBe(200);
    const verdict = (await res.json()) as Record<string, unknown>;
    expect(verdict).toMatchObject({ status: 'done', cached: true, correct: true, fail_stage: null, problem_name: '19_ReLU', provider: 'import', model: 'rl-policy', impl_index: 7, backend: 'cpu' });
    expect(verdict.id).toBe(verdict.record_id);
  });

  it('verifies concurrent requests, each its own verdict', async () => {
    const answers = await Promise.all([
      post({ problem: { level: 1, id: 19 }, kernel: pythonKernel('concurrent-a') }),
      post({ problem: { name: '19_ReLU' }, kernel: pythonKernel('concurrent-b'), tolerance: 'loose' }),
      post({ problem: 'L1/19', kernel: fixtureKernel('wrong') }),
    ]);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    const [a, b, wrong] = (await Promise.all(answers.map((r) => r.json()))) as Record<string, unknown>[];
    expect(a).toMatchObject({ cached: false, compiled: true, tolerance_policy: 'default' });
    expect(b).toMatchObject({ cached: false, compiled: true, tolerance_policy: 'loose' });
    expect(a!.fail_stage).not.toBe('crash');
    expect(wrong).toMatchObject({ cached: true, fail_stage: 'correctness', correct: false });
  });

  it('refuses what it cannot take: malformed (400), unknown problem (404), wrong token (401), too large (413)', async () => {
    const notJson = await post('{"problem": ');
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: string }).error).toMatch(/not JSON/);
    const noKernel = await post({ problem: 'L1/19' });
    expect(noKernel.status).toBe(400);
    expect(((await noKernel.json()) as { error: string }).error).toMatch(/kernel/);
    const unknown = await post({ problem: 'L9/99', kernel: pythonKernel('unknown') });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toMatch(/no problem L9\/99/);
    expect((await post({ problem: 'L1/19', kernel: 'x' }, { token: 'wrong' })).status).toBe(401);
    expect((await post({ problem: 'L1/19', kernel: 'x' }, { token: null })).status).toBe(401);
    const big = await post({ problem: 'L1/19', kernel: `# ${'x'.repeat(100_000)}\n${pythonKernel('big')}` });
    expect(big.status).toBe(413);
  });

  it('wait=false gives an id to poll', async () => {
    const res = await post({ problem: 'L1/19', kernel: pythonKernel('polled') }, { query: '?wait=false' });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    let polled: Response;
    for (;;) {
      polled = await fetch(`${url}/verify/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      if (polled.status !== 202) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(polled.status).toBe(200);
    expect(await polled.json()).toMatchObject({ id, status: 'done', record_id: id });
  });

  it('a client that disconnects mid-wait still gets its verdict recorded; SIGTERM flushes the records', async () => {
    const before = (await health()).verdicts;
    const abort = new AbortController();
    const pending = post({ problem: 'L1/19', kernel: pythonKernel('disconnects', 2), model: 'gone-client' }, { signal: abort.signal });
    setTimeout(() => abort.abort(), 500);
    await expect(pending).rejects.toThrow();
    while ((await health()).verdicts === before) await new Promise((r) => setTimeout(r, 250));
    server.kill('SIGTERM');
    const ended = await server;
    expect(ended.exitCode, stderr).toBe(0);
    const got = await duckQuery(`select model, provider, problem_name, cast(fail_stage as varchar) as fail_stage from read_parquet(${sqlStr(path.join(runsDir(), 'serve/records/*.parquet'))}) order by model`);
    // Every verdict given: the cached one, the three concurrent, the polled one and the one nobody waited for.
    expect(got).toHaveLength(6);
    expect(got.map((r) => r.model)).toContain('gone-client');
    expect(new Set(got.map((r) => r.provider))).toEqual(new Set(['import']));
  });
});

describe('kforge serve refuses to listen beyond loopback without a token', () => {
  it('exits 2 with the way to set one', async () => {
    const run = await runKforge(['serve', '--host', '0.0.0.0', '--port', '0'], { env: { KFORGE_SERVE_TOKEN: '' } });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/reaches beyond this machine: set a token \(KFORGE_SERVE_TOKEN=/);
  });
});
