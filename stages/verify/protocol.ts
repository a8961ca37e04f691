/**
 * The contract between the pipeline and the Python verification harness
 * (stages/verify/harness/PROTOCOL.md describes the same thing for people running it by hand).
 * Jobs go in as JSON lines, results come out as JSON lines; both sides validate.
 */
import { z } from 'zod';
import { FAIL_STAGES } from '../../datasets/schema.ts';

export const BACKENDS = ['cpu', 'cuda'] as const;
export type Backend = (typeof BACKENDS)[number];

export const TOLERANCE_POLICIES = ['default', 'loose'] as const;
export type TolerancePolicy = (typeof TOLERANCE_POLICIES)[number];

export interface VerifyJob {
  candidate_id: string;
  problem: { name: string; code: string; key: string };
  kernel_source: string;
  backend: Backend;
  tolerance_policy: TolerancePolicy;
  /** Correctness trials, each on a fresh input draw. */
  trials: number;
  timing: { warmup: number; repeats: number };
  timeout_s: number;
  /** Base of the secret input seeds; the harness derives one seed per trial from it. */
  seed: number;
  compile_reference: boolean;
}

const nullableNumber = z.number().nullable();

export const problemFactsSchema = z.object({
  input_shapes: z.string().nullable(),
  input_dtypes: z.array(z.string()),
  flops: nullableNumber,
  min_bytes: nullableNumber,
  weak_problem: z.boolean().nullable(),
  weak_reasons: z.array(z.string()),
});
export type ProblemFacts = z.infer<typeof problemFactsSchema>;

export const environmentSchema = z.object({
  device_name: z.string().nullable(),
  compute_capability: z.string().nullable(),
  driver_version: z.string().nullable(),
  cuda_version: z.string().nullable(),
  torch_version: z.string().nullable(),
  tf32_enabled: z.boolean().nullable(),
  python_version: z.string().nullable(),
});
export type Environment = z.infer<typeof environmentSchema>;

export const verifyResultSchema = z.object({
  candidate_id: z.string(),
  verifier_version: z.string(),
  backend: z.enum(BACKENDS),
  compiled: z.boolean(),
  correct: z.boolean(),
  fail_stage: z.enum(FAIL_STAGES).nullable(),
  fail_message: z.string().nullable(),
  compile_log: z.string().nullable(),
  compile_flags: z.string().nullable(),
  build_rewrites: z.array(z.string()),
  trials_passed: z.number().int(),
  trials_run: z.number().int(),
  seeds: z.array(z.number().int()),
  tolerance_policy: z.string(),
  atol: z.number(),
  rtol: z.number(),
  max_abs_error: nullableNumber,
  max_rel_error: nullableNumber,
  passes_policies: z.array(z.string()),
  inputs_unchanged: z.boolean().nullable(),
  deterministic: z.boolean().nullable(),
  ref_time_ms: nullableNumber,
  ref_time_min_ms: nullableNumber,
  ref_time_max_ms: nullableNumber,
  ref_trials_ms: z.array(z.number()),
  kernel_time_ms: nullableNumber,
  kernel_time_min_ms: nullableNumber,
  kernel_time_max_ms: nullableNumber,
  kernel_trials_ms: z.array(z.number()),
  speedup: nullableNumber,
  compile_ref_time_ms: nullableNumber,
  speedup_vs_compile: nullableNumber,
  sol_floor_ms: nullableNumber,
  sol_fraction: nullableNumber,
  timing_method: z.string().nullable(),
  gpu_kernel_time_ms: nullableNumber,
  flags: z.array(z.string()),
  suspect: z.boolean(),
  static_findings: z.array(z.string()),
  own_kernel_share: nullableNumber,
  kernels_launched: z.array(z.string()),
  reference_kernels_replaced: z.array(z.string()),
  reference_kernels_kept: z.array(z.string()),
  problem_facts: problemFactsSchema,
  env: environmentSchema,
  wall_s: z.number(),
});
export type VerifyResult = z.infer<typeof verifyResultSchema>;
