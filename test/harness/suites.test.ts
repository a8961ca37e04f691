/**
 * The exploit and honest suites (test/fixtures/candidates/suite.json) through the real harness:
 * one `verify.py --jobs` run over every cpu fixture (real torch, real C++ builds, cached between
 * runs under TEST_BUILD_ROOT). Each exploit must be caught the way its manifest entry says; no
 * honest candidate may be flagged suspect. CUDA fixtures run where torch sees a GPU (on GPU hosts
 * without Node: `python3 stages/verify/harness/gpu_suite.py --json out.json`). Triton fixtures run here in
 * Triton's CPU interpreter (TRITON_INTERPRET=1), judged by their expected_interpreted where given (on a GPU:
 * `gpu_suite.py --backends triton`); skipped only where the harness's Python cannot import triton.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { findPython } from '../../stages/verify/python.ts';
import { HARNESS_SCRIPT } from '../../stages/verify/local-verifier.ts';
import { verifyResultSchema, type Backend, type VerifyResult } from '../../stages/verify/protocol.ts';
import { TEST_BUILD_ROOT } from './jobs.ts';
import { expectationFor, loadSuite, mismatches, SUITE_DIR, suiteJob, type SuiteFixture } from './suite-manifest.ts';

// First run builds ~20 C++ extensions on 2 cores; later runs hit the build cache.
const SUITE_TIMEOUT_MS = 45 * 60_000;

const python = await findPython();
const hasCuda = (await execa(python, ['-c', 'import torch; print(torch.cuda.is_available())'], { reject: false }))
  .stdout.trim() === 'True';
const tritonImport = await execa(python, ['-c', 'import triton'], { reject: false });
const hasTriton = tritonImport.exitCode === 0;
const fixtures = loadSuite();

async function runSuite(backend: Backend): Promise<Map<string, VerifyResult>> {
  const chosen = fixtures.filter((f) => f.backend === backend);
  const dir = mkdtempSync(path.join(os.tmpdir(), `kforge-suite-${backend}-`));
  const jobsFile = path.join(dir, 'jobs.jsonl');
  const outFile = path.join(dir, 'results.jsonl');
  writeFileSync(jobsFile, chosen.map((f) => JSON.stringify(suiteJob(f))).join('\n') + '\n');
  const r = await execa(python, [HARNESS_SCRIPT, '--jobs', jobsFile, '--out', outFile, '--workers', '2',
    '--build-root', TEST_BUILD_ROOT, '--scratch-root', path.join(dir, 'scratch'), '--cpu-threads', '1'],
  { reject: false, timeout: SUITE_TIMEOUT_MS, env: backend === 'triton' ? { TRITON_INTERPRET: '1' } : {} });
  expect(r.exitCode, String(r.stderr)).toBe(0);
  const lines = readFileSync(outFile, 'utf8').trim().split('\n');
  return new Map(lines.map((l) => {
    const result = verifyResultSchema.strict().parse(JSON.parse(l));
    return [result.candidate_id, result];
  }));
}

function title(f: SuiteFixture): string {
  const e = expectationFor(f, f.backend === 'triton');
  const verdict = e.correct ? 'passes' : `fails at ${JSON.stringify(e.fail_stage)}`;
  const flags = e.flags.length ? ` with ${e.flags.join(', ')}` : '';
  const who = f.kind === 'exploit' ? `exploit ${f.class} (${f.short})` : 'honest';
  return `${who} ${path.basename(f.file)} on ${path.basename(f.problem, '.py')}: ${verdict}${flags}`
    + (e.suspect === undefined ? '' : e.suspect ? ', suspect' : ', not suspect');
}

function suite(backend: Backend): void {
  let results = new Map<string, VerifyResult>();
  beforeAll(async () => {
    results = await runSuite(backend);
  }, SUITE_TIMEOUT_MS);

  it('gives a result for every fixture', () => {
    const expected = fixtures.filter((f) => f.backend === backend).map((f) => f.file).sort();
    expect([...results.keys()].sort()).toEqual(expected);
  });

  for (const f of fixtures.filter((x) => x.backend === backend)) {
    it(title(f), () => {
      const r = results.get(f.file);
      expect(r, `no result for ${f.file}`).toBeDefined();
      expect(mismatches(f, r!, backend === 'triton')).toEqual([]);
      if (f.kind === 'honest') expect(r!.suspect).toBe(false);
      // The interpreter's evidence is said: launches counted (kernels_launched), not profiled.
      if (backend === 'triton') expect(r!.flags).toContain('triton_interpreted');
    });
  }
}

describe('exploit and honest suites, cpu fixtures', () => suite('cpu'));

describe.skipIf(!hasTriton)(
  `exploit and honest suites, triton fixtures in Triton's CPU interpreter${hasTriton ? ''
    : ` (SKIPPED: ${python} cannot import triton; bash scripts/setup.sh installs triton==3.2.0)`}`,
  () => suite('triton'),
);

describe.skipIf(!hasCuda)(
  'exploit and honest suites, cuda fixtures (need a GPU: run on the GPU host, e.g. python3 stages/verify/harness/gpu_suite.py --json out.json)',
  () => suite('cuda'),
);

describe('suite manifest', () => {
  it('names an exploit for every class of VERIFICATION.md and an honest candidate for every builtin problem', () => {
    const classes = new Set(fixtures.filter((f) => f.kind === 'exploit').map((f) => f.class));
    expect([...classes].sort((a, b) => a! - b!)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    for (const backend of ['cpu', 'cuda'] as const) {
      const problems = new Set(fixtures.filter((f) => f.kind === 'honest' && f.backend === backend)
        .map((f) => f.problem).filter((p) => p.startsWith('kernelbench/builtin/')));
      expect(problems.size, backend).toBe(6);
    }
    for (const f of fixtures.filter((x) => x.kind === 'exploit')) {
      const header = readFileSync(path.join(SUITE_DIR, f.file), 'utf8');
      expect(header, f.file).toMatch(new RegExp(`^# Exploit class ${f.class}\\b`));
    }
  });
});
