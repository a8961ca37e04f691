/** A verification job from the run's settings: the one place where run settings meet the harness protocol. */
import type { Problem } from '../../kernelbench/problem.ts';
import type { Backend, Precision, TolerancePolicy, VerifyJob } from './protocol.ts';

/** The run's `verify` settings a job is made from (the configuration's `verify` section fits it). */
export interface VerifyJobSettings {
  backend: Backend;
  precision: Precision;
  tolerance: TolerancePolicy;
  trials: number;
  warmup: number;
  repeats: number;
  timeout_s: number;
  seed: number;
  compile_reference: boolean;
}

export function makeVerifyJob(v: VerifyJobSettings, problem: Problem, candidateId: string, source: string): VerifyJob {
  return {
    candidate_id: candidateId,
    problem: { name: problem.name, code: problem.code, key: problem.key },
    kernel_source: source,
    backend: v.backend,
    precision: v.precision,
    tolerance_policy: v.tolerance,
    trials: v.trials,
    timing: { warmup: v.warmup, repeats: v.repeats },
    timeout_s: v.timeout_s,
    seed: v.seed,
    compile_reference: v.compile_reference,
  };
}
