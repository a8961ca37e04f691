/**
 * What `kforge worker` runs: BullMQ workers that pull VerifyJobs from Redis and verify them with the
 * local harness (the streaming `verify.py --stdin` driver, exactly as a local build does).
 *
 * Two roles. A device worker (role gpu; on the cpu backend it is the step that runs the kernel) serves
 * the device queue: on a GPU host one BullMQ worker per GPU, its harness pinned with CUDA_VISIBLE_DEVICES.
 * With a build store it runs the harness's `gpu` phase (prebuilt extensions from the store; it builds
 * what the store lacks, and the result says so), else the whole job. A build worker (role build; no GPU
 * needed) serves the build queue: it runs the `build` phase into the build store and, unless the build
 * settled the verdict (it failed), hands the job on to the device queue under the same job id.
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
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { LocalVerifier, type LocalVerifierOptions } from '../local-verifier.ts';
import type { Backend, Environment, VerifyJob } from '../protocol.ts';
import { registerWorker } from './fleet-registry.ts';
import { addVerifyJob } from './job-options.ts';
import { queueJobDataSchema, type BuildReturn, type QueueJobData, type QueueReturn, type WorkerInfo, type WorkerRole } from './queue-messages.ts';
import { buildQueueName, queueName, type QueueAddress } from './queue-names.ts';
import { checkRedis, queueConnection } from './redis-connection.ts';

const BUILD_NICENESS = 10;

export interface FleetWorkerOptions extends Omit<QueueAddress, 'backend'>, Omit<LocalVerifierOptions, 'workers' | 'env' | 'onLog'> {
  backend: Backend;
  roles: WorkerRole[];
  /** Device steps at once per GPU (per host on cpu); timing stays exclusive per device (the harness's lock).
   * `deviceShare` (default: this) is how many of them may check correctness on the device at once. */
  concurrency: number;
  /** Builds at once on this host (role build). */
  buildConcurrency: number;
  /** Device workers: one per entry, pinned; empty: one unpinned (cpu). */
  gpus: string[];
  /** Job lock, ms: a dead worker's job is taken over after about this long (BullMQ renews it at half). */
  lockMs: number;
  log: (line: string) => void;
}

export interface RunningFleetWorker {
  workers: (WorkerInfo & { queue: string; concurrency: number })[];
  /** Stops taking jobs, lets the running ones finish, unregisters. */
  close(): Promise<void>;
}

interface Slot {
  role: WorkerRole;
  gpu: string | null;
  queue: string;
  concurrency: number;
}

export async function startFleetWorker(o: FleetWorkerOptions): Promise<RunningFleetWorker> {
  await checkRedis(o.url);
  if (o.roles.includes('build') && !o.buildStore) throw new TypeError('a build worker needs a build store (--build-store DIR) to put its builds in');
  const slots: Slot[] = [];
  if (o.roles.includes('build')) slots.push({ role: 'build', gpu: null, queue: buildQueueName(o), concurrency: o.buildConcurrency });
  if (o.roles.includes('gpu')) {
    for (const gpu of o.gpus.length ? o.gpus : [null]) slots.push({ role: 'gpu', gpu, queue: queueName(o), concurrency: o.concurrency });
  }
  const stops: (() => Promise<void>)[] = [];
  const infos: RunningFleetWorker['workers'] = [];
  try {
    for (const slot of slots) {
      const running = await startSlot(o, slot);
      stops.push(running.stop);
      infos.push({ ...running.info, queue: slot.queue, concurrency: slot.concurrency });
    }
  } catch (error) {
    await Promise.all(stops.map((s) => s()));
    throw error;
  }
  return { workers: infos, close: async () => void (await Promise.all(stops.map((s) => s()))) };
}

