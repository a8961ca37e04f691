/**
 * precision end to end on the cpu backend, through the real harness (verify.py --stdin, real torch
 * 1.13, a real C++ build): reference and candidate get inputs and weights of the run's dtype, the
 * tolerance follows it, the result and the record carry it, and the verification cache keys on it
 * (one kernel at fp32, bf16 and fp16 is three verifications; the same job again is a hit).
 * torch 1.13 has CPU kernels for bf16 for nearly every op (mse_loss lacks one), for fp16 only a few
 * (no relu/clamp, softmax, layer_norm, matmul, conv): the fp16 ReLU reference fails, and says why.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemKey } from '../../kernelbench/problem.ts';
import { ContentCache } from '../../stages/core/cache/content-cache.ts';
import { buildRecord } from '../../stages/records.ts';
import { LocalVerifier } from '../../stages/verify/local-verifier.ts';
import type { Precision, VerifyJob, VerifyResult } from '../../stages/verify/protocol.ts';
import { findPython } from '../../stages/verify/python.ts';
import { cachedVerify } from '../../stages/verify/verify-cache.ts';
import { CPU_CANDIDATES, reluJob, TEST_BUILD_ROOT } from '../harness/jobs.ts';
import { REPO_ROOT } from '../support/paths.ts';

const LEAKY = path.join(REPO_ROOT, 'test/fixtures/candidates/problems/leaky_where.py');

function leakyJob(precision: Precision): VerifyJob {
  const code = readFileSync(LEAKY, 'utf8');
  return {
    ...reluJob('relu_ok'),
    candidate_id: `leaky_${precision}`,
    problem: { name: 'leaky_where', code, key: problemKey(code) },
    kernel_source: readFileSync(path.join(CPU_CANDIDATES, 'leaky_any_precision.py'), 'utf8'),
    precision,
  };
}

describe('precision on the cpu backend (real harness)', () => {
  let verifier: LocalVerifier;
  const calls: string[] = [];
  let hits = 0;
  let verify: (job: VerifyJob) => Promise<VerifyResult>;

  beforeAll(async () => {
    const scratchRoot = path.join(mkdtempSync(path.join(os.tmpdir(), 'kforge-precision-')), 'scratch');
    verifier = new LocalVerifier({ python: await findPython(), workers: 2, cpuThreads: 1, buildRoot: TEST_BUILD_ROOT, scratchRoot });
    const cache = new ContentCache({ dir: mkdtempSync(path.join(os.tmpdir(), 'kforge-precision-cache-')) });
    verify = cachedVerify((job) => (calls.push(job.candidate_id), verifier.verify(job)),
      { cache, verifierVersion: verifier.version, environment: { device: 'cpu' }, onHit: () => hits++ });
  });
  afterAll(() => verifier.close());

  it('casts both sides, picks the tolerance per dtype, records the precision, and caches per precision', async () => {
    const fp32 = await verify(leakyJob('fp32')); // builds once; the other precisions reuse the build
    const [bf16, fp16] = await Promise.all([verify(leakyJob('bf16')), verify(leakyJob('fp16'))]);
    for (const [r, p, dtype, tol] of [[fp32, 'fp32', 'float32', 1e-4], [bf16, 'bf16', 'bfloat16', 1e-2], [fp16, 'fp16', 'float16', 1e-2]] as const) {
      expect(r.correct, `${p}: ${r.fail_message}`).toBe(true);
      expect(r.precision).toBe(p);
      expect([r.atol, r.rtol]).toEqual([tol, tol]);
      expect(r.problem_facts.input_dtypes).toEqual([dtype]);
      expect(r.flags).not.toContain('precision_lowered');
    }
    expect(bf16.problem_facts.min_bytes).toBe(fp32.problem_facts.min_bytes! / 2); // the floor's bytes are the dtype's
    expect(calls).toEqual(['leaky_fp32', 'leaky_bf16', 'leaky_fp16']);
    expect((await verify({ ...leakyJob('bf16'), candidate_id: 'again' })).precision).toBe('bf16');
    expect([calls.length, hits]).toEqual([3, 1]);

    const code = readFileSync(LEAKY, 'utf8');
    const problem = { key: problemKey(code), source: 'test', file: null, level: 1, problemId: 1, name: 'leaky_where', code };
    const outcome = {
      runId: 'r', problem, backend: 'cpu' as const, tolerancePolicy: 'default' as const, verifierVersion: verifier.version,
      provider: { name: 'test', model: 'm', promptVersion: 'v' }, createdAt: '2026-01-01T00:00:00Z',
      idea: { id: 'i', round: 1, text: 'idea', category: 'other' as const }, implIndex: 0, seeds: [],
      implementation: { source: 'src', failure: null, generation: { prompt: null, rawResponse: null, temperature: null, maxTokens: null, tokensIn: null, tokensOut: null, latencyMs: null, costUsd: null, fromCache: false } },
    };
    const r32 = buildRecord({ ...outcome, precision: 'fp32', verification: fp32 });
    const r16 = buildRecord({ ...outcome, precision: 'bf16', verification: bf16 });
    expect([r32.precision, r16.precision, r16.atol]).toEqual(['fp32', 'bf16', 1e-2]);
    expect(r32.record_id).not.toBe(r16.record_id); // a problem at a precision is its own variant
  });

  it('gives a float-only candidate bf16 inputs, and says when the reference has no fp16 CPU kernel', async () => {
    const [floatOnly, noHalf] = await Promise.all([
      verify(reluJob('relu_ok', { candidate_id: 'relu_bf16', precision: 'bf16' })),
      verify(reluJob('relu_ok', { candidate_id: 'relu_fp16', precision: 'fp16' })),
    ]);
    expect(floatOnly.correct).toBe(false);
    expect(floatOnly.fail_message).toMatch(/BFloat16/); // data_ptr<float> on a bf16 tensor
    expect(noHalf.fail_stage).toBe('run');
    expect(noHalf.fail_message).toMatch(/Model\.forward raised .*not implemented for 'Half'/s);
  });
});
