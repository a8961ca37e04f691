/**
 * The verification a run uses, wired once for `kforge build`, `kforge verify` and `kforge serve`: the
 * local verifier (its build folder under the cache, scratch under the run folder), the environment it
 * measures in, and the verification cache in front of it. An interrupt aborts the verifier.
 */
import type { StoppableVerifier } from '../../stages/verify/verifier.ts';
import type { Backend, Environment, VerifyJob, VerifyResult } from '../../stages/verify/protocol.ts';
import type { ContentCache } from '../../stages/core/cache/content-cache.ts';
import { cachedVerify } from '../../stages/verify/verify-cache.ts';
import type { RunConfig } from '../config/schema.ts';
import type { Interrupt } from '../run/interrupt.ts';
import { createVerifier } from './create-verifier.ts';

export interface VerificationSetup {
  verifier: StoppableVerifier;
  /** The environment of the run's backend (device, toolchain), probed before any job. */
  environment: Environment;
  /** Through the cache when there is one; a hit answers at once. */
  verify: (job: VerifyJob) => Promise<VerifyResult>;
  /** Verifications answered from the cache so far. */
  reused(): number;
  close(): Promise<void>;
}

export async function openVerification(
  config: RunConfig,
  options: {
    python: string; runDir: string; cache: ContentCache | null; interrupt?: Interrupt | undefined; onHit?: (job: VerifyJob) => void;
    /** false (--no-cache): the queue must not answer with a verdict it has from before either. */
    reuse?: boolean;
    log?: (line: string) => void;
  },
): Promise<VerificationSetup> {
  // verify.mode: the local harness pool or the Redis queue (create-verifier.ts).
  const verifier = await createVerifier(config, {
    python: options.python, runDir: options.runDir, reuse: options.reuse ?? options.cache !== null, ...(options.log ? { log: options.log } : {}),
  });
  const stopVerifier = options.interrupt?.onInterrupt((signal) => void verifier.abort(`interrupted by ${signal}`));
  const close = async (): Promise<void> => {
    stopVerifier?.();
    await verifier.close();
  };
  try {
    let reused = 0;
    const environments = new Map<Backend, Promise<Environment>>();
    const environmentOf = (backend: Backend): Promise<Environment> => {
      if (!environments.has(backend)) environments.set(backend, verifier.environment(backend));
      return environments.get(backend)!;
    };
    const environment = await environmentOf(config.verify.backend);
    const direct = (job: VerifyJob) => verifier.verify(job);
    // One cached path per backend: the cache key holds the environment the verdict was measured in.
    const byBackend = new Map<Backend, Promise<(job: VerifyJob) => Promise<VerifyResult>>>();
    const cache = options.cache;
    const verify = !cache
      ? direct
      : async (job: VerifyJob): Promise<VerifyResult> => {
          if (!byBackend.has(job.backend)) {
            const made = environmentOf(job.backend).then((env) =>
              cachedVerify(direct, { cache, verifierVersion: verifier.version, environment: env, onHit: (job) => {
                reused++;
                options.onHit?.(job);
              } }),
            );
            byBackend.set(job.backend, made);
          }
          return (await byBackend.get(job.backend)!)(job);
        };
    return { verifier, environment, verify, reused: () => reused, close };
  } catch (error) {
    await close();
    throw error;
  }
}
