/**
 * `npm run bench:fleet [-- --candidates python|builtin --count 40 --workers 1,2,4]` (also the last part
 * of `npm run bench`): the same cpu candidates, with the verification cache off so every one is really
 * verified, through the local pool (verify.workers harness processes, default 2) and through the Redis
 * queue (a real redis-server on loopback, started here) with 1, 2 and 4 real `kforge worker` processes
 * (one candidate at a time each); then the orchestrator's own cost per job: QueueVerifier.verify() round
 * trips against a worker that answers at once (no harness), next to the verification time per candidate
 * the queued runs' jobs report. Each figure carries the load average (`uptime`) around it.
 * Writes bench/results/fleet-<candidates>.json (or fleet-overhead.json) and prints a Markdown table.
 */
import { mkdtempSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'bullmq';
import { execa } from 'execa';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { verifyResultSchema } from '../stages/verify/protocol.ts';
import { findPython } from '../stages/verify/python.ts';
import { registerWorker } from '../stages/verify/queue/fleet-registry.ts';
import type { QueueReturn } from '../stages/verify/queue/queue-messages.ts';
import { QueueVerifier } from '../stages/verify/queue/queue-verifier.ts';
import { queueConnection } from '../stages/verify/queue/redis-connection.ts';
import { reluJob } from '../test/harness/jobs.ts';
import { startWorker, stopWorker } from '../test/support/fleet-workers.ts';
import { TestRedis } from '../test/support/redis-server.ts';
import { jobFigures, prepareCandidates, timedRun, type CandidateKind, type JobFigures, type RunFigures } from './fleet-runs.ts';

const args = await yargs(hideBin(process.argv))
  .option('candidates', { choices: ['python', 'builtin'] as const, default: 'python' as CandidateKind, describe: 'python: pure-PyTorch candidates (nothing to compile); builtin: the builtin C++ candidates, prebuilt' })
  .option('count', { type: 'number', default: 40, describe: 'python candidates (40: about 1-2 min a run on 2 cores)' })
  .option('limit', { type: 'number', default: 2, describe: 'builtin: problems' })
  .option('ideas', { type: 'number', default: 2, describe: 'builtin: ideas per problem' })
  .option('impls', { type: 'number', default: 1, describe: 'builtin: implementations per idea' })
  .option('workers', { type: 'string', default: '1,2,4', describe: 'worker processes per queued run' })
  .option('overhead-jobs', { type: 'number', default: 50 })
  .option('only', { choices: ['all', 'overhead'] as const, default: 'all' as const, describe: 'overhead: only the round trips (no harness, seconds)' })
  .parseAsync();

const here = path.dirname(fileURLToPath(import.meta.url));
const work = mkdtempSync(path.join(os.tmpdir(), 'kforge-bench-fleet-'));
const buildsDir = path.join(work, 'cache'); // builds only: every run has --no-cache, every worker reads it
const QUEUE = 'kforge-verify-cpu';
const log = (l: string) => process.stderr.write(`[bench fleet] ${l}\n`);
const uptime = async () => (await execa('uptime', { reject: false })).stdout.trim();

type Row = { mode: 'local' | 'queue'; workers: number; uptime_before: string } & RunFigures & { speedup_vs_local?: number; jobs?: JobFigures };
const rows: Row[] = [];
let overheadFigures: Record<string, number | number[]> | null = null;
let describe = 'none (overhead only)';

const redis = await TestRedis.start();
try {
  if (args.only === 'all') await throughput();
  overheadFigures = await overhead(redis.url, args.overheadJobs);
} finally {
  await redis.stop();
}

/** The same candidates through the local pool, then through the queue with each worker count. */
async function throughput(): Promise<void> {
  const set = await prepareCandidates(args.candidates, { work, count: args.count, limit: args.limit, ideas: args.ideas, impls: args.impls, buildsDir, log });
  describe = set.describe;
  log(`candidates: ${set.describe}`);
  let before = await uptime();
  const local = await timedRun(set, 'local', []);
  rows.push({ mode: 'local', workers: 2, uptime_before: before, ...local });
  log(`local pool: ${local.candidates} candidates in ${local.seconds.toFixed(1)} s (load ${local.load_before[0]!.toFixed(2)} -> ${local.load_after[0]!.toFixed(2)})`);
  for (const n of args.workers.split(',').map(Number)) {
    const ws = await Promise.all(Array.from({ length: n }, () => startWorker(redis.url, buildsDir)));
    try {
      before = await uptime();
      const q = await timedRun(set, `queue-${n}`, ['--set', 'verify.mode=queue', '--set', `verify.queue.url=${redis.url}`]);
      rows.push({ mode: 'queue', workers: n, uptime_before: before, ...q, speedup_vs_local: local.seconds / q.seconds, jobs: await jobFigures(redis.url, QUEUE) });
      log(`queue, ${n} worker(s): ${q.candidates} candidates in ${q.seconds.toFixed(1)} s (load ${q.load_before[0]!.toFixed(2)} -> ${q.load_after[0]!.toFixed(2)})`);
    } finally {
      await Promise.all(ws.map(stopWorker));
    }
  }
}

/** verify() round trips through Redis against a worker that answers with a canned verdict at once. */
async function overhead(url: string, jobs: number): Promise<Record<string, number | number[]>> {
  const canned = await cannedReturn();
  const connection = queueConnection(url);
  const registry = queueConnection(url);
  const worker = new Worker(QUEUE, async () => canned, { connection, concurrency: 1 });
  await worker.waitUntilReady();
  const stop = await registerWorker(registry, { ...canned.worker, queue: QUEUE, concurrency: 1, started_at: new Date().toISOString() });
  const verifier = await QueueVerifier.open({ url, name: 'kforge-verify', device: '', attempts: 1, workerWaitS: 30, reuse: false });
  try {
    const load_before = os.loadavg();
    const t0 = performance.now();
    for (let i = 0; i < jobs; i++) await verifier.verify(reluJob('relu_ok', { candidate_id: `overhead-${i}` }));
    const sequential = (performance.now() - t0) / jobs;
    const t1 = performance.now();
    await Promise.all(Array.from({ length: jobs }, (_, i) => verifier.verify(reluJob('relu_ok', { candidate_id: `overhead-par-${i}` }))));
    return { jobs, ms_per_job_sequential: sequential, ms_per_job_all_at_once: (performance.now() - t1) / jobs, load_before, load_after: os.loadavg() };
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

/** The Markdown table docs/fleet.md records. */
function table(): string {
  const f = (x: number | undefined, d = 1) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));
  const sequential = overheadFigures?.['ms_per_job_sequential'] as number | undefined;
  const lines = [
    `candidates: ${describe}; ${os.cpus().length} cores; orchestrator round trip (canned worker): ${f(sequential, 1)} ms/job one at a time, ${f(overheadFigures?.['ms_per_job_all_at_once'] as number | undefined, 1)} ms/job ${args.overheadJobs} at once`,
    '',
    '| verifier | candidates | correct | wall s | candidates/s | vs local | verify s/candidate (harness) | worker overhead ms/job | round trip / verify | load 1-min before -> after |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const name = r.mode === 'local' ? `local pool (${r.workers} harness workers)` : `queue, ${r.workers} worker process${r.workers > 1 ? 'es' : ''}`;
    const share = r.jobs && sequential !== undefined ? `${f((sequential / 1000 / r.jobs.verify_s_mean) * 100, 2)}%` : '-';
    lines.push(`| ${name} | ${r.candidates} | ${r.correct} | ${f(r.seconds)} | ${f(r.candidates_per_s, 3)} | ${r.speedup_vs_local ? `${f(r.speedup_vs_local, 2)}x` : '1.00x'} | ${f(r.jobs?.verify_s_mean, 2)} | ${f(r.jobs?.worker_overhead_ms_mean, 0)} | ${share} | ${f(r.load_before[0], 2)} -> ${f(r.load_after[0], 2)} |`);
  }
  return lines.join('\n');
}

const name = args.only === 'overhead' ? 'fleet-overhead' : `fleet-${args.candidates}`;
const summary = { cpus: os.cpus().length, node: process.version, candidates: describe, args, runs: rows, overhead: overheadFigures, at: new Date().toISOString(), table: table() };
await mkdir(path.join(here, 'results'), { recursive: true });
await writeFile(path.join(here, 'results', `${name}.json`), `${JSON.stringify(summary, null, 2)}\n`);
process.stdout.write(`${table()}\n\nwritten: bench/results/${name}.json\n`);