async function startSlot(o: FleetWorkerOptions, slot: Slot): Promise<{ info: WorkerInfo; stop: () => Promise<void> }> {
  const { gpu, role } = slot;
  const env = gpu === null ? { ...process.env } : { ...process.env, CUDA_VISIBLE_DEVICES: gpu };
  const tag = `${role}${gpu === null ? '' : ` gpu ${gpu}`}`;
  // A device worker's candidates check correctness side by side (timing stays exclusive): by default as
  // many as it runs at once, or its imports and checks would queue behind one another's measurements.
  const deviceShare = o.deviceShare ?? slot.concurrency;
  // Builds are throughput work: niced, so on a host that also measures, a device step's import and timing
  // loop get the CPU at once (measured on the H200 with 14 builds in flight: steps of 2-3 s on the device
  // took 17-35 s of wall).
  const nice = role === 'build' ? BUILD_NICENESS : 0;
  const verifier = new LocalVerifier({ ...o, workers: slot.concurrency, deviceShare, nice, env, onLog: (l) => o.log(`[harness ${tag}] ${l}`) });
  // An interpreter or device that cannot even describe itself: fail at start, not job by job.
  const environment = await verifier.environment(o.backend);
  const info: WorkerInfo = {
    worker_id: `${os.hostname()}-${process.pid}-${role}-${gpu ?? o.backend}`, host: os.hostname(), pid: process.pid, gpu, role, harness_version: verifier.version, environment,
  };
  const workerConnection = queueConnection(o.url);
  const registryConnection = queueConnection(o.url);
  const handoff = role === 'build' ? new Queue(queueName(o), { connection: registryConnection }) : null;
  const process_ = handoff
    ? (job: Job) => buildJob(job, info, verifier, handoff)
    : (job: Job) => deviceJob(job, info, verifier, o.buildStore ? 'gpu' : 'all');
  const worker = new Worker(slot.queue, process_, {
    connection: workerConnection, concurrency: slot.concurrency, lockDuration: o.lockMs, stalledInterval: Math.max(1000, Math.floor(o.lockMs / 2)), maxStalledCount: 3,
    name: info.worker_id,
  });
  worker.on('failed', (job, err) => o.log(`kforge worker ${info.worker_id}: job ${String(job?.id)} failed (attempt ${String(job?.attemptsMade)}): ${err.message}`));
  worker.on('error', (err) => o.log(`kforge worker ${info.worker_id}: ${err.message}`));
  await worker.waitUntilReady();
  const unregister = await registerWorker(registryConnection, { ...info, queue: slot.queue, concurrency: slot.concurrency, started_at: new Date().toISOString() });
  const stop = async () => {
    await unregister();
    await worker.close();
    await handoff?.close();
    await verifier.close();
    workerConnection.disconnect(); // BullMQ leaves a connection it was given open
    registryConnection.disconnect();
  };
  return { info, stop };
}

function parseJob(job: Job, me: WorkerInfo): QueueJobData {
  const parsed = queueJobDataSchema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`job ${String(job.id)} is not a kforge VerifyJob: ${parsed.error.message}`);
  const { expect } = parsed.data;
  if (expect.harness_version !== me.harness_version) {
    throw new UnrecoverableError(`worker ${me.worker_id} runs harness ${me.harness_version}; job ${String(job.id)} expects ${expect.harness_version}: run a worker of that version`);
  }
  const mine = me.role === 'build' ? toolchain(me.environment) : me.environment;
  const theirs = me.role === 'build' ? toolchain(expect.environment) : expect.environment;
  if (JSON.stringify(mine) !== JSON.stringify(theirs)) {
    throw new UnrecoverableError(`worker ${me.worker_id} (${me.role}) has ${JSON.stringify(mine)}; job ${String(job.id)} expects ${JSON.stringify(theirs)}: use a queue per device kind (verify.queue.device) and the same toolchain`);
  }
  return parsed.data;
}

/** What a build depends on (a build host need not have the device; its toolchain must be the same). */
function toolchain(e: Environment): Partial<Environment> {
  return { torch_version: e.torch_version, cuda_version: e.cuda_version, python_version: e.python_version };
}

async function deviceJob(job: Job, me: WorkerInfo, verifier: LocalVerifier, phase: 'gpu' | 'all'): Promise<QueueReturn> {
  const data = parseJob(job, me);
  // VerifierDiedError and the like propagate: an infrastructure fault, retried with backoff.
  const phased: VerifyJob = { ...data.job, phase };
  const result = await verifier.verify(phased);
  return { result, worker: me };
}

async function buildJob(job: Job, me: WorkerInfo, verifier: LocalVerifier, handoff: Queue): Promise<BuildReturn> {
  const data = parseJob(job, me);
  const phased: VerifyJob = { ...data.job, phase: 'build' };
  const result = await verifier.verify(phased);
  if (result.fail_stage !== null) return { result, worker: me, final: true, handed_to: null };
  // Added before this job completes: a build worker killed in between redoes the build (a store hit)
  // and adds again, which is a no-op for an existing id.
  const id = String(job.id);
  await addVerifyJob(handoff, id, data, job.opts.attempts ?? 1);
  return { result, worker: me, final: false, handed_to: { queue: handoff.name, id } };
}
