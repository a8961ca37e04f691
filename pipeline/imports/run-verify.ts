/**
 * `kforge verify`: kernels made elsewhere, verified into a run folder exactly as a build's are (the
 * run session, the record sink, the verification cache, the progress display, the interrupt). A rerun
 * of the same run id skips every candidate the run already holds; `maxCandidates` stops cleanly
 * (status stopped, resumable) after that many verifications in this session.
 */
import PQueue from 'p-queue';
import type { KernelRecord } from '../../datasets/schema.ts';
import type { Problem } from '../../kernelbench/problem.ts';
import { buildRecord } from '../../stages/records.ts';
import type { VerifyJob, VerifyResult } from '../../stages/verify/protocol.ts';
import { makeVerifyJob } from '../../stages/verify/verify-job.ts';
import { isRunStopping } from '../../stages/core/errors/run-stopping.ts';
import type { RunConfig } from '../config/schema.ts';
import type { Progress } from '../progress.ts';
import type { Interrupt } from '../run/interrupt.ts';
import type { Manifest } from '../run/manifest.ts';
import { watchFleet } from '../run/fleet-watch.ts';
import { RunSession } from '../run/run-session.ts';
import type { ImportedCandidate } from './candidate.ts';
import { importOutcome, importRecordId, loadFailureRecord, IMPORT_PROVIDER, IMPORT_PROMPT_VERSION, type ImportContext } from './import-record.ts';
import type { ProblemIndex } from './problem-index.ts';
import { ImportRecorder } from './import-recorder.ts';

export interface VerifyImportRequest {
  config: RunConfig;
  runDir: string;
  runId: string;
  candidates: ImportedCandidate[];
  index: ProblemIndex;
  sourceLabel: string;
  model: string;
  kforgeVersion: string;
  maxCandidates?: number | undefined;
}

export interface VerifyImportDeps {
  verify: (job: VerifyJob) => Promise<VerifyResult>;
  verifierVersion: string;
  progress: Progress;
  versions?: Record<string, string | null>;
  interrupt?: Interrupt | undefined;
  /** verify.mode queue: a line on the fleet (queue depth, workers), polled for the status line. */
  fleetLine?: (() => Promise<string>) | undefined;
}

/** What happened to the input's candidates in this session. */
export interface ImportCounts {
  read: number;
  verified: number;
  /** Load failures by reason kind: unresolved problem, empty kernel, not UTF-8, unreadable line. */
  loadFailures: Record<string, number>;
  alreadyInRun: number;
  /** The same candidate twice in the input (one record id): one row. */
  duplicates: number;
  notStarted: number;
}

export interface VerifyImportOutcome {
  manifest: Manifest;
  counts: ImportCounts;
}

function failureKind(reason: string): string {
  if (reason.startsWith('no problem') || reason.includes(' names ')) return 'unknown problem';
  if (reason.includes('empty')) return 'empty kernel';
  if (reason.includes('UTF-8')) return 'not UTF-8';
  return 'unreadable input';
}

