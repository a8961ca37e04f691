/**
 * What `kforge worker` runs: BullMQ workers that pull VerifyJobs from a queue and verify them with the
 * local harness (the streaming `verify.py --stdin` driver, exactly as a local build does). On a GPU
 * host, one BullMQ worker per GPU, its harness pinned with CUDA_VISIBLE_DEVICES; on cpu, one.
 *
 * What fails how: a bad candidate (crash, hang, CUDA fault) is a verdict and is returned; a harness
 * that could not run (driver died, interpreter broken) throws, so BullMQ retries the job with backoff
 * up to its attempts; a job this worker cannot verify the same way (other harness version or
 * environment) is refused with UnrecoverableError, so it fails at once with the reason instead of being
 * measured differently. The job lock is renewed by BullMQ on Node's event loop, which the harness
 * (a child process) never blocks, so a long build keeps its lock; a killed worker's job is picked up
 * by another once the lock expires (stalled-job recovery).
 */
import os from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { LocalVerifier, type LocalVerifierOptions } from '../local-verifier.ts';
import type { Backend } from '../protocol.ts';
import { registerWorker } from './fleet-registry.ts';
import { queueJobDataSchema, type QueueReturn, type WorkerInfo } from './queue-messages.ts';
import { queueName, type QueueAddress } from './queue-names.ts';
import { checkRedis, queueConnection } from './redis-connection.ts';

export interface FleetWorkerOptions extends Omit<QueueAddress, 'backend'>, Omit<LocalVerifierOptions, 'workers' | 'env' | 'onLog'> {
  backend: Backend;
  /** Candidates at once per GPU (per host on cpu): builds overlap, timing stays exclusive per device. */
  concurrency: number;
  /** One BullMQ worker per entry, pinned; empty: one unpinned worker (cpu). */
  gpus: string[];
  /** Job lock, ms: a dead worker's job is taken over after about this long (BullMQ renews it at half). */
  lockMs: number;
  log: (line: string) => void;
}

export interface RunningFleetWorker {
  workers: WorkerInfo[];
  /** Stops taking jobs, lets the running ones finish, unregisters. */
  close(): Promise<void>;
}

export async function startFleetWorker(o: FleetWorkerOptions): Promise<RunningFleetWorker> {
  await checkRedis(o.url);
  const queue = queueName(o);
  const slots: (string | null)[] = o.gpus.length ? o.gpus : [null];
  const stops: (() => Promise<void>)[] = [];
  const infos: WorkerInfo[] = [];
  for (const gpu of slots) {
    const env = gpu === null ? { ...process.env } : { ...process.env, CUDA_VISIBLE_DEVICES: gpu };
    const verifier = new LocalVerifier({ ...o, workers: o.concurrency, env, onLog: (l) => o.log(`[harness${gpu === null ? '' : ` gpu ${gpu}`}] ${l}`) });
    // An interpreter or device that cannot even describe itself: fail at start, not job by job.
    const environment = await verifier.environment(o.backend);
    const info: WorkerInfo = {
      worker_id: `${os.hostname()}-${process.pid}-${gpu ?? o.backend}`, host: os.hostname(), pid: process.pid, gpu, harness_version: verifier.version, environment,
    };
    const workerConnection = queueConnection(o.url);
    const registryConnection = queueConnection(o.url);
    const worker = new Worker(queue, (job: Job) => processJob(job, info, verifier), {
      connection: workerConnection, concurrency: o.concurrency, lockDuration: o.lockMs, stalledInterval: Math.max(1000, Math.floor(o.lockMs / 2)), maxStalledCount: 3,
      name: info.worker_id,
    });
    worker.on('failed', (job, err) => o.log(`kforge worker ${info.worker_id}: job ${String(job?.id)} failed (attempt ${String(job?.attemptsMade)}): ${err.message}`));
    worker.on('error', (err) => o.log(`kforge worker ${info.worker_id}: ${err.message}`));
    await worker.waitUntilReady();
    const unregister = await registerWorker(registryConnection, { ...info, queue, concurrency: o.concurrency, started_at: new Date().toISOString() });
    infos.push(info);
    stops.push(async () => {
      await unregister();
      await worker.close();
      await verifier.close();
      workerConnection.disconnect(); // BullMQ leaves a connection it was given open
      registryConnection.disconnect();
    });
  }
  return { workers: infos, close: async () => void (await Promise.all(stops.map((s) => s()))) };
}

async function processJob(job: Job, me: WorkerInfo, verifier: LocalVerifier): Promise<QueueReturn> {
  const parsed = queueJobDataSchema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`job ${String(job.id)} is not a kforge VerifyJob: ${parsed.error.message}`);
  const { job: verifyJob, expect } = parsed.data;
  if (expect.harness_version !== me.harness_version) {
    throw new UnrecoverableError(`worker ${me.worker_id} runs harness ${me.harness_version}; job ${String(job.id)} expects ${expect.harness_version}: run a worker of that version`);
  }
  if (JSON.stringify(expect.environment) !== JSON.stringify(me.environment)) {
    throw new UnrecoverableError(`worker ${me.worker_id} measures in ${JSON.stringify(me.environment)}; job ${String(job.id)} expects ${JSON.stringify(expect.environment)}: use a queue per device kind (verify.queue.device)`);
  }
  // VerifierDiedError and the like propagate: an infrastructure fault, retried with backoff.
  const result = await verifier.verify(verifyJob);
  return { result, worker: me };
}
