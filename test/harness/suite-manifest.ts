/**
 * test/fixtures/candidates/suite.json: the exploit and honest fixtures, each with what the harness
 * must say about it. Validated here (zod), turned into VerifyJobs, and judged against results.
 * stages/verify/harness/gpu_suite.py reads the same file on GPU hosts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { FAIL_STAGES } from '../../datasets/schema.ts';
import { problemKey } from '../../kernelbench/problem.ts';
import { BACKENDS, TOLERANCE_POLICIES, type VerifyJob, type VerifyResult } from '../../stages/verify/protocol.ts';
import { REPO_ROOT } from '../support/paths.ts';

export const SUITE_DIR = path.join(REPO_ROOT, 'test/fixtures/candidates');

const stage = z.enum(FAIL_STAGES);
const expectedSchema = z.object({
  correct: z.boolean(),
  fail_stage: z.union([stage, z.array(stage).min(1)]).nullable(),
  flags: z.array(z.string()),
  suspect: z.boolean().optional(),
  not_passes: z.array(z.enum(TOLERANCE_POLICIES)).optional(),
  weak_reasons: z.array(z.string()).optional(),
  build_rewritten: z.boolean().optional(),
}).strict();
const fixtureSchema = z.object({
  file: z.string(),
  kind: z.enum(['exploit', 'honest']),
  class: z.number().int().min(1).max(16).optional(),
  short: z.string().optional(),
  problem: z.string(),
  backend: z.enum(BACKENDS),
  tolerance_policy: z.enum(TOLERANCE_POLICIES),
  timeout_s: z.number().positive().optional(),
  expected: expectedSchema,
  /** triton entries: the expectation in Triton's CPU interpreter, where the GPU-only defences cannot apply. */
  expected_interpreted: expectedSchema.optional(),
}).strict();
export type SuiteFixture = z.infer<typeof fixtureSchema>;
export type SuiteExpectation = z.infer<typeof expectedSchema>;

/** What `f` must give: in Triton's CPU interpreter (TRITON_INTERPRET=1) its expected_interpreted, where given. */
export function expectationFor(f: SuiteFixture, interpreted: boolean): SuiteExpectation {
  return interpreted && f.backend === 'triton' && f.expected_interpreted ? f.expected_interpreted : f.expected;
}

const manifestSchema = z.object({ about: z.string(), fixtures: z.array(fixtureSchema).min(1) }).strict();

export function loadSuite(): SuiteFixture[] {
  return manifestSchema.parse(JSON.parse(readFileSync(path.join(SUITE_DIR, 'suite.json'), 'utf8'))).fixtures;
}

export function suiteJob(f: SuiteFixture): VerifyJob {
  const code = readFileSync(path.join(REPO_ROOT, f.problem), 'utf8');
  const cuda = f.backend === 'cuda'; // triton here runs in Triton's CPU interpreter (suites.test.ts): cpu settings
  return {
    candidate_id: f.file,
    problem: { name: path.basename(f.problem, '.py'), code, key: problemKey(code) },
    kernel_source: readFileSync(path.join(SUITE_DIR, f.file), 'utf8'),
    backend: f.backend,
    precision: 'fp32',
    tolerance_policy: f.tolerance_policy,
    trials: 3,
    timing: cuda ? { warmup: 3, repeats: 20 } : { warmup: 1, repeats: 5 },
    timeout_s: f.timeout_s ?? 300,
    seed: 7,
    compile_reference: false,
  };
}

/** Every way `r` differs from the fixture's expectation; empty when it is as expected. */
export function mismatches(f: SuiteFixture, r: VerifyResult, interpreted = false): string[] {
  const e = expectationFor(f, interpreted);
  const out: string[] = [];
  if (r.correct !== e.correct) out.push(`correct=${r.correct}, expected ${e.correct}`);
  const allowed = Array.isArray(e.fail_stage) ? e.fail_stage : [e.fail_stage];
  if (!allowed.includes(r.fail_stage)) out.push(`fail_stage=${r.fail_stage}, expected ${JSON.stringify(e.fail_stage)}`);
  const missing = e.flags.filter((flag) => !r.flags.includes(flag));
  if (missing.length) out.push(`missing flags ${missing.join(', ')} (has ${r.flags.join(', ') || 'none'})`);
  if (e.suspect !== undefined && r.suspect !== e.suspect) out.push(`suspect=${r.suspect}, expected ${e.suspect}`);
  if (e.build_rewritten !== undefined && (r.build_rewrites.length > 0) !== e.build_rewritten) {
    out.push(`build_rewrites=${JSON.stringify(r.build_rewrites)}, expected ${e.build_rewritten ? 'some' : 'none'}`);
  }
  for (const p of e.not_passes ?? []) if (r.passes_policies.includes(p)) out.push(`passes policy '${p}'`);
  for (const w of e.weak_reasons ?? []) {
    if (!r.problem_facts.weak_reasons.includes(w)) out.push(`weak_reasons lacks '${w}' (${r.problem_facts.weak_reasons.join(', ')})`);
  }
  if (out.length) out.push(`fail_message: ${r.fail_message ?? 'null'}`);
  return out;
}
