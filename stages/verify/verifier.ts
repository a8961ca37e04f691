/** What the pipeline needs from a verifier: one verdict per job, many jobs at once. */
import type { Backend, Environment, VerifyJob, VerifyResult } from './protocol.ts';

export interface Verifier {
  /** The verdict for one candidate. Never rejects for a bad candidate (that is a result); rejects
   * only when the verifier itself cannot work (e.g. its process died). */
  verify(job: VerifyJob): Promise<VerifyResult>;
  close(): Promise<void>;
}

/** A verifier that can also describe where it measures (device, toolchain), before any job. */
export interface DescribedVerifier extends Verifier {
  readonly version: string;
  environment(backend: Backend): Promise<Environment>;
}

/** A verifier a build can stop on Ctrl-C: pending jobs end with RunStoppedError. */
export interface StoppableVerifier extends DescribedVerifier {
  abort(reason: string): Promise<void>;
}
