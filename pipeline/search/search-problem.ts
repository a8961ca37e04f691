/**
 * The search loop of METHOD.md for one problem: each round, K ideas conditioned on the history, each
 * implemented M times from the current best kernels (or a bank kernel), each verified and recorded.
 * Stages stream: an implementation is verified as soon as it exists, while other problems are still
 * generating, because every step goes through the shared per-stage queues.
 */
import type PQueue from 'p-queue';
import type { KernelRecord } from '../../datasets/schema.ts';
import type { Problem } from '../../kernelbench/problem.ts';
import { generateIdeas } from '../../stages/ideas.ts';
import { implementIdea } from '../../stages/implement.ts';
import type { Idea, Implementation, Provider, SeedKernel } from '../../stages/provider.ts';
import { buildRecord, recordId, type CandidateOutcome } from '../../stages/records.ts';
import type { Backend, Precision, TolerancePolicy, VerifyJob, VerifyResult } from '../../stages/verify/protocol.ts';
import { isRunStopping } from '../../stages/core/errors/run-stopping.ts';
import type { ProblemSummary } from '../run/manifest.ts';
import type { Progress } from '../progress.ts';
import { ProblemState } from './problem-state.ts';
import { crashPoint } from '../../stages/core/crash-point.ts';

export interface SearchSettings {
  rounds: number;
  ideasPerRound: number;
  implsPerIdea: number;
  beam: number;
  maxCandidates?: number | undefined;
  patience?: number | undefined;
}

export interface SearchContext {
  runId: string;
  backend: Backend;
  precision: Precision;
  tolerancePolicy: TolerancePolicy;
  settings: SearchSettings;
  provider: Provider;
  verify: (job: VerifyJob) => Promise<VerifyResult>;
  makeJob: (problem: Problem, candidateId: string, source: string) => VerifyJob;
  /** Known-good kernels of similar problems, used while the search has none of its own. */
  bankSeeds: (problem: Problem) => SeedKernel[];
  queues: { ideas: PQueue; implement: PQueue; verify: PQueue };
  emit: (record: KernelRecord) => Promise<void>;
  progress: Progress;
  verifierVersion: string;
  /** Set by anyone to stop starting new work (budget reached, interrupted). */
  stop: { reason: string | null };
  onGenerationFailure: (problem: Problem, stage: 'ideas' | 'implement', reason: string) => void;
}

export async function searchProblem(problem: Problem, ctx: SearchContext): Promise<ProblemSummary> {
  const state = new ProblemState(problem);
  const summary = (stoppedBecause: string | null, skipped: string | null = null): ProblemSummary => ({
    key: problem.key,
    name: problem.name,
    level: problem.level,
    problem_id: problem.problemId,
    candidates: state.candidates,
    compiled: state.compiled,
    correct: state.correct,
    best_speedup: state.bestSpeedup(),
    trajectory: state.trajectory,
    stopped_because: stoppedBecause,
    skipped_reason: skipped,
  });

  const unsupported = (await ctx.provider.unsupportedReason?.(problem, ctx.backend, ctx.precision)) ?? null;
  if (unsupported) return summary('skipped', unsupported);

  const { settings } = ctx;
  for (let round = 1; round <= settings.rounds; round++) {
    if (ctx.stop.reason) return summary(ctx.stop.reason);
    if (settings.maxCandidates !== undefined && state.candidates >= settings.maxCandidates) return summary('candidate budget');
    if (settings.patience !== undefined && round > 1 && state.roundsWithoutImprovement >= settings.patience) {
      return summary(`no improvement in ${settings.patience} round(s)`);
    }

    ctx.progress.addTotal('ideas', 1);
    let ideasResponse;
    try {
      ideasResponse = await ctx.queues.ideas.add(() =>
        generateIdeas(ctx.provider, { problem, backend: ctx.backend, precision: ctx.precision, round, count: settings.ideasPerRound, history: state.outcomes() }),
      );
    } catch (error) {
      if (!isRunStopping(error)) throw error;
      ctx.stop.reason ??= error.message;
      return summary(ctx.stop.reason);
    } finally {
      ctx.progress.done('ideas');
    }
    if (!ideasResponse) continue;
    crashPoint('ideas:received');
    if (ideasResponse.failure && !ideasResponse.ideas.length) {
      ctx.onGenerationFailure(problem, 'ideas', ideasResponse.failure);
      state.endRound();
      continue;
    }

    state.noteIdeas(ideasResponse.ideas.map((i) => i.id));
    const beam = state.beam(settings.beam);
    const seeds = beam.length ? beam : ctx.bankSeeds(problem);
    const room = settings.maxCandidates === undefined ? Infinity : settings.maxCandidates - state.candidates;
    const work: Promise<void>[] = [];
    for (const idea of ideasResponse.ideas) {
      for (let implIndex = 0; implIndex < settings.implsPerIdea && work.length < room; implIndex++) {
        work.push(runCandidate(problem, idea, implIndex, seeds, state, ctx));
      }
    }
    await Promise.all(work);
    // A round cut short by a stop is not a round: the resume finishes it and then closes it.
    if (ctx.stop.reason) return summary(ctx.stop.reason);
    state.endRound();
  }
  return summary(ctx.stop.reason ?? `${settings.rounds} round(s) done`);
}

async function runCandidate(problem: Problem, idea: Idea, implIndex: number, seeds: SeedKernel[], state: ProblemState, ctx: SearchContext): Promise<void> {
  if (ctx.stop.reason) return;
  ctx.progress.addTotal('implement', 1);
  let implementation: Implementation | undefined;
  try {
    implementation = await ctx.queues.implement.add(() => implementIdea(ctx.provider, { problem, backend: ctx.backend, precision: ctx.precision, idea, implIndex, seeds }));
  } catch (error) {
    // A budget stop is not this candidate's failure: it leaves no record, so a resume with a larger
    // budget makes the very row an uninterrupted run would have made.
    if (!isRunStopping(error)) throw error;
    ctx.stop.reason ??= error.message;
    return;
  } finally {
    ctx.progress.done('implement');
  }
  if (!implementation) return;

  const outcome: CandidateOutcome = {
    runId: ctx.runId,
    problem,
    backend: ctx.backend,
    precision: ctx.precision,
    tolerancePolicy: ctx.tolerancePolicy,
    provider: {
      name: ctx.provider.name,
      model: ctx.provider.model,
      promptVersion: ctx.provider.promptVersionFor?.(ctx.backend, ctx.precision) ?? ctx.provider.promptVersion,
    },
    idea,
    implIndex,
    seeds,
    implementation,
    verification: null,
    verifierVersion: ctx.verifierVersion,
    createdAt: new Date().toISOString(),
  };
  if (implementation.source !== null) {
    ctx.progress.addTotal('verify', 1);
    const candidateId = recordId(outcome, implementation.source);
    const source = implementation.source;
    crashPoint('candidate:implemented');
    try {
      outcome.verification = (await ctx.queues.verify.add(() => ctx.verify(ctx.makeJob(problem, candidateId, source)))) ?? null;
    } catch (error) {
      // An interrupt while this one was being verified: no verdict, no record; the resume verifies it.
      if (!isRunStopping(error)) throw error;
      ctx.stop.reason ??= error.message;
      return;
    } finally {
      ctx.progress.done('verify');
    }
  } else {
    ctx.onGenerationFailure(problem, 'implement', implementation.failure ?? 'no kernel');
  }
  crashPoint('candidate:verified');
  const record = buildRecord(outcome);
  state.add(record);
  ctx.progress.addTotal('records', 1);
  await ctx.emit(record);
  ctx.progress.done('records');
}
