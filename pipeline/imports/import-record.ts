/**
 * Records of imported kernels, through the same `buildRecord` as a build's: provider `import`, the
 * model from the input (else --model), lineage empty or from the input's metadata, the sample as the
 * implementation index. A candidate that cannot be verified (no problem, empty or unreadable kernel)
 * is a record too, `fail_stage: load` with the reason, so nothing given is lost without a row.
 */
import { createHash } from 'node:crypto';
import type { KernelRecord } from '../../datasets/schema.ts';
import type { Problem } from '../../kernelbench/problem.ts';
import { ideaId } from '../../stages/ideas.ts';
import type { Generation, Idea } from '../../stages/provider.ts';
import { buildRecord, recordId, type CandidateOutcome } from '../../stages/records.ts';
import type { Backend, Precision, TolerancePolicy, VerifyResult } from '../../stages/verify/protocol.ts';
import { describeRef, type ImportedCandidate } from './candidate.ts';

export const IMPORT_PROVIDER = 'import';
export const IMPORT_PROMPT_VERSION = 'import';

export interface ImportContext {
  runId: string;
  backend: Backend;
  tolerancePolicy: TolerancePolicy;
  precision: Precision;
  /** --model: the model name where the input gives none. */
  model: string;
  verifierVersion: string;
  /** Label of the problem source, for a problem that could not be resolved. */
  sourceLabel: string;
}

/** The outcome of an imported kernel for a resolved problem, before (or after) its verification. */
export function importOutcome(problem: Problem, c: ImportedCandidate, ctx: ImportContext, verification: VerifyResult | null = null): CandidateOutcome {
  const m = c.metadata;
  const round = m.round ?? 1;
  const text = m.idea ?? '';
  const idea: Idea = { id: ideaId(problem.key, round, text), round, text, category: m.idea_category ?? 'other' };
  const generation: Generation = {
    prompt: m.prompt === undefined ? null : typeof m.prompt === 'string' ? m.prompt : JSON.stringify(m.prompt),
    rawResponse: m.raw_response ?? null,
    temperature: m.temperature ?? null,
    maxTokens: m.max_tokens ?? null,
    tokensIn: m.tokens_in ?? null,
    tokensOut: m.tokens_out ?? null,
    latencyMs: m.latency_ms ?? null,
    costUsd: m.cost_usd ?? null,
    fromCache: false,
  };
  return {
    runId: ctx.runId,
    problem,
    backend: ctx.backend,
    tolerancePolicy: ctx.tolerancePolicy,
    precision: ctx.precision,
    provider: { name: IMPORT_PROVIDER, model: c.model ?? ctx.model, promptVersion: IMPORT_PROMPT_VERSION },
    idea,
    implIndex: c.sample,
    seeds: (m.parent_ids ?? []).map((kernelId) => ({ kernelId, source: '', speedup: null, origin: 'search' as const })),
    implementation: { source: c.kernel, failure: c.failure, generation },
    verification,
    verifierVersion: ctx.verifierVersion,
    createdAt: new Date().toISOString(),
  };
}

/** The id the candidate's record has (and its verification job's candidate id). */
export function importRecordId(outcome: CandidateOutcome): string {
  return recordId(outcome, outcome.implementation.source);
}

/** A placeholder for a problem the input names but the source does not hold: the row keeps the name. */
function unresolvedProblem(c: ImportedCandidate, ctx: ImportContext): Problem {
  const ref = c.ref;
  const level = ref && typeof ref === 'object' && 'level' in ref ? ref.level : 0;
  const id = ref && typeof ref === 'object' && 'level' in ref ? ('id' in ref ? ref.id : ref.problem_id) : 0;
  return { key: '', source: ctx.sourceLabel, file: null, level, problemId: id, name: describeRef(ref), code: '' };
}

/** The `load` failure row of a candidate that was not verified, with the reason and where it came from. */
export function loadFailureRecord(c: ImportedCandidate, problem: Problem | null, reason: string, ctx: ImportContext): KernelRecord {
  const outcome = importOutcome(problem ?? unresolvedProblem(c, ctx), { ...c, failure: reason }, ctx);
  const record = buildRecord(outcome);
  // Stable across reruns of the same input (resume skips it), distinct per input place and content.
  const id = createHash('sha256').update(JSON.stringify(['load', c.origin, problem?.key ?? describeRef(c.ref), c.kernel ?? '', reason])).digest('hex');
  return { ...record, record_id: id, fail_stage: 'load', fail_message: `${c.origin}: ${reason}`.slice(0, 2000) };
}
