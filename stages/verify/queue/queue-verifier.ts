/**
 * The verifier of `verify.mode: queue`: each job goes onto a BullMQ queue in Redis with the
 * verification cache key as its job id, and the verdict comes back from whichever `kforge worker`
 * ran it. To the build it looks like the local pool: same Verifier interface, same results, and the
 * cache and resume around it are untouched. The same candidate added twice (two implementations, two
 * runs, two hosts) is one job: BullMQ ignores an add whose id exists and both wait for the one verdict.
 */
import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { RunStoppedError } from '../../core/errors/run-stopping.ts';
import type { Backend, Environment, VerifyJob, VerifyResult } from '../protocol.ts';
import { readHarnessVersion } from '../verdict-definition.ts';
import type { StoppableVerifier } from '../verifier.ts';
import { buildPriority } from './build-order.ts';
import { waitForFleetEnvironment } from './fleet-environment.ts';
import { fleetLine } from './fleet-status.ts';
import { addVerifyJob } from './job-options.ts';
import { buildReturnSchema, queueReturnSchema, type QueueJobData } from './queue-messages.ts';
import { buildQueueName, queueJobId, queueName, type QueueAddress } from './queue-names.ts';
import { checkRedis, queueConnection, settingsWarnings } from './redis-connection.ts';

export interface QueueVerifierOptions extends Omit<QueueAddress, 'backend'> {
  /** Tries of a job after infrastructure faults (the worker's harness could not start). */
  attempts: number;
  /** Seconds to wait for a first worker of the queue. */
  workerWaitS: number;
  /** false (--no-cache): a fresh job id per call, so nothing finished earlier is reused. */
  reuse?: boolean;
  /** Builds off the GPU: jobs go to the build queue first (build workers hand them on to the device queue). */
  splitBuilds?: boolean;
  log?: (line: string) => void;
}

/** A job the fleet gave up on (its attempts spent, or refused by a worker that cannot verify it). */
export class QueueJobFailedError extends Error {
  override readonly name = 'QueueJobFailedError';
}
/** A worker returned something that is not a verdict of the protocol. */
export class QueueProtocolError extends Error {
  override readonly name = 'QueueProtocolError';
}

/** Events can be missed across a Redis restart: the job's state is also polled this often. */
const POLL_MS = 5000;

type JobEvent = { kind: 'completed'; value: unknown } | { kind: 'failed'; reason: string };

interface OpenQueue {
  queue: Queue;
  events: QueueEvents;
  eventsConnection: Redis;
  waiters: Map<string, Set<(e: JobEvent) => void>>;
}

