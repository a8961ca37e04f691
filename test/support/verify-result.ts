/** A complete verification result for tests that stand in for the harness. */
import type { VerifyJob, VerifyResult } from '../../stages/verify/protocol.ts';

/** A complete result, as the harness writes it (every field the protocol schema requires). */
export function verdict(job: VerifyJob, stage: VerifyResult['fail_stage']): VerifyResult {
  const n = null;
  return {
    candidate_id: job.candidate_id, verifier_version: 'test', backend: 'cpu', precision: job.precision, compiled: true, correct: stage === null, fail_stage: stage,
    fail_message: n, compile_log: n, compile_flags: n, build_rewrites: [], trials_passed: 1, trials_run: 1, seeds: [1], tolerance_policy: 'default',
    atol: 1e-4, rtol: 1e-4, max_abs_error: 0, max_rel_error: 0, passes_policies: ['default'], inputs_unchanged: true, deterministic: true,
    ref_time_ms: 2, ref_time_min_ms: 2, ref_time_max_ms: 2, ref_trials_ms: [2], kernel_time_ms: 1, kernel_time_min_ms: 1, kernel_time_max_ms: 1,
    kernel_trials_ms: [1], speedup: 2, compile_ref_time_ms: n, speedup_vs_compile: n, sol_floor_ms: n, sol_fraction: n, timing_method: 'cpu',
    gpu_kernel_time_ms: n, flags: [], suspect: false, static_findings: [], own_kernel_share: n, kernels_launched: [], reference_kernels_replaced: [],
    reference_kernels_kept: [], problem_facts: { input_shapes: n, input_dtypes: [], flops: n, min_bytes: n, weak_problem: n, weak_reasons: [] },
    env: { device_name: 'cpu', compute_capability: n, driver_version: n, cuda_version: n, torch_version: n, tf32_enabled: n, python_version: n },
    wall_s: 1, phase: 'all', build_source: 'built_here', build_store_keys: [], build_cpu_s: n, build_wall_s: n, load_s: n, gpu_busy_s: n,
    gpu_exclusive_s: n,
  };
}
