/**
 * The timed runs of bench/fleet.ts: one set of cpu candidates, verified with the verification cache
 * off (every candidate really runs the harness) by the local pool or through the Redis queue, and what
 * the queue's own records say about each job afterwards (BullMQ keeps finished jobs with their
 * timestamps and the worker's verdict, so nothing extra is instrumented).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { queueReturnSchema } from '../stages/verify/queue/queue-messages.ts';
import { queueConnection } from '../stages/verify/queue/redis-connection.ts';
import { pythonKernel } from '../test/support/imported.ts';
import { KERNELBENCH_FIXTURE_JSONL } from '../test/support/paths.ts';
import { runKforge } from '../test/support/run-kforge.ts';

export type CandidateKind = 'python' | 'builtin';

export interface RunFigures {
  seconds: number;
  candidates: number;
  correct: number;
  candidates_per_s: number;
  /** os.loadavg() (what `uptime` prints) right before and right after the run. */
  load_before: number[];
  load_after: number[];
}

/** What a run needs: the kforge arguments of its candidates, set up once per bench. */
export interface CandidateSet {
  kind: CandidateKind;
  describe: string;
  args: (runId: string) => string[];
}

const TIMEOUT_MS = 3_600_000;

/**
 * python: `count` distinct pure-PyTorch candidates for the fixture's ReLU (every fourth one wrong), read
 * by `kforge verify` from a JSONL: nothing to compile, so the runs measure verification alone.
 * builtin: `kforge build` with the builtin provider's C++ candidates; every extension is compiled once
 * beforehand into `buildsDir`, which every run and worker reads, so the runs measure loading and
 * verifying, not g++.
 */
export async function prepareCandidates(kind: CandidateKind, o: { work: string; count: number; limit: number; ideas: number; impls: number; buildsDir: string; log: (l: string) => void }): Promise<CandidateSet> {
  const out = ['--out', path.join(o.work, 'runs'), '--progress', 'lines', '--no-cache'];
  if (kind === 'python') {
    const file = path.join(o.work, 'generations.jsonl');
    const lines = Array.from({ length: o.count }, (_, i) => JSON.stringify({ problem_name: '19_ReLU', kernel: pythonKernel(`bench-${i}`, 0, i % 4 === 3), sample: i }));
    writeFileSync(file, `${lines.join('\n')}\n`);
    return {
      kind, describe: `${o.count} pure-PyTorch ReLU candidates (kforge verify, fixture problem 19_ReLU, every 4th wrong)`,
      args: (id) => ['verify', file, '--source', KERNELBENCH_FIXTURE_JSONL, ...out, '--run-id', id, '--set', `cache.dir=${o.buildsDir}`],
    };
  }
  const build = ['build', '--limit', String(o.limit), '--rounds', '1', '--ideas', String(o.ideas), '--impls', String(o.impls), ...out];
  o.log('warming the build folder (every extension compiled once; minutes on a loaded 2-core host)');
  const warm = await runKforge([...build.filter((a) => a !== '--no-cache'), '--run-id', 'warm', '--set', `cache.dir=${o.buildsDir}`], { timeoutMs: TIMEOUT_MS });
  if (warm.exitCode !== 0) throw new Error(`warm-up build failed:\n${warm.all}`);
  return {
    kind, describe: `builtin C++ cpu candidates of ${o.limit} problems x ${o.ideas} ideas x ${o.impls} impls (kforge build, extensions prebuilt)`,
    args: (id) => [...build, '--run-id', id, '--set', `cache.dir=${o.buildsDir}`],
  };
}

/** One timed kforge run over the set; `extra` selects the verifier (nothing: the local pool). */
export async function timedRun(set: CandidateSet, id: string, extra: string[]): Promise<RunFigures> {
  const load_before = os.loadavg();
  const t0 = performance.now();
  const r = await runKforge([...set.args(id), ...extra], { timeoutMs: TIMEOUT_MS });
  const seconds = (performance.now() - t0) / 1000;
  if (r.exitCode !== 0) throw new Error(`kforge ${set.args(id)[0]} ${id} failed (exit ${String(r.exitCode)}):\n${r.all}`);
  const count = (label: string) => Number(new RegExp(`\\b${label}: (\\d+)`).exec(r.all)?.[1] ?? NaN);
  const candidates = count('candidates');
  return { seconds, candidates, correct: count('correct'), candidates_per_s: candidates / seconds, load_before, load_after: os.loadavg() };
}

export interface JobFigures {
  jobs: number;
  /** Mean of the harness's own `wall_s` per candidate: the verification itself. */
  verify_s_mean: number;
  /** Mean of (finishedOn - processedOn) - wall_s: the worker's handling beyond the harness (JSON over stdin, parse, return). */
  worker_overhead_ms_mean: number;
  /** Mean of processedOn - timestamp: time in the queue before a worker took the job (load, not overhead). */
  queued_s_mean: number;
  /** Jobs per worker id: how the queue spread the work. */
  per_worker: Record<string, number>;
}

/** Reads every completed job of `queueName` (one run's, since each run starts from an empty queue), then empties the queue. */
export async function jobFigures(url: string, queueName: string): Promise<JobFigures> {
  const connection = queueConnection(url);
  const queue = new Queue(queueName, { connection });
  try {
    const jobs = await queue.getJobs(['completed'], 0, -1);
    let verify = 0;
    let overhead = 0;
    let queued = 0;
    const per_worker: Record<string, number> = {};
    for (const job of jobs) {
      const value = queueReturnSchema.parse(typeof job.returnvalue === 'string' ? JSON.parse(job.returnvalue) : job.returnvalue);
      const handled = ((job.finishedOn ?? NaN) - (job.processedOn ?? NaN)) / 1000;
      verify += value.result.wall_s;
      overhead += handled - value.result.wall_s;
      queued += ((job.processedOn ?? NaN) - job.timestamp) / 1000;
      per_worker[value.worker.worker_id] = (per_worker[value.worker.worker_id] ?? 0) + 1;
    }
    await queue.obliterate({ force: true });
    const n = jobs.length;
    return { jobs: n, verify_s_mean: verify / n, worker_overhead_ms_mean: (overhead / n) * 1000, queued_s_mean: queued / n, per_worker };
  } finally {
    await queue.close();
    connection.disconnect();
  }
}
