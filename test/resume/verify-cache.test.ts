/**
 * The verification cache: a verdict is reused for the same kernel, problem and settings, except a
 * timeout, which depends on the limit and the host's load and is tried again.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContentCache } from '../../stages/core/cache/content-cache.ts';
import { cachedVerify } from '../../stages/verify/verify-cache.ts';
import type { VerifyJob, VerifyResult } from '../../stages/verify/protocol.ts';
import { reluJob } from '../harness/jobs.ts';

/** A complete result, as the harness writes it (every field the protocol schema requires). */
function verdict(job: VerifyJob, stage: VerifyResult['fail_stage']): VerifyResult {
  const n = null;
  return {
    candidate_id: job.candidate_id, verifier_version: 'test', backend: 'cpu', compiled: true, correct: stage === null, fail_stage: stage,
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

describe('verification cache', () => {
  it('reuses a verdict but asks again after a timeout', async () => {
    const cache = new ContentCache({ dir: mkdtempSync(path.join(os.tmpdir(), 'kforge-vcache-')) });
    const calls: string[] = [];
    const stages: Record<string, VerifyResult['fail_stage']> = { relu_ok: null, hang: 'timeout' };
    const verify = cachedVerify(async (job) => {
      calls.push(job.candidate_id);
      return verdict(job, stages[job.candidate_id]!);
    }, { cache, verifierVersion: 'test', environment: { device: 'cpu' } });
    for (let i = 0; i < 2; i++) {
      expect((await verify(reluJob('relu_ok'))).fail_stage).toBeNull();
      expect((await verify(reluJob('hang'))).fail_stage).toBe('timeout');
    }
    expect(calls).toEqual(['relu_ok', 'hang', 'hang']);
  });

  it('an entry that does not match the result schema is a miss: recomputed, rewritten, reported once with its path', async () => {
    const lines: string[] = [];
    const cache = new ContentCache({ dir: mkdtempSync(path.join(os.tmpdir(), 'kforge-vcache-bad-')), log: (l) => lines.push(l) });
    const calls: string[] = [];
    const verify = cachedVerify(async (job) => (calls.push(job.candidate_id), verdict(job, null)), { cache, verifierVersion: 'test', environment: { device: 'cpu' } });
    await verify(reluJob('relu_ok'));
    const [entry] = readdirSync(path.join(cache.dir, 'verify'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    const file = path.join(entry!.parentPath, entry!.name);
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { value: Record<string, unknown> };
    stored.value.speedup = 'fast'; // what once became a NaN in the record and crashed the summary
    writeFileSync(file, JSON.stringify(stored));
    for (let i = 0; i < 2; i++) expect((await verify(reluJob('relu_ok'))).speedup).toBe(2);
    expect(calls).toEqual(['relu_ok', 'relu_ok']); // recomputed once; the rewritten entry then serves
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(file);
    expect(lines[0]).toContain('speedup');
  });
});
