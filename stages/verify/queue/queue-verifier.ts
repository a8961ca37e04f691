/**
 * The verifier of `verify.mode: queue`: each job goes onto a BullMQ queue in Redis with the
 * verification cache key as its job id, and the verdict comes back from whichever `kforge worker`
 * ran it. To the build it looks like the local pool: same Verifier interface, same results, and the
 * cache and resume around it are untouched. The same candidate added twice (two implementations, two
 * runs, two hosts) is one job: BullMQ ignores an add whose id exists and both wait for the one verdict.
 */
import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { RunStoppedError } from '../../core/errors/run-stopping.ts';
import type { Backend, Environment, VerifyJob, VerifyResult } from '../protocol.ts';
import { readHarnessVersion } from '../verdict-definition.ts';
import type { StoppableVerifier } from '../verifier.ts';
import { waitForFleetEnvironment } from './fleet-environment.ts';
import { queueReturnSchema, type QueueJobData } from './queue-messages.ts';
import { queueJobId, queueName, type QueueAddress } from './queue-names.ts';
import { checkRedis, queueConnection, settingsWarnings } from './redis-connection.ts';

export interface QueueVerifierOptions extends Omit<QueueAddress, 'backend'> {
  /** Tries of a job after infrastructure faults (the worker's harness could not start). */
  attempts: number;
  /** Seconds to wait for a first worker of the queue. */
  workerWaitS: number;
  /** false (--no-cache): a fresh job id per call, so nothing finished earlier is reused. */
  reuse?: boolean;
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

const KEEP_S = 7 * 24 * 3600;
/** Events can be missed across a Redis restart: the job's state is also polled this often. */
const POLL_MS = 5000;

export class QueueVerifier implements StoppableVerifier {
  readonly version = readHarnessVersion();
  private readonly connection: Redis;
  private readonly queues = new Map<Backend, { queue: Queue; events: QueueEvents; eventsConnection: Redis }>();
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
    const { queue, events } = await this.queueFor(job.backend);
    const data: QueueJobData = { job, expect };
    const added: Job = await queue.add('verify', data, {
      jobId: id, attempts: this.options.attempts, backoff: { type: 'exponential', delay: 2000 },
      removeOnComplete: { age: KEEP_S }, removeOnFail: { age: KEEP_S },
    });
    // An earlier run's job that the fleet gave up on is tried again, not answered with its old failure.
    if ((await queue.getJobState(id)) === 'failed') await (await queue.getJob(id))?.retry('failed');
    const raw = await this.stoppable(this.waitFor(added, queue, events));
    const parsed = queueReturnSchema.safeParse(raw);
    if (!parsed.success) throw new QueueProtocolError(`job ${id} returned something that is not a verdict: ${parsed.error.message}`);
    const result = parsed.data.result;
    // As the cache does: a timeout says as much about the host's load as the kernel; try it again next time.
    if (result.fail_stage === 'timeout') await queue.remove(id).catch(() => 0);
    return { ...result, candidate_id: job.candidate_id };
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

  private async queueFor(backend: Backend): Promise<{ queue: Queue; events: QueueEvents; eventsConnection: Redis }> {
    let q = this.queues.get(backend);
    if (!q) {
      const name = this.queueNameFor(backend);
      const eventsConnection = queueConnection(this.options.url); // QueueEvents blocks on its own connection
      q = { queue: new Queue(name, { connection: this.connection }), events: new QueueEvents(name, { connection: eventsConnection }), eventsConnection };
      this.queues.set(backend, q);
    }
    await q.events.waitUntilReady();
    return q;
  }

  /** The job's return value: from its completed event, or from polling its state (events lost in a restart). */
  private waitFor(job: Job, queue: Queue, events: QueueEvents): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const done = (f: () => void) => { clearInterval(timer); f(); };
      const fail = (e: unknown) => done(() => reject(new QueueJobFailedError(`verification job ${String(job.id)} failed on the fleet: ${e instanceof Error ? e.message : String(e)}`)));
      const id = String(job.id);
      const timer = setInterval(() => {
        void (async () => {
          const state = await queue.getJobState(id);
          if (state !== 'completed' && state !== 'failed') return;
          const j = await queue.getJob(id);
          if (state === 'completed' && j) done(() => resolve(j.returnvalue));
          else if (state === 'failed') fail(new Error(j?.failedReason ?? 'failed'));
        })().catch(() => {}); // Redis away: the next tick tries again
      }, POLL_MS);
      job.waitUntilFinished(events).then((v) => done(() => resolve(v)), fail);
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
