/**
 * Issue 13: verification through a BullMQ queue on a real Redis, with real `kforge worker` processes
 * (each standing for a host) running the real harness on the cpu backend. The records must be those of
 * the local verifier; `kforge fleet status` and the build's progress line see the queue and its
 * workers; with builds split off the device, build workers fill a build store the device worker
 * loads from; a duplicate enqueue runs once and a cpu worker never takes a cuda job; a worker killed by
 * kill -9 mid-job and a Redis restarted mid-run lose and double nothing; an unreachable Redis fails at
 * once, naming the URL and the fix.
 *
 * Lean on purpose (CI is a loaded 2-core machine): the local run builds each extension once and every
 * worker reads that build folder (builds are keyed by what they compile), so the queued runs measure
 * without compiling again.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPriority } from '../../stages/verify/queue/build-order.ts';
import type { QueueJobData } from '../../stages/verify/queue/queue-messages.ts';
import { QueueVerifier } from '../../stages/verify/queue/queue-verifier.ts';
import { duckQuery, sqlStr } from '../support/duckdb.ts';
import { startWorker, stopWorker, type TestWorker } from '../support/fleet-workers.ts';
import { freePort, REDIS_MISSING, TestRedis } from '../support/redis-server.ts';
import { runKforge } from '../support/run-kforge.ts';
import { pollUntil } from '../support/run-processes.ts';
import { reluJob } from '../harness/jobs.ts';

if (REDIS_MISSING) console.warn(REDIS_MISSING);
const QUEUE = 'kforge-verify-cpu';
const BUILD = ['build', '--limit', '2', '--rounds', '1', '--ideas', '2', '--impls', '1', '--progress', 'lines', '--set', 'verify.repeats=3', '--set', 'verify.trials=2'];
const BUILD_MS = 900_000;

async function verdicts(runDir: string): Promise<Record<string, unknown>[]> {
  return duckQuery(`select record_id, problem_name, correct, fail_stage, suspect from read_parquet(${sqlStr(path.join(runDir, 'records/*.parquet'))}) order by record_id`);
}

describe.skipIf(REDIS_MISSING !== null)('kforge build with verify.mode: queue', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'kforge-queue-'));
  /** The local run's cache folder: its builds/ is every worker's build folder too. */
  const builds = path.join(work, 'cache-local');
  let redis: TestRedis;
  const workers: TestWorker[] = [];
  let expected: Record<string, unknown>[] = [];
  const queueFlags = () => ['--set', 'verify.mode=queue', '--set', `verify.queue.url=${redis.url}`];
  const run = (id: string, extra: string[] = []) =>
    runKforge([...BUILD, '--out', path.join(work, 'runs'), '--run-id', id, '--set', `cache.dir=${path.join(work, `cache-${id}`)}`, ...extra], { timeoutMs: BUILD_MS });
  const count = async (key: string) => {
    const c = redis.client();
    try {
      return await c.zcard(key);
    } finally {
      c.disconnect();
    }
  };

  beforeAll(async () => {
    redis = await TestRedis.start();
  }, 60_000);
  afterAll(async () => {
    await Promise.all(workers.map(stopWorker));
    await redis?.stop();
  }, 60_000);

  it('gives the records of the local verifier with 3 worker processes, each candidate verified once; fleet status and progress see them', async () => {
    const [local, started] = await Promise.all([run('local'), Promise.all([1, 2, 3].map(() => startWorker(redis.url, builds)))]);
    workers.push(...started);
    expect(local.exitCode, local.all).toBe(0);
    expected = await verdicts(path.join(work, 'runs/local'));
    expect(expected.length).toBeGreaterThanOrEqual(3);
    const queued = await run('queued', queueFlags());
    expect(queued.exitCode, queued.all).toBe(0);
    expect(await verdicts(path.join(work, 'runs/queued'))).toEqual(expected);
    expect(await count(`bull:${QUEUE}:completed`)).toBe(expected.length); // distinct kernels: one job each, nothing run twice
    expect(queued.stderr).toMatch(/queue \d+ waiting \/ \d+ active, 3 worker\(s\)/);

    const status = await runKforge(['fleet', 'status', '--url', redis.url, '--json']);
    expect(status.exitCode, status.all).toBe(0);
    const { queues } = JSON.parse(status.stdout) as { queues: { queue: string; counts: Record<string, number>; perMinute: number; workers: { host: string; gpu: string | null; role: string }[] }[] };
    const cpu = queues.find((q) => q.queue === QUEUE)!;
    expect(cpu.counts).toMatchObject({ waiting: 0, active: 0, failed: 0, completed: expected.length });
    expect(cpu.perMinute).toBeGreaterThan(0);
    expect(cpu.workers.map((w) => [w.host, w.gpu, w.role])).toEqual([1, 2, 3].map(() => [hostname(), null, 'gpu']));
    const text = await runKforge(['fleet', 'status', '--url', redis.url]);
    expect(text.stdout).toContain(`queue ${QUEUE}: waiting 0  active 0  delayed 0  failed 0  completed ${expected.length}`);
  }, 2 * BUILD_MS);

  it('a duplicate enqueue of the same candidate runs once; a cpu worker never takes a cuda job', async () => {
    const client = redis.client();
    // A cuda job queued first: cpu workers serve kforge-verify-cpu only, so it is still waiting after theirs ran.
    const cuda = new Queue('kforge-verify-cuda', { connection: client });
    const cudaJob = reluJob('relu_ok', { candidate_id: 'cuda-probe', backend: 'cuda' });
    await cuda.add('verify', { job: cudaJob, expect: { harness_version: '0', environment: {} } }, { jobId: 'cuda-probe' });
    const verifier = await QueueVerifier.open({ url: redis.url, name: 'kforge-verify', device: '', attempts: 2, workerWaitS: 60 });
    try {
      const [a, b] = await Promise.all([verifier.verify(reluJob('relu_ok', { candidate_id: 'first' })), verifier.verify(reluJob('relu_ok', { candidate_id: 'second' }))]);
      const again = await verifier.verify(reluJob('relu_ok', { candidate_id: 'third' }));
      expect([a.candidate_id, b.candidate_id, again.candidate_id]).toEqual(['first', 'second', 'third']);
      expect(a.correct).toBe(true);
      expect({ ...b, candidate_id: 'first' }).toEqual(a);
      const ids = await client.zrange(`bull:${QUEUE}:completed`, 0, -1);
      const data = await Promise.all(ids.map((id) => client.hget(`bull:${QUEUE}:${id}`, 'data')));
      expect(data.filter((d) => ['first', 'second', 'third'].some((c) => d?.includes(`"candidate_id":"${c}"`)))).toHaveLength(1);
      expect(await cuda.getJobState('cuda-probe')).toBe('waiting');
      expect(data.some((d) => d?.includes('cuda-probe'))).toBe(false);
    } finally {
      await verifier.close();
      await cuda.obliterate({ force: true });
      await cuda.close();
      client.disconnect();
    }
  }, BUILD_MS);

  it('kill -9 of a worker mid-job: another worker finishes it; no record lost or doubled', async () => {
    await Promise.all(workers.splice(0).map(stopWorker));
    const doomed = await startWorker(redis.url, builds);
    const build = run('killed', ['--set', 'verify.seed=99', ...queueFlags()]);
    const client = redis.client();
    // A new seed makes new job ids: these jobs are the doomed worker's alone until it dies.
    const active = await pollUntil(async () => (await client.llen(`bull:${QUEUE}:active`)) > 0, BUILD_MS, 50);
    expect(active).toBe(true);
    const victim = (await client.lrange(`bull:${QUEUE}:active`, 0, -1))[0]!;
    doomed.proc.kill('SIGKILL');
    await doomed.proc;
    workers.push(await startWorker(redis.url, builds));
    const done = await build;
    expect(done.exitCode, done.all).toBe(0);
    const job = await client.hgetall(`bull:${QUEUE}:${victim}`);
    client.disconnect();
    expect(job['finishedOn']).toBeTruthy();
    expect(job['returnvalue']).toContain(workers[0]!.log.find((l) => l.includes('ready'))!.split(' ')[2]!); // the rescuer's worker id
    const rows = await verdicts(path.join(work, 'runs/killed'));
    expect(rows.length).toBe(expected.length);
    expect(new Set(rows.map((r) => r.record_id)).size).toBe(rows.length);
  }, BUILD_MS);

  it('Redis restarted mid-run (AOF on its folder): the run completes with the same records, none lost or doubled', async () => {
    const before = await count(`bull:${QUEUE}:completed`);
    // --no-cache: fresh job ids, so every candidate is verified again, through the restart.
    const build = run('restarted', ['--no-cache', ...queueFlags()]);
    expect(await pollUntil(async () => (await count(`bull:${QUEUE}:completed`)) > before, BUILD_MS, 100)).toBe(true);
    const finishedBefore = await count(`bull:${QUEUE}:completed`);
    await redis.stop();
    await redis.up();
    expect(await count(`bull:${QUEUE}:completed`)).toBeGreaterThanOrEqual(finishedBefore); // the AOF kept them
    const done = await build;
    expect(done.exitCode, done.all).toBe(0);
    expect(await verdicts(path.join(work, 'runs/restarted'))).toEqual(expected);
    expect((await count(`bull:${QUEUE}:completed`)) - before).toBe(expected.length);
  }, BUILD_MS);

  it('builds off the device: a build worker fills the build store, the device worker loads from it; same records', async () => {
    await Promise.all(workers.splice(0).map(stopWorker));
    const store = path.join(work, 'build-store');
    workers.push(await startWorker(redis.url, builds, ['--role', 'build', '--build-store', store, '--build-concurrency', '2']));
    workers.push(await startWorker(redis.url, builds, ['--role', 'gpu', '--build-store', store]));
    // One problem of the two: every build here is a real compile again (the store is the point), and
    // two candidates show the split as well as four.
    const done = await run('split', ['--no-cache', '--name', '^1001_ReLU$', '--set', 'verify.queue.split_builds=true', ...queueFlags()]);
    expect(done.exitCode, done.all).toBe(0);
    const relu = expected.filter((r) => r['problem_name'] === '1001_ReLU');
    expect(relu.length).toBeGreaterThanOrEqual(2);
    expect(await verdicts(path.join(work, 'runs/split'))).toEqual(relu);
    const client = redis.client();
    try {
      const ids = await client.zrange('bull:kforge-verify-build-cpu:completed', 0, -1);
      expect(ids).toHaveLength(relu.length);
      const built = await Promise.all(ids.map(async (id) => [id, JSON.parse((await client.hget(`bull:kforge-verify-build-cpu:${id}`, 'returnvalue'))!) as { final: boolean; result: { phase: string } }] as const));
      const handedOn = built.filter(([, b]) => !b.final);
      expect(handedOn.length).toBeGreaterThan(0);
      for (const [id, b] of built) {
        expect(b.result.phase).toBe('build');
        // Longest builds first (build-order.ts): each build job carries the priority its source earns.
        const [data, priority] = await client.hmget(`bull:kforge-verify-build-cpu:${id}`, 'data', 'priority');
        expect(Number(priority)).toBe(buildPriority((JSON.parse(data!) as QueueJobData).job));
        const device = await client.hget(`bull:${QUEUE}:${id}`, 'returnvalue');
        if (b.final) expect(device).toBeNull(); // the build settled it: never on the device queue
        else expect(JSON.parse(device!)).toMatchObject({ result: { phase: 'gpu', build_source: 'store' }, worker: { role: 'gpu' } });
      }
    } finally {
      client.disconnect();
    }
  }, BUILD_MS);

  it('Redis unreachable: a clear error naming the URL and how to start Redis, no hang, no run folder', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const r = await runKforge([...BUILD, '--out', path.join(work, 'runs'), '--run-id', 'noredis', '--set', 'verify.mode=queue', '--set', `verify.queue.url=${url}`], { timeoutMs: 120_000 });
    expect(r.exitCode, r.all).toBe(1);
    expect(r.stderr).toContain(`Cannot reach Redis at ${url}`);
    expect(r.stderr).toContain('redis-server --port 6379 --appendonly yes');
    expect(r.stderr).not.toContain('unexpected error');
    expect(existsSync(path.join(work, 'runs/noredis'))).toBe(false);
    const status = await runKforge(['fleet', 'status', '--url', url], { timeoutMs: 120_000 });
    expect(status.exitCode, status.all).toBe(1);
    expect(status.stderr).toContain(`Cannot reach Redis at ${url}`);
  }, 300_000);
});