export async function runVerifyImport(request: VerifyImportRequest, deps: VerifyImportDeps): Promise<VerifyImportOutcome> {
  const { config, runDir } = request;
  const session = await RunSession.open({ runDir, config, newManifest: () => newImportManifest(request, deps) });
  const { sink } = session;
  const ctx: ImportContext = {
    runId: request.runId,
    backend: config.verify.backend,
    tolerancePolicy: config.verify.tolerance,
    precision: config.verify.precision,
    model: request.model,
    verifierVersion: deps.verifierVersion,
    sourceLabel: request.sourceLabel,
  };
  const counts: ImportCounts = { read: request.candidates.length, verified: 0, loadFailures: {}, alreadyInRun: 0, duplicates: 0, notStarted: 0 };
  const recorder = new ImportRecorder(sink);
  const stop = { reason: null as string | null };
  const unsubscribe = deps.interrupt?.onInterrupt((signal) => {
    stop.reason ??= `interrupted by ${signal}`;
  });
  const queue = new PQueue({ concurrency: config.concurrency.verify });
  const refreshStatus = (): void => {
    const fleetText = fleet.text();
    deps.progress.setStatus(`records ${sink.seen.size}  verified ${counts.verified}  load failures ${Object.values(counts.loadFailures).reduce((a, b) => a + b, 0)}${fleetText ? `  ${fleetText}` : ''}`);
  };
  const fleet = watchFleet(deps.fleetLine, refreshStatus);
  const emit = async (record: KernelRecord, problem: Problem | null): Promise<void> => {
    deps.progress.addTotal('records', 1);
    if (!(await recorder.add(record, problem))) counts.duplicates++;
    deps.progress.done('records');
    refreshStatus();
  };
  const fail = async (c: ImportedCandidate, problem: Problem | null, reason: string): Promise<void> => {
    const record = loadFailureRecord(c, problem, reason, ctx);
    if (sink.has(record.record_id)) {
      counts.alreadyInRun++;
      return;
    }
    const kind = failureKind(reason);
    counts.loadFailures[kind] = (counts.loadFailures[kind] ?? 0) + 1;
    await emit(record, problem);
  };

  let started = 0;
  const work: Promise<void>[] = [];
  let failure: unknown = null;
  try {
    for (const c of request.candidates) {
      const resolved = c.ref === null ? null : request.index.resolve(c.ref);
      const problem = resolved?.problem ?? null;
      if (c.failure !== null || !problem) {
        await fail(c, problem, c.failure ?? (resolved && !resolved.problem ? resolved.reason : 'no problem given'));
        continue;
      }
      const outcome = importOutcome(problem, c, ctx);
      const id = importRecordId(outcome);
      if (sink.has(id)) {
        counts.alreadyInRun++;
        continue;
      }
      if (stop.reason || (request.maxCandidates !== undefined && started >= request.maxCandidates)) {
        stop.reason ??= `candidate budget reached (${request.maxCandidates} verification(s) this session)`;
        counts.notStarted++;
        continue;
      }
      started++;
      deps.progress.addTotal('verify', 1);
      work.push(
        queue.add(async () => {
          if (stop.reason?.startsWith('interrupted')) {
            counts.notStarted++;
            return;
          }
          try {
            outcome.verification = await deps.verify(makeVerifyJob(config.verify, problem, id, c.kernel!));
          } catch (error) {
            if (!isRunStopping(error)) throw error;
            stop.reason ??= error.message;
            counts.notStarted++;
            return;
          } finally {
            deps.progress.done('verify');
          }
          counts.verified++;
          await emit(buildRecord(outcome), problem);
        }),
      );
    }
    await Promise.all(work);
  } catch (error) {
    failure = error;
    await Promise.allSettled(work);
  } finally {
    fleet.stop();
    unsubscribe?.();
    deps.progress.stop();
  }
  const manifest = await session.finish({
    status: failure ? 'failed' : deps.interrupt?.signal ? 'interrupted' : stop.reason ? 'stopped' : 'complete',
    stopReason: failure ? (failure as Error).message : stop.reason,
    problems: recorder.summaries(),
  });
  if (failure) throw failure;
  return { manifest, counts };
}

/** The manifest of an import run (verify or serve): provider import, nothing searched. */
export function newImportManifest(request: Pick<VerifyImportRequest, 'config' | 'runId' | 'model' | 'kforgeVersion'>, deps: Pick<VerifyImportDeps, 'verifierVersion' | 'versions'>): Manifest {
  const now = new Date().toISOString();
  return {
    manifest_version: 1,
    run_id: request.runId,
    created_at: now,
    updated_at: now,
    status: 'running',
    stop_reason: null,
    config: request.config,
    versions: {
      kforge: request.kforgeVersion,
      node: process.version,
      verifier: deps.verifierVersion,
      provider: IMPORT_PROVIDER,
      model: request.model,
      prompt_version: IMPORT_PROMPT_VERSION,
      ...deps.versions,
    },
    // Nothing was searched: the kernels came in from elsewhere.
    search: { rounds: 0, ideas_per_round: 0, impls_per_idea: 0, beam: 0 },
    parts: [],
    counts: { records: 0, candidates: 0, compiled: 0, correct: 0, by_fail_stage: {} },
    problems: [],
    llm: null,
    sessions: [],
  };
}
