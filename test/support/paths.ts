/** Paths tests share: the repository root and the KernelBench problems the source tests read. */
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { ProblemSourceSpec } from '../../kernelbench/sources/spec.ts';

export const REPO_ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

/**
 * A KernelBench problem set and what a test may assert about it. A clone must test on its own (CI
 * clones the repository alone), so the default is the project's own fixture: twelve small problems
 * written in KernelBench's layout, spread over all four levels. The real benchmark (270 problems) is
 * opt-in: KFORGE_KERNELBENCH names its problems.jsonl (Hugging Face layout) or a KernelBench checkout.
 */
export interface KernelBenchSet {
  label: string;
  /** Where the problems are; null when the opt-in set is not configured (its tests skip). */
  spec: ProblemSourceSpec | null;
  total: number;
  /** Problems at levels 1, 2, 3, 4. */
  byLevel: number[];
  /** Problems whose name matches /conv/i, at least. */
  minConv: number;
}

export const KERNELBENCH_FIXTURE_JSONL = path.join(REPO_ROOT, 'test/fixtures/kernelbench/problems.jsonl');

export const FIXTURE_KERNELBENCH: KernelBenchSet = {
  label: 'the fixture KernelBench (test/fixtures/kernelbench/problems.jsonl)',
  spec: { jsonl: KERNELBENCH_FIXTURE_JSONL },
  total: 12,
  byLevel: [5, 4, 2, 1],
  minConv: 2,
};

const realPath = process.env.KFORGE_KERNELBENCH;
export const REAL_KERNELBENCH: KernelBenchSet = {
  label: realPath
    ? `the real KernelBench (KFORGE_KERNELBENCH=${realPath})`
    : 'the real KernelBench (skipped: set KFORGE_KERNELBENCH=/path/to/problems.jsonl or /path/to/a/KernelBench/checkout)',
  spec: realPath ? (statSync(realPath).isDirectory() ? { checkout: realPath } : { jsonl: realPath }) : null,
  total: 270,
  byLevel: [100, 100, 50, 20],
  minConv: 11,
};
