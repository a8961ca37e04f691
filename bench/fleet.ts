/**
 * `npx tsx bench/fleet.ts [--limit 5 --ideas 2 --impls 2 --workers 1,2,4]` (also the last part of
 * `npm run bench`): the same builtin cpu candidates verified by the local pool and through the Redis
 * queue by 1, 2 and 4 `kforge worker` processes on this machine (wall time of `kforge build --no-cache`,
 * every extension built once beforehand so all measure verification, not compiling); then the
 * orchestrator's own cost per job: QueueVerifier.verify() round trips against a worker that answers at
 * once (no harness), next to the verification time per candidate. Writes bench/results/fleet.json.
 */
import { mkdtempSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'bullmq';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { registerWorker } from '../stages/verify/queue/fleet-registry.ts';
import { execa } from 'execa';
import { verifyResultSchema } from '../stages/verify/protocol.ts';
import { findPython } from '../stages/verify/python.ts';
import type { QueueReturn } from '../stages/verify/queue/queue-messages.ts';
import { QueueVerifier } from '../stages/verify/queue/queue-verifier.ts';
import { queueConnection } from '../stages/verify/queue/redis-connection.ts';
import { startWorker, stopWorker } from '../test/support/fleet-workers.ts';
import { TestRedis } from '../test/support/redis-server.ts';
import { runKforge } from '../test/support/run-kforge.ts';
import { reluJob } from '../test/harness/jobs.ts';

const args = await yargs(hideBin(process.argv))
  .option('limit', { type: 'number', default: 5, describe: 'builtin problems' })
  .option('ideas', { type: 'number', default: 2 })
  .option('impls', { type: 'number', default: 2 })
  .option('workers', { type: 'string', default: '1,2,4', describe: 'worker processes per queued run' })
  .option('overhead-jobs', { type: 'number', default: 50 })
  .option('only', { choices: ['all', 'overhead'], default: 'all', describe: 'overhead: only the round trips (no harness, seconds)' })
  .parseAsync();

const here = path.dirname(fileURLToPath(import.meta.url));
const work = mkdtempSync(path.join(os.tmpdir(), 'kforge-bench-fleet-'));
const builds = path.join(work, 'cache-warm'); // every run and worker reads these builds
const BUILD = ['build', '--limit', String(args.limit), '--rounds', '1', '--ideas', String(args.ideas), '--impls', String(args.impls), '--progress', 'lines', '--out', path.join(work, 'runs')];
const log = (l: string) => process.stderr.write(`[bench fleet] ${l}\n`);

async function timedBuild(id: string, extra: string[]): Promise<{ seconds: number; candidates: number }> {
  const t0 = performance.now();
  const r = await runKforge([...BUILD, '--run-id', id, '--no-cache', '--set', `cache.dir=${path.join(work, `cache-${id}`)}`, ...extra], { timeoutMs: 3_600_000 });
  if (r.exitCode !== 0) throw new Error(`kforge build ${id} failed:\n${r.all}`);
  const seconds = (performance.now() - t0) / 1000;
  const m = /candidates: (\d+)/.exec(r.all);
  return { seconds, candidates: m ? Number(m[1]) : NaN };
}

const redis = await TestRedis.start();
const results: Record<string, unknown>[] = [];
try {
  if (args.only === 'all') await throughput();
  results.push({ mode: 'overhead', ...(await overhead(redis.url, args.overheadJobs)) });
} finally {
  await redis.stop();
}

/** The same candidates through the local pool and through the queue with 1, 2, 4 workers. */
async function throughput(): Promise<void> {
  log('warming the build folder (every extension compiled once)');
  const warm = await runKforge([...BUILD, '--run-id', 'warm', '--set', `cache.dir=${builds}`], { timeoutMs: 3_600_000 });
  if (warm.exitCode !== 0) throw new Error(`warm-up build failed:\n${warm.all}`);
  // The local pool reads the same builds: its cache.dir is copied from the warm one's builds/.
  const local = await timedBuild('local', ['--set', `cache.dir=${builds}`]);
  results.push({ mode: 'local', workers: 2, ...local, per_candidate_s: local.seconds / local.candidates });
  log(`local pool: ${local.candidates} candidates in ${local.seconds.toFixed(1)} s`);
  for (const n of args.workers.split(',').map(Number)) {
    const ws = await Promise.all(Array.from({ length: n }, () => startWorker(redis.url, builds)));
    try {
      const q = await timedBuild(`queue-${n}`, ['--set', 'verify.mode=queue', '--set', `verify.queue.url=${redis.url}`]);
      results.push({ mode: 'queue', workers: n, ...q, per_candidate_s: q.seconds / q.candidates, speedup_vs_local: local.seconds / q.seconds });
      log(`queue, ${n} worker(s): ${q.candidates} candidates in ${q.seconds.toFixed(1)} s`);
    } finally {
      await Promise.all(ws.map(stopWorker));
    }
  }
}

/** verify() round trips through Redis against a worker that answers with a canned verdict at once. */
async function overhead(url: string, jobs: number): Promise<Record<string, number>> {
  const canned = await cannedReturn();
  const connection = queueConnection(url);
  const registry = queueConnection(url);
  const worker = new Worker('kforge-verify-cpu', async () => canned, { connection, concurrency: 1 });
  await worker.waitUntilReady();
  const stop = await registerWorker(registry, { ...canned.worker, queue: 'kforge-verify-cpu', concurrency: 1, started_at: new Date().toISOString() });
  const verifier = await QueueVerifier.open({ url, name: 'kforge-verify', device: '', attempts: 1, workerWaitS: 30, reuse: false });
  try {
    const t0 = performance.now();
    for (let i = 0; i < jobs; i++) await verifier.verify(reluJob('relu_ok', { candidate_id: `overhead-${i}` }));
    const sequential = (performance.now() - t0) / jobs;
    const t1 = performance.now();
    await Promise.all(Array.from({ length: jobs }, (_, i) => verifier.verify(reluJob('relu_ok', { candidate_id: `overhead-par-${i}` }))));
    return { jobs, ms_per_job_sequential: sequential, ms_per_job_all_at_once: (performance.now() - t1) / jobs };
  } finally {
    await verifier.close();
    await stop();
    await worker.close();
    connection.disconnect();
    registry.disconnect();
  }
}

/** An empty verdict of the protocol (the harness's own empty_result, no torch), to answer the overhead jobs with. */
async function cannedReturn(): Promise<QueueReturn> {
  const code = 'import json; from kforge_harness.protocol import empty_result as e, empty_environment as v; ' +
    "r = e('x', 'cpu', 'default', 1e-4, 1e-4); r['env'] = v(); print(json.dumps(r))";
  const r = await execa(await findPython(undefined), ['-c', code], { cwd: path.join(here, '../stages/verify/harness') });
  const result = verifyResultSchema.parse(JSON.parse(String(r.stdout)));
  return { result, worker: { worker_id: 'bench-instant', host: os.hostname(), pid: process.pid, gpu: null, role: 'gpu', harness_version: result.verifier_version, environment: result.env } };
}

const summary = { cpus: os.cpus().length, load_average_at_start: os.loadavg(), node: process.version, args, results, at: new Date().toISOString() };
await mkdir(path.join(here, 'results'), { recursive: true });
await writeFile(path.join(here, 'results', 'fleet.json'), `${JSON.stringify(summary, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
