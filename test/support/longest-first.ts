/**
 * The order test files start in. vitest runs files it has no record of largest first, and a fresh clone
 * (CI) has no record: the files that take minutes could then start last, leaving one of the two workers
 * idle for minutes at the end. These start first, longest first (per-file times of a fresh clone's
 * `bash .ci/run`, 2-core machine, 2026-12-02 after the fork server: the suites compile a C++ extension
 * per fixture, ~500 s); every other file follows in vitest's own order.
 */
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export const LONGEST_FIRST = [
  'test/harness/suites.test.ts',
  'test/verify/queue-build.test.ts',
  'test/resume/kill-resume.test.ts',
  'test/harness/anticheat-unit.test.ts',
  'test/e2e/build-e2e.test.ts',
  'test/e2e/builtin-build.test.ts',
  'test/harness/build-limit.test.ts',
];

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = LONGEST_FIRST.indexOf(path.relative(f.project.config.root, f.moduleId));
      return i === -1 ? LONGEST_FIRST.length : i;
    };
    const sorted = await super.sort(files);
    return sorted.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(({ f }) => f);
  }
}