/** A completed event carries the return value as BullMQ stored it (JSON text). */
function parseReturn(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

export class QueueVerifier implements StoppableVerifier {
  readonly version = readHarnessVersion();
  private readonly connection: Redis;
  private readonly queues = new Map<string, OpenQueue>();
  private readonly environments = new Map<Backend, Promise<Environment>>();
  private readonly stops = new Set<(e: Error) => void>();
  private readonly nonce = randomUUID().slice(0, 8);
  private stoppedBy: string | null = null;

  private constructor(private readonly options: QueueVerifierOptions) {
    this.connection = queueConnection(options.url);
  }

  /** Checks Redis first: an unreachable URL fails here, at once, with how to start a server. */
  static async open(options: QueueVerifierOptions): Promise<QueueVerifier> {
    const settings = await checkRedis(options.url);
    for (const w of settingsWarnings(options.url, settings)) options.log?.(w);
    return new QueueVerifier(options);
  }

  queueNameFor(backend: Backend): string {
    return queueName({ ...this.options, backend });
  }

  /** The environment the fleet of this queue measures in (from the live workers' registrations). */
  environment(backend: Backend): Promise<Environment> {
    let env = this.environments.get(backend);
    if (!env) {
      env = this.stoppable(waitForFleetEnvironment(this.connection, {
        url: this.options.url, queue: this.queueNameFor(backend), backend, harnessVersion: this.version,
        waitS: this.options.workerWaitS, ...(this.options.log ? { log: this.options.log } : {}),
      }));
      this.environments.set(backend, env);
    }
    return env;
  }

  async verify(job: VerifyJob): Promise<VerifyResult> {
    if (this.stoppedBy) throw new RunStoppedError(this.stoppedBy);
    const expect = { harness_version: this.version, environment: await this.environment(job.backend) };
    const id = queueJobId(job, expect) + (this.options.reuse === false ? `-${this.nonce}-${job.candidate_id}` : '');
    const data: QueueJobData = { job, expect };
    const device = await this.queueFor(this.queueNameFor(job.backend));
    let raw: unknown;
    if (this.options.splitBuilds) {
      // The build queue first, longest builds first; its worker hands the job on to the device queue
      // under the same id.
      const builds = await this.queueFor(buildQueueName({ ...this.options, backend: job.backend }));
      await addVerifyJob(builds.queue, id, data, this.options.attempts, buildPriority(job));
      const built = buildReturnSchema.safeParse(await this.stoppable(this.waitFor(id, builds)));
      if (!built.success) throw new QueueProtocolError(`build job ${id} returned something that is not a build result: ${built.error.message}`);
      raw = built.data.final ? { result: built.data.result, worker: built.data.worker } : await this.stoppable(this.waitFor(id, device));
    } else {
      await addVerifyJob(device.queue, id, data, this.options.attempts);
      raw = await this.stoppable(this.waitFor(id, device));
    }
    const parsed = queueReturnSchema.safeParse(raw);
    if (!parsed.success) throw new QueueProtocolError(`job ${id} returned something that is not a verdict: ${parsed.error.message}`);
    const result = parsed.data.result;
    // As the cache does: a timeout says as much about the host's load as the kernel; try it again next time.
    if (result.fail_stage === 'timeout') {
      await Promise.all([...this.queues.values()].map(({ queue }) => queue.remove(id).catch(() => 0)));
    }
    return { ...result, candidate_id: job.candidate_id };
  }

  /** Depth of this build's queues and their live workers, for the progress line. */
  async fleetLine(backend: Backend): Promise<string> {
    const names = [this.queueNameFor(backend), ...(this.options.splitBuilds ? [buildQueueName({ ...this.options, backend })] : [])];
    return fleetLine(this.connection, names);
  }

  /** An interrupt: pending waits end with RunStoppedError; their jobs stay queued (a resume finds them done). */
  async abort(reason: string): Promise<void> {
    this.stoppedBy = reason;
    const stopped = new RunStoppedError(reason);
    for (const stop of [...this.stops]) stop(stopped);
    await this.close();
  }

  async close(): Promise<void> {
    const all = [...this.queues.values()];
    this.queues.clear();
    await Promise.all(all.flatMap(({ queue, events }) => [events.close(), queue.close()]));
    // BullMQ leaves connections it was given open (they may be shared): ours are closed here.
    for (const { eventsConnection } of all) eventsConnection.disconnect();
    this.connection.disconnect();
  }

  private async queueFor(name: string): Promise<OpenQueue> {
    let q = this.queues.get(name);
    if (!q) {
      const eventsConnection = queueConnection(this.options.url); // QueueEvents blocks on its own connection
      const events = new QueueEvents(name, { connection: eventsConnection });
      const waiters = new Map<string, Set<(e: JobEvent) => void>>();
      // One listener per queue, dispatching by job id (a listener per job would pile up on a long build).
      events.on('completed', ({ jobId, returnvalue }) => {
        for (const w of [...(waiters.get(jobId) ?? [])]) w({ kind: 'completed', value: parseReturn(returnvalue) });
      });
      events.on('failed', ({ jobId, failedReason }) => {
        for (const w of [...(waiters.get(jobId) ?? [])]) w({ kind: 'failed', reason: failedReason });
      });
      q = { queue: new Queue(name, { connection: this.connection }), events, eventsConnection, waiters };
      this.queues.set(name, q);
    }
    await q.events.waitUntilReady();
    return q;
  }

  /** The job's return value: from its completed event, or from polling its state (events lost in a restart). */
  private waitFor(id: string, open: OpenQueue): Promise<unknown> {
    const { queue, waiters } = open;
    return new Promise((resolve, reject) => {
      let settled = false;
      const done = (f: () => void) => {
        if (settled) return;
        settled = true;
        clearInterval(timer);
        waiters.get(id)?.delete(onEvent);
        if (!waiters.get(id)?.size) waiters.delete(id);
        f();
      };
      const fail = (why: string) => done(() => reject(new QueueJobFailedError(`verification job ${id} failed on the fleet (queue ${queue.name}): ${why}`)));
      const poll = async () => {
        const state = await queue.getJobState(id);
        if (state !== 'completed' && state !== 'failed') return;
        const j = await queue.getJob(id);
        if (state === 'completed' && j) done(() => resolve(j.returnvalue));
        else if (state === 'failed') fail(j?.failedReason ?? 'failed');
      };
      // A failed event may be followed by a retry: the job's state decides.
      const onEvent = (e: JobEvent) => (e.kind === 'completed' ? done(() => resolve(e.value)) : void poll().catch(() => fail(e.reason)));
      const set = waiters.get(id) ?? new Set<(e: JobEvent) => void>();
      set.add(onEvent);
      waiters.set(id, set);
      const timer = setInterval(() => void poll().catch(() => {}), POLL_MS); // Redis away: the next tick tries again
      void poll().catch(() => {}); // finished before the listener was on (another run's job)
    });
  }

  private stoppable<T>(p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const stop = (e: Error) => reject(e);
      this.stops.add(stop);
      p.then(resolve, reject).finally(() => this.stops.delete(stop));
    });
  }
}
