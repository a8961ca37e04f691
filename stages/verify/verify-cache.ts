/**
 * Verification through the content cache: a kernel already verified for this problem, backend,
 * precision, tolerance and verifier on this device and toolchain is not run again. The key holds everything that
 * changes a verdict or a timing, and nothing that does not (no paths, no run id, no candidate id).
 * A timeout is not stored: it says as much about the limit and the host's load as about the kernel, and
 * a rerun with a longer limit (or on a quieter machine) must try again.
 */
import { crashPoint } from '../core/crash-point.ts';
import type { ContentCache } from '../core/cache/content-cache.ts';
import { verifyResultSchema, type VerifyJob, type VerifyResult } from './protocol.ts';

export interface VerifyCacheOptions {
  cache: ContentCache;
  verifierVersion: string;
  /** Device name and toolchain (torch, CUDA, driver, python) as the harness reports them. */
  environment: Record<string, unknown>;
  /** Told of each job answered from the cache (or from the same job in flight). */
  onHit?: (job: VerifyJob) => void;
}

export function verifyCacheKey(job: VerifyJob, options: Pick<VerifyCacheOptions, 'verifierVersion' | 'environment'>): unknown {
  return {
    kernel_source: job.kernel_source,
    problem_key: job.problem.key,
    backend: job.backend,
    // fp32 and bf16 of one kernel are two verdicts (other inputs, other tolerance); a job written before
    // precision existed is fp32.
    precision: job.precision ?? 'fp32',
    tolerance_policy: job.tolerance_policy,
    trials: job.trials,
    timing: job.timing,
    seed: job.seed,
    compile_reference: job.compile_reference,
    verifier_version: options.verifierVersion,
    environment: options.environment,
  };
}

export function cachedVerify(verify: (job: VerifyJob) => Promise<VerifyResult>, options: VerifyCacheOptions): (job: VerifyJob) => Promise<VerifyResult> {
  // The same kernel twice at once (M implementations often agree) is verified once: two timings of one
  // kernel would race for the cache entry and make a rerun's prompts differ from the run's.
  const inFlight = new Map<string, Promise<VerifyResult>>();
  return async (job) => {
    const key = options.cache.key(verifyCacheKey(job, options));
    const running = inFlight.get(key);
    const hit = running ? await running : await options.cache.getValid('verify', key, verifyResultSchema);
    if (hit) {
      options.onHit?.(job);
      // The same verdict under this run's candidate id.
      return { ...hit, candidate_id: job.candidate_id };
    }
    const pending = (async () => {
      const result = await verify(job);
      if (result.fail_stage !== 'timeout') await options.cache.put('verify', key, result);
      return result;
    })();
    inFlight.set(key, pending);
    crashPoint('verify:in-flight');
    try {
      return await pending;
    } finally {
      inFlight.delete(key);
    }
  };
}
