/**
 * Stage 4: records. Everything known about one candidate in, one KernelRecord out. Pure: the
 * record id is a content hash, so the same candidate always makes the same row.
 */
import { createHash } from 'node:crypto';
import { kernelDedupKey } from '../datasets/kernel-dedup.ts';
import type { KernelRecord, SeedSource } from '../datasets/schema.ts';
import type { Problem } from '../kernelbench/problem.ts';
import type { Idea, Implementation, SeedKernel } from './provider.ts';
import type { Backend, Precision, TolerancePolicy, VerifyResult } from './verify/protocol.ts';

export interface CandidateOutcome {
  runId: string;
  problem: Problem;
  backend: Backend;
  precision: Precision;
  tolerancePolicy: TolerancePolicy;
  provider: { name: string; model: string; promptVersion: string };
  idea: Idea;
  implIndex: number;
  seeds: SeedKernel[];
  implementation: Implementation;
  /** Null when nothing was verified (generation failed or the candidate was skipped). */
  verification: VerifyResult | null;
  /** Set for a candidate that was not attempted, e.g. 'budget reached'. */
  skippedReason?: string;
  verifierVersion: string;
  createdAt: string;
}

/** The tolerance of each policy at a precision; the harness reports the one it applied, this fills unverified rows. */
function tolerance(policy: TolerancePolicy, precision: Precision): number {
  return policy === 'default' && precision === 'fp32' ? 1e-4 : 1e-2;
}

