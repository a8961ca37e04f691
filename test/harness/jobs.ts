/** Jobs for the harness tests: candidates from test/fixtures/candidates/cpu against the builtin ReLU. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { problemKey } from '../../kernelbench/problem.ts';
import type { VerifyJob } from '../../stages/verify/protocol.ts';
import { REPO_ROOT } from '../support/paths.ts';

export const RELU_PROBLEM = path.join(REPO_ROOT, 'kernelbench/builtin/level1/1001_ReLU.py');
export const CPU_CANDIDATES = path.join(REPO_ROOT, 'test/fixtures/candidates/cpu');
/** Shared across test runs on purpose: a second run of the same source is a build-cache hit. */
export const TEST_BUILD_ROOT = path.join(os.tmpdir(), 'kforge-test-builds');

export function reluJob(candidate: string, overrides: Partial<VerifyJob> = {}): VerifyJob {
  const code = readFileSync(RELU_PROBLEM, 'utf8');
  return {
    candidate_id: candidate,
    problem: { name: '1001_ReLU', code, key: problemKey(code) },
    kernel_source: readFileSync(path.join(CPU_CANDIDATES, `${candidate}.py`), 'utf8'),
    backend: 'cpu',
    precision: 'fp32',
    tolerance_policy: 'default',
    trials: 3,
    timing: { warmup: 1, repeats: 5 },
    timeout_s: 240,
    seed: 7,
    compile_reference: false,
    ...overrides,
  };
}
