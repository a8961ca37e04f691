/**
 * Issue 13, what queue-build.test.ts leaves out: a real `kforge worker` refuses, at once and without
 * retrying, a job it cannot verify the same way (another harness version, another toolchain), naming
 * both, while it runs a matching one and reports its host, pid, harness version and environment with
 * the verdict; and `kforge verify` in queue mode shows the fleet (queue depth, workers) in its progress
 * as `kforge build` does (both checked here, the build with a scripted LLM); an unreachable Redis
 * stops `kforge verify` and `kforge worker` before anything slow (the Python probe), naming the URL. Lean: pure-PyTorch candidates (nothing to compile), one worker, the cpu backend.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listWorkers } from '../../stages/verify/queue/fleet-registry.ts';
import { queueReturnSchema, type QueueJobData } from '../../stages/verify/queue/queue-messages.ts';
import { reluJob } from '../harness/jobs.ts';
import { startWorker, stopWorker, type TestWorker } from '../support/fleet-workers.ts';
import { pythonKernel } from '../support/imported.ts';
import { startOpenAiServer } from '../support/openai-server.ts';
import { KERNELBENCH_FIXTURE_JSONL } from '../support/paths.ts';
import { freePort, REDIS_MISSING, TestRedis } from '../support/redis-server.ts';
import { SCENARIO_CANDIDATES, scenarioArgs, scenarioResponder } from '../support/resume-scenario.ts';
import { pollUntil } from '../support/run-processes.ts';
import { runKforge } from '../support/run-kforge.ts';

if (REDIS_MISSING) console.warn(REDIS_MISSING);
const QUEUE = 'kforge-verify-cpu';
const MS = 300_000;

describe.skipIf(REDIS_MISSING !== null)('kforge worker checks and kforge verify through the queue', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'kforge-queue-checks-'));
  let redis: TestRedis;
  let worker: TestWorker;

  beforeAll(async () => {
    redis = await TestRedis.start();
    worker = await startWorker(redis.url, path.join(work, 'cache'));
  }, MS);

  afterAll(async () => {
    if (worker) await stopWorker(worker);
    await redis?.stop();
  });

  it('refuses a job of another harness version or toolchain at once, naming both; runs and reports a matching one', async () => {
    const client = redis.client();
    const queue = new Queue(QUEUE, { connection: client });
    try {
      const [me] = await listWorkers(client, QUEUE);
      expect(me).toBeDefined();
      const job = (id: string, expect: QueueJobData['expect']): QueueJobData => ({ job: reluJob('relu_ok', { candidate_id: id, kernel_source: pythonKernel(id) }), expect });
      const same = { harness_version: me!.harness_version, environment: me!.environment };
      const jobs: [string, QueueJobData][] = [
        ['other-version', job('other-version', { ...same, harness_version: '0.0.0-elsewhere' })],
        ['other-torch', job('other-torch', { ...same, environment: { ...same.environment, torch_version: '9.9.9' } })],
        ['same', job('same', same)],
      ];
      // Three attempts each: a refusal must not use them (it would fail the same way every time).
      for (const [id, data] of jobs) await queue.add('verify', data, { jobId: id, attempts: 3, backoff: { type: 'fixed', delay: 500 } });
      await pollUntil(async () => (await Promise.all(jobs.map(([id]) => queue.getJobState(id)))).every((s) => s === 'completed' || s === 'failed'), MS);

      const version = (await queue.getJob('other-version'))!;
      expect(await version.getState()).toBe('failed');
      expect(version.attemptsMade).toBe(1);
      expect(version.failedReason).toContain(`runs harness ${me!.harness_version}; job other-version expects 0.0.0-elsewhere`);
      const torch = (await queue.getJob('other-torch'))!;
      expect(await torch.getState()).toBe('failed');
      expect(torch.attemptsMade).toBe(1);
      expect(torch.failedReason).toMatch(new RegExp(`has .*"torch_version":"${String(me!.environment.torch_version).replace(/[.+]/g, '\\$&')}".*expects .*"torch_version":"9\\.9\\.9"`));

      const ok = (await queue.getJob('same'))!;
      expect(await ok.getState()).toBe('completed');
      const value = queueReturnSchema.parse(typeof ok.returnvalue === 'string' ? JSON.parse(ok.returnvalue) : ok.returnvalue);
      expect(value.result.correct).toBe(true);
      expect(value.result.env).toEqual(me!.environment);
      expect(value.worker).toMatchObject({ worker_id: me!.worker_id, host: hostname(), pid: me!.pid, gpu: null, harness_version: me!.harness_version, environment: me!.environment });
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      client.disconnect();
    }
  }, MS);

  it('kforge verify in queue mode: records of every candidate, the progress shows queue depth and workers', async () => {
    const file = path.join(work, 'generations.jsonl');
    const lines = ['a', 'b', 'c'].map((t, i) => JSON.stringify({ problem_name: '19_ReLU', kernel: pythonKernel(`checks-${t}`, 0, i === 2), sample: i }));
    writeFileSync(file, `${lines.join('\n')}\n`);
    const r = await runKforge([
      'verify', file, '--source', KERNELBENCH_FIXTURE_JSONL, '--out', path.join(work, 'runs'), '--run-id', 'queued', '--progress', 'lines',
      '--set', `cache.dir=${path.join(work, 'cache-verify')}`, '--set', 'verify.mode=queue', '--set', `verify.queue.url=${redis.url}`,
    ], { timeoutMs: MS });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain('input: 3 candidate(s); verified now: 3');
    expect(r.stdout).toMatch(/records: 3 .*correct: 2/s);
    expect(r.stderr).toMatch(/\| records \d+ {2}verified \d+ {2}load failures 0 {2}queue \d+ waiting \/ \d+ active, 1 worker\(s\)/);
  }, MS);

  it('kforge build in queue mode (scripted LLM, plain-PyTorch kernels): every candidate recorded, the progress shows the fleet', async () => {
    const server = await startOpenAiServer({ respond: scenarioResponder() });
    try {
      const args = scenarioArgs({ serverUrl: server.url, work, runId: 'built', extra: ['--set', 'verify.mode=queue', '--set', `verify.queue.url=${redis.url}`] });
      const r = await runKforge(args.map((a) => (a === 'silent' ? 'lines' : a)), { timeoutMs: MS });
      expect(r.exitCode, r.all).toBe(0);
      expect(r.stdout).toContain(`candidates: ${SCENARIO_CANDIDATES}`);
      expect(r.stderr).toMatch(/\| records \d+ {2}queue \d+ waiting \/ \d+ active, 1 worker\(s\)/);
    } finally {
      await server.close();
    }
  }, MS);

  it('Redis unreachable: kforge verify and kforge worker name the URL before probing Python (a broken one here), no run folder', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const config = path.join(work, 'broken-python.yaml');
    writeFileSync(config, 'verify:\n  python: /nonexistent/python3\n');
    const file = path.join(work, 'one.jsonl');
    writeFileSync(file, `${JSON.stringify({ problem_name: '19_ReLU', kernel: pythonKernel('unreachable') })}\n`);
    const [verify, worker] = await Promise.all([
      runKforge(['verify', file, '--source', KERNELBENCH_FIXTURE_JSONL, '--config', config, '--out', path.join(work, 'runs'), '--run-id', 'unreachable', '--set', 'verify.mode=queue', '--set', `verify.queue.url=${url}`], { timeoutMs: MS }),
      runKforge(['worker', '--config', config, '--url', url], { timeoutMs: MS }),
    ]);
    for (const r of [verify, worker]) {
      expect(r.exitCode, r.all).not.toBe(0);
      expect(r.stderr).toContain(`Cannot reach Redis at ${url}`);
      expect(r.stderr).toContain('redis-server --port 6379 --appendonly yes --maxmemory-policy noeviction');
    }
    expect(existsSync(path.join(work, 'runs', 'unreachable'))).toBe(false);
  }, MS);
});
