/** A verification job from the run's settings: the one place where config meets the harness protocol. */
import type { Problem } from '../../kernelbench/problem.ts';
import type { VerifyJob } from '../../stages/verify/protocol.ts';
import type { RunConfig } from '../config/schema.ts';

export function makeVerifyJob(config: RunConfig, problem: Problem, candidateId: string, source: string): VerifyJob {
  const v = config.verify;
  return {
    candidate_id: candidateId,
    problem: { name: problem.name, code: problem.code, key: problem.key },
    kernel_source: source,
    backend: v.backend,
    tolerance_policy: v.tolerance,
    trials: v.trials,
    timing: { warmup: v.warmup, repeats: v.repeats },
    timeout_s: v.timeout_s,
    seed: v.seed,
    compile_reference: v.compile_reference,
  };
}