/** A problem at a precision is its own variant: its records, ids and cached verdicts are apart from the others. */
export function problemVariantKey(problemKey: string, precision: Precision): string {
  return precision === 'fp32' ? problemKey : `${problemKey}@${precision}`;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Identity of the kernel text itself: parents and dedupe refer to it. */
export function kernelId(source: string): string {
  return sha256(source.replace(/\s+/g, ' ').trim());
}

export function recordId(o: Pick<CandidateOutcome, 'problem' | 'backend' | 'precision' | 'tolerancePolicy' | 'idea' | 'implIndex'>, source: string | null): string {
  // fp32 keeps the ids it had before precision existed.
  return sha256(
    JSON.stringify([problemVariantKey(o.problem.key, o.precision), o.backend, o.tolerancePolicy, o.idea.round, o.idea.text.trim(), o.implIndex, source ?? '<no kernel>']),
  );
}

function seedSource(seeds: SeedKernel[]): SeedSource {
  if (!seeds.length) return 'none';
  return seeds.some((s) => s.origin === 'search') ? 'search' : 'bank';
}

function trim(text: string | null, max = 4000): string | null {
  if (text === null || text.length <= max) return text;
  const half = Math.floor(max / 2);
  return `${text.slice(0, half)}\n... [${text.length - max} characters trimmed] ...\n${text.slice(-half)}`;
}

export function buildRecord(o: CandidateOutcome): KernelRecord {
  const source = o.implementation.source;
  const v = o.verification;
  const g = o.implementation.generation;
  const facts = v?.problem_facts;
  const failStage = v ? v.fail_stage : o.skippedReason ? 'skipped' : 'generate';
  const failMessage = v ? v.fail_message : (o.skippedReason ?? o.implementation.failure ?? 'no kernel was generated');
  return {
    record_id: recordId(o, source),
    run_id: o.runId,
    dataset_version: null,
    round: o.idea.round,
    idea_id: o.idea.id,
    impl_index: o.implIndex,
    kernel_id: source ? kernelId(source) : sha256(`no-kernel:${o.idea.id}:${o.implIndex}`),
    parent_ids: o.seeds.map((s) => s.kernelId),
    seed_source: seedSource(o.seeds),
    provider: o.provider.name,
    model: o.provider.model,

    problem_key: o.problem.key,
    problem_source: o.problem.source,
    problem_file: o.problem.file,
    level: o.problem.level,
    problem_id: o.problem.problemId,
    problem_name: o.problem.name,
    problem_code: o.problem.code,
    input_shapes: facts?.input_shapes ?? null,
    input_dtypes: facts?.input_dtypes ?? [],
    flops: facts?.flops ?? null,
    min_bytes: facts?.min_bytes ?? null,
    weak_problem: facts?.weak_problem ?? null,
    weak_reasons: facts?.weak_reasons ?? [],

    idea_text: o.idea.text,
    idea_category: o.idea.category,
    prompt_version: o.provider.promptVersion,
    prompt: g.prompt,
    raw_response: g.rawResponse,
    temperature: g.temperature,
    max_tokens: g.maxTokens,
    tokens_in: g.tokensIn,
    tokens_out: g.tokensOut,
    latency_ms: g.latencyMs,
    cost_usd: g.costUsd,
    from_cache: g.fromCache,

    kernel_source: source ?? '',
    // Once here, next to a verification of seconds, so that an export reads 28 bytes instead of hashing the source.
    kernel_dedup_key: kernelDedupKey(source ?? ''),
    backend: o.backend,
    precision: v?.precision ?? o.precision,
    compile_flags: v?.compile_flags ?? null,
    build_rewrites: v?.build_rewrites ?? [],
    compiled: v?.compiled ?? false,
    compile_log: trim(v?.compile_log ?? null),
    static_findings: v?.static_findings ?? [],

    correct: v?.correct ?? false,
    trials_passed: v?.trials_passed ?? 0,
    trials_run: v?.trials_run ?? 0,
    seeds: v?.seeds ?? [],
    tolerance_policy: o.tolerancePolicy,
    atol: v?.atol ?? tolerance(o.tolerancePolicy, o.precision),
    rtol: v?.rtol ?? tolerance(o.tolerancePolicy, o.precision),
    max_abs_error: v?.max_abs_error ?? null,
    max_rel_error: v?.max_rel_error ?? null,
    passes_policies: v?.passes_policies ?? [],
    inputs_unchanged: v?.inputs_unchanged ?? null,
    deterministic: v?.deterministic ?? null,
    fail_stage: failStage,
    fail_message: trim(failMessage, 2000),

    ref_time_ms: v?.ref_time_ms ?? null,
    ref_time_min_ms: v?.ref_time_min_ms ?? null,
    ref_time_max_ms: v?.ref_time_max_ms ?? null,
    ref_trials_ms: v?.ref_trials_ms ?? [],
    kernel_time_ms: v?.kernel_time_ms ?? null,
    kernel_time_min_ms: v?.kernel_time_min_ms ?? null,
    kernel_time_max_ms: v?.kernel_time_max_ms ?? null,
    kernel_trials_ms: v?.kernel_trials_ms ?? [],
    speedup: v?.speedup ?? null,
    compile_ref_time_ms: v?.compile_ref_time_ms ?? null,
    speedup_vs_compile: v?.speedup_vs_compile ?? null,
    sol_floor_ms: v?.sol_floor_ms ?? null,
    sol_fraction: v?.sol_fraction ?? null,
    timing_method: v?.timing_method ?? null,
    gpu_kernel_time_ms: v?.gpu_kernel_time_ms ?? null,

    flags: v?.flags ?? [],
    suspect: v?.suspect ?? false,
    own_kernel_share: v?.own_kernel_share ?? null,
    kernels_launched: v?.kernels_launched ?? [],
    reference_kernels_replaced: v?.reference_kernels_replaced ?? [],
    reference_kernels_kept: v?.reference_kernels_kept ?? [],

    device_name: v?.env.device_name ?? null,
    compute_capability: v?.env.compute_capability ?? null,
    driver_version: v?.env.driver_version ?? null,
    cuda_version: v?.env.cuda_version ?? null,
    torch_version: v?.env.torch_version ?? null,
    tf32_enabled: v?.env.tf32_enabled ?? null,
    verifier_version: v?.verifier_version ?? o.verifierVersion,
    created_at: o.createdAt,
  };
}
