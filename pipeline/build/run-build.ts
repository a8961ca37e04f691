/**
 * A build: problems in, a run folder of Parquet records out. Opens (or resumes) the run folder, fans
 * the problems through the search with one bounded queue per stage, and keeps the manifest true at
 * every part file, so a kill at any point leaves a folder that a rerun continues.
 */
import PQueue from 'p-queue';
import type { KernelRecord } from '../../datasets/schema.ts';
import type { Problem } from '../../kernelbench/problem.ts';
import type { Provider, SeedKernel } from '../../stages/provider.ts';
import type { VerifyJob, VerifyResult } from '../../stages/verify/protocol.ts';
import type { RunConfig } from '../config/schema.ts';
import type { Progress } from '../progress.ts';
import type { Interrupt } from '../run/interrupt.ts';
import type { Manifest, ProblemSummary } from '../run/manifest.ts';
import { watchFleet } from '../run/fleet-watch.ts';
import { RunSession } from '../run/run-session.ts';
import { searchProblem } from '../search/search-problem.ts';
import { makeVerifyJob } from '../../stages/verify/verify-job.ts';

export interface BuildDeps {
  provider: Provider;
  verify: (job: VerifyJob) => Promise<VerifyResult>;
  verifierVersion: string;
  progress: Progress;
  bankSeeds?: (problem: Problem) => SeedKernel[];
  /** Extra versions to record (python, torch, device), learnt from the verifier. */
  versions?: Record<string, string | null>;
  /** LLM usage so far, for the manifest and the status line. */
  llmStatus?: () => Record<string, unknown> | null;
  /** Ctrl-C / SIGTERM: stop starting work; the run ends `interrupted`. */
  interrupt?: Interrupt;
  /** verify.mode queue: a line on the fleet (queue depth, workers), polled for the status line. */
  fleetLine?: () => Promise<string>;
}

export interface BuildRequest {
  config: RunConfig;
  problems: Problem[];
  runDir: string;
  runId: string;
  kforgeVersion: string;
}

export interface BuildOutcome {
  manifest: Manifest;
  runDir: string;
  newRecords: number;
  resumed: boolean;
}

export async function runBuild(request: BuildRequest, deps: BuildDeps): Promise<BuildOutcome> {
  const { config, runDir } = request;
  const session = await RunSession.open({ runDir, config, newManifest: () => newManifest(request, deps) });
  const { sink } = session;

  const stop = { reason: null as string | null };
  const unsubscribe = deps.interrupt?.onInterrupt((signal) => {
    stop.reason ??= `interrupted by ${signal}`;
  });

  let newRecords = 0;
  const queues = {
    ideas: new PQueue({ concurrency: config.concurrency.ideas }),
    implement: new PQueue({ concurrency: config.concurrency.implement }),
    verify: new PQueue({ concurrency: config.concurrency.verify }),
  };
  const failures = new Map<string, number>();
  const refreshStatus = (): void => {
    const llm = deps.llmStatus?.();
    const bits = [`records ${sink.seen.size}`];
    if (fleet.text()) bits.push(fleet.text());
    if (llm) bits.push(`tokens ${String(llm.tokensIn ?? 0)} in / ${String(llm.tokensOut ?? 0)} out`, `cost ${llm.costUsd === null || llm.costUsd === undefined ? 'unknown' : `$${Number(llm.costUsd).toFixed(4)}`}`);
    const failed = [...failures.values()].reduce((a, b) => a + b, 0);
    if (failed) bits.push(`generation failures ${failed}`);
    deps.progress.setStatus(bits.join('  '));
  };
  const fleet = watchFleet(deps.fleetLine, refreshStatus);

  let summaries: ProblemSummary[] = [];
  let failure: unknown = null;
  try {
    summaries = await Promise.all(
      request.problems.map((problem) =>
        searchProblem(problem, {
          runId: request.runId,
          backend: config.verify.backend,
          precision: config.verify.precision,
          tolerancePolicy: config.verify.tolerance,
          settings: {
            rounds: config.search.rounds,
            ideasPerRound: config.search.ideas_per_round,
            implsPerIdea: config.search.impls_per_idea,
            beam: config.search.beam,
            maxCandidates: config.search.max_candidates,
            patience: config.search.patience,
          },
          provider: deps.provider,
          verify: deps.verify,
          makeJob: (p, candidateId, source) => makeVerifyJob(config.verify, p, candidateId, source),
          bankSeeds: deps.bankSeeds ?? (() => []),
          queues,
          emit: async (record: KernelRecord) => {
            if (await sink.add(record)) newRecords++;
            refreshStatus();
          },
          progress: deps.progress,
          verifierVersion: deps.verifierVersion,
          stop,
          onGenerationFailure: (_problem, stage, reason) => {
            const key = `${stage}: ${reason.slice(0, 80)}`;
            failures.set(key, (failures.get(key) ?? 0) + 1);
            refreshStatus();
          },
        }),
      ),
    );
  } catch (error) {
    failure = error;
  } finally {
    fleet.stop();
    unsubscribe?.();
    await sink.flush();
    deps.progress.stop();
  }

  const manifest = await session.finish({
    status: failure ? 'failed' : deps.interrupt?.signal ? 'interrupted' : stop.reason ? 'stopped' : 'complete',
    stopReason: failure ? (failure as Error).message : stop.reason,
    problems: summaries,
    llm: { ...(deps.llmStatus?.() ?? {}), generation_failures: Object.fromEntries(failures) },
  });
  if (failure) throw failure;
  return { manifest, runDir, newRecords, resumed: session.resumed };
}

function newManifest(request: BuildRequest, deps: BuildDeps): Manifest {
  const { config } = request;
  return {
    manifest_version: 1,
    run_id: request.runId,
    created_at: new Date().toISOString(),
    updated_at: new Date().toISOString(),
    status: 'running',
    stop_reason: null,
    config,
    versions: {
      kforge: request.kforgeVersion,
      node: process.version,
      verifier: deps.verifierVersion,
      provider: deps.provider.name,
      model: deps.provider.model,
      prompt_version: deps.provider.promptVersion,
      ...deps.versions,
    },
    search: {
      rounds: config.search.rounds,
      ideas_per_round: config.search.ideas_per_round,
      impls_per_idea: config.search.impls_per_idea,
      beam: config.search.beam,
    },
    parts: [],
    counts: { records: 0, candidates: 0, compiled: 0, correct: 0, by_fail_stage: {} },
    problems: [],
    llm: null,
    sessions: [],
  };
}
