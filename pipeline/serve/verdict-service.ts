/**
 * The verdicts `kforge serve` gives: one job per candidate (its id is the record id, so the same
 * candidate asked twice is one job), at most `concurrency` verifying at once and `maxQueued` waiting,
 * through the run's verification cache. Every verdict is appended to the run folder as a record
 * whether or not anyone is still waiting for it, and the buffer is flushed every few seconds, so what
 * an RL loop tried becomes a dataset even if the server is killed.
 */
import PQueue from 'p-queue';
import type { KernelRecord } from '../../datasets/schema.ts';
import { buildRecord } from '../../stages/records.ts';
import type { VerifyJob, VerifyResult } from '../../stages/verify/protocol.ts';
import { makeVerifyJob } from '../../stages/verify/verify-job.ts';
import type { RunConfig } from '../config/schema.ts';
import type { ImportedCandidate } from '../imports/candidate.ts';
import { ImportRecorder } from '../imports/import-recorder.ts';
import { importOutcome, importRecordId, type ImportContext } from '../imports/import-record.ts';
import type { ProblemIndex } from '../imports/problem-index.ts';
import type { RunSession } from '../run/run-session.ts';
import type { VerifyRequest } from './request.ts';

export type JobStatus = 'queued' | 'running' | 'done' | 'error';

export interface Job {
  id: string;
  status: JobStatus;
  /** Answered from the verification cache, or from an earlier job of this server. */
  cached: boolean;
  record: KernelRecord | null;
  error: string | null;
  done: Promise<void>;
}

/** A request the service refuses, with the HTTP status that says why. */
export class RequestRefused extends Error {
  override readonly name = 'RequestRefused';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface VerdictServiceOptions {
  config: RunConfig;
  session: RunSession;
  index: ProblemIndex;
  verify: (job: VerifyJob) => Promise<VerifyResult>;
  /** Candidate ids the cache answered (filled by the verification's onHit). */
  cacheHits: Set<string>;
  context: Omit<ImportContext, 'backend' | 'tolerancePolicy' | 'precision'>;
  concurrency: number;
  maxQueued: number;
  /** Finished jobs kept for polling; the oldest go first. */
  keepJobs?: number;
  flushEveryMs?: number;
  log?: (line: string) => void;
}

export class VerdictService {
  private readonly jobs = new Map<string, Job>();
  private readonly queue: PQueue;
  private readonly recorder: ImportRecorder;
  private readonly timer: NodeJS.Timeout;
  verdicts = 0;
  cachedAnswers = 0;

  constructor(private readonly options: VerdictServiceOptions) {
    this.queue = new PQueue({ concurrency: options.concurrency });
    this.recorder = new ImportRecorder(options.session.sink);
    this.timer = setInterval(() => void options.session.sink.flush(), options.flushEveryMs ?? 5000);
    this.timer.unref();
  }

  get inFlight(): number {
    return this.queue.size + this.queue.pending;
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  /** Start (or find) the job of one candidate. Throws RequestRefused for an unknown problem or a full queue. */
  submit(request: VerifyRequest): Job {
    const { config } = this.options;
    const resolved = this.options.index.resolve(request.problem);
    if (!resolved.problem) throw new RequestRefused(404, resolved.reason);
    const problem = resolved.problem;
    const candidate: ImportedCandidate = {
      origin: 'POST /verify',
      ref: request.problem,
      kernel: request.kernel,
      model: request.model ?? null,
      sample: request.sample ?? 0,
      metadata: request.metadata ?? {},
      failure: null,
    };
    const ctx: ImportContext = { ...this.options.context, backend: request.backend ?? config.verify.backend, tolerancePolicy: request.tolerance ?? config.verify.tolerance, precision: request.precision ?? config.verify.precision };
    const outcome = importOutcome(problem, candidate, ctx);
    const id = importRecordId(outcome);
    const known = this.jobs.get(id);
    if (known && known.status !== 'error') {
      if (known.status === 'done') this.cachedAnswers++;
      return known;
    }
    if (this.inFlight >= this.options.maxQueued) throw new RequestRefused(503, `${this.inFlight} candidate(s) are being verified or waiting (the limit is ${this.options.maxQueued}); retry later`);

    const settings = {
      ...config.verify,
      backend: ctx.backend,
      tolerance: ctx.tolerancePolicy,
      precision: ctx.precision,
      trials: request.options?.trials ?? config.verify.trials,
      timeout_s: Math.min(request.options?.timeout_s ?? config.verify.timeout_s, config.verify.timeout_s),
    };
    const job: Job = { id, status: 'queued', cached: false, record: null, error: null, done: Promise.resolve() };
    job.done = this.queue.add(async () => {
      job.status = 'running';
      try {
        outcome.verification = await this.options.verify(makeVerifyJob(settings, problem, id, request.kernel));
        job.cached = this.options.cacheHits.delete(id);
        const record = buildRecord(outcome);
        // Recorded before anyone is told: a client gone mid-wait still leaves its row.
        await this.recorder.add(record, problem);
        job.record = record;
        job.status = 'done';
        this.verdicts++;
        if (job.cached) this.cachedAnswers++;
        this.options.log?.(`kforge serve: ${id.slice(0, 12)} L${problem.level} ${problem.name}: ${record.correct ? `correct${record.speedup ? ` ${record.speedup.toFixed(2)}x` : ''}` : (record.fail_stage ?? 'not correct')}${job.cached ? ' (cached)' : ''}`);
      } catch (error) {
        job.status = 'error';
        job.error = (error as Error).message;
      }
    });
    this.remember(job);
    return job;
  }

  private remember(job: Job): void {
    this.jobs.delete(job.id);
    this.jobs.set(job.id, job);
    const keep = this.options.keepJobs ?? 10_000;
    for (const [id, old] of this.jobs) {
      if (this.jobs.size <= keep) break;
      if (old.status === 'done' || old.status === 'error') this.jobs.delete(id);
    }
  }

  /** Wait for every job, stop the flush timer and close the run session (records flushed). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.queue.onIdle();
    await this.options.session.finish({ status: 'complete', stopReason: null, problems: this.recorder.summaries() });
  }
}
