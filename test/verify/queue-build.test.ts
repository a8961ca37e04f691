/**
 * Issue 13: verification through a BullMQ queue on a real Redis, with real `kforge worker` processes
 * (each standing for a host) running the real harness on the cpu backend. The records must be those of
 * the local verifier; a worker killed by kill -9 mid-job loses and doubles nothing; an enqueue of the
 * same candidate twice runs once; an unreachable Redis fails at once, naming the URL and the fix.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

async function verdicts(runDir: string): Promise<Record<string, unknown>[]> {
  return duckQuery(`select record_id, problem_name, correct, fail_stage, suspect from read_parquet(${sqlStr(path.join(runDir, 'records/*.parquet'))}) order by record_id`);
}

describe.skipIf(REDIS_MISSING !== null)('kforge build with verify.mode: queue', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'kforge-queue-'));
  let redis: TestRedis;
  const workers: TestWorker[] = [];
  const queueFlags = () => ['--set', 'verify.mode=queue', '--set', `verify.queue.url=${redis.url}`];

  beforeAll(async () => {
    redis = await TestRedis.start();
  }, 60_000);
  afterAll(async () => {
    await Promise.all(workers.map(stopWorker));
    await redis?.stop();
  }, 60_000);

  it('gives the records of the local verifier with 3 worker processes, each candidate verified once', async () => {
    workers.push(...(await Promise.all([1, 2, 3].map((i) => startWorker(redis.url, path.join(work, `wcache${i}`))))));
    const local = await runKforge([...BUILD, '--out', path.join(work, 'runs'), '--run-id', 'local', '--set', `cache.dir=${path.join(work, 'cache-local')}`]);
    expect(local.exitCode, local.all).toBe(0);
    const queued = await runKforge([...BUILD, '--out', path.join(work, 'runs'), '--run-id', 'queued', '--set', `cache.dir=${path.join(work, 'cache-queued')}`, ...queueFlags()]);
    expect(queued.exitCode, queued.all).toBe(0);
    const expected = await verdicts(path.join(work, 'runs/local'));
    expect(expected.length).toBeGreaterThanOrEqual(3);
    expect(await verdicts(path.join(work, 'runs/queued'))).toEqual(expected);
    const client = redis.client();
    const completed = await client.zcard(`bull:${QUEUE}:completed`);
    client.disconnect();
    expect(completed).toBe(expected.length); // distinct kernels: one job each, nothing run twice
  }, 900_000);

  it('a duplicate enqueue of the same candidate runs once; each caller gets its own candidate id', async () => {
    const verifier = await QueueVerifier.open({ url: redis.url, name: 'kforge-verify', device: '', attempts: 2, workerWaitS: 60 });
    try {
      const [a, b] = await Promise.all([verifier.verify(reluJob('relu_ok', { candidate_id: 'first' })), verifier.verify(reluJob('relu_ok', { candidate_id: 'second' }))]);
      const again = await verifier.verify(reluJob('relu_ok', { candidate_id: 'third' }));
      expect([a.candidate_id, b.candidate_id, again.candidate_id]).toEqual(['first', 'second', 'third']);
      expect(a.correct).toBe(true);
      expect({ ...b, candidate_id: 'first' }).toEqual(a);
      const client = redis.client();
      const ids = await client.zrange(`bull:${QUEUE}:completed`, 0, -1);
      const data = await Promise.all(ids.map((id) => client.hget(`bull:${QUEUE}:${id}`, 'data')));
      client.disconnect();
      expect(data.filter((d) => ['first', 'second', 'third'].some((c) => d?.includes(`"candidate_id":"${c}"`)))).toHaveLength(1);
    } finally {
      await verifier.close();
    }
  }, 300_000);

  it('kill -9 of a worker mid-job: another worker finishes it; no record lost or doubled', async () => {
    await Promise.all(workers.splice(0).map(stopWorker));
    const doomed = await startWorker(redis.url, path.join(work, 'wcache-doomed'));
    const build = runKforge([...BUILD, '--out', path.join(work, 'runs'), '--run-id', 'killed', '--set', `cache.dir=${path.join(work, 'cache-killed')}`, '--set', 'verify.seed=99', ...queueFlags()]);
    const client = redis.client();
    // A new seed makes new job ids: these jobs are the doomed worker's alone until it dies.
    const active = await pollUntil(async () => (await client.llen(`bull:${QUEUE}:active`)) > 0, 600_000, 50);
    expect(active).toBe(true);
    const victim = (await client.lrange(`bull:${QUEUE}:active`, 0, -1))[0]!;
    doomed.proc.kill('SIGKILL');
    await doomed.proc;
    workers.push(await startWorker(redis.url, path.join(work, 'wcache-rescuer')));
    const done = await build;
    expect(done.exitCode, done.all).toBe(0);
    const stalledOrRetried = await client.hgetall(`bull:${QUEUE}:${victim}`);
    client.disconnect();
    expect(stalledOrRetried['finishedOn']).toBeTruthy();
    expect(stalledOrRetried['returnvalue']).toContain(workers[0]!.log.find((l) => l.includes('ready'))!.split(' ')[2]!); // the rescuer's worker id
    const rows = await verdicts(path.join(work, 'runs/killed'));
    const expected = await verdicts(path.join(work, 'runs/local'));
    expect(rows.length).toBe(expected.length);
    expect(new Set(rows.map((r) => r.record_id)).size).toBe(rows.length);
  }, 900_000);

  it('Redis unreachable: a clear error naming the URL and how to start Redis, no hang, no run folder', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const r = await runKforge([...BUILD, '--out', path.join(work, 'runs'), '--run-id', 'noredis', '--set', 'verify.mode=queue', '--set', `verify.queue.url=${url}`], { timeoutMs: 120_000 });
    expect(r.exitCode, r.all).toBe(1);
    expect(r.stderr).toContain(`Cannot reach Redis at ${url}`);
    expect(r.stderr).toContain('redis-server --port 6379 --appendonly yes');
    expect(r.stderr).not.toContain('unexpected error');
    expect(existsSync(path.join(work, 'runs/noredis'))).toBe(false);
  }, 180_000);
});
