/**
 * Once per test run, before any test file starts, what every verification of the run shares (the tests
 * make a fresh build root almost per build, and each would otherwise redo this work):
 * - one speed-of-light peaks file: the harness measures a device's peak rates once per file, seconds of
 *   CPU under the device lock each time;
 * - one folder of keyed load_inline builds (KFORGE_INLINE_BUILDS): the same fixture C++ compiled once, not
 *   in every file (~20 s of CPU a build). It is the harness tests' own TEST_BUILD_ROOT's (shared across
 *   runs on purpose, see test/harness/jobs.ts): a fresh folder per run made those tests compile again on
 *   every run. Builds are keyed by everything load_inline compiles, so a test that needs a real compile
 *   (build-limit's) uses a source no other run has;
 * - one folder of precompiled torch/extension.h headers (KFORGE_PCH_DIR, the harness's pch.py), beside the
 *   keyed builds and kept across runs like them: made in the background once a set of compile flags
 *   recurs (~55 s of CPU), each later compile with those flags takes ~17 s of CPU less (of ~35).
 * Whichever test comes first does the work, so no file depends on another having run. The peaks file is
 * fresh per run.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TEST_BUILD_ROOT } from '../harness/jobs.ts';

export default function setup(): () => void {
  const dir = mkdtempSync(path.join(tmpdir(), 'kforge-test-run-'));
  process.env.KFORGE_PEAKS_CACHE = path.join(dir, 'peaks.json');
  process.env.KFORGE_INLINE_BUILDS = path.join(TEST_BUILD_ROOT, 'ext', 'inline');
  mkdirSync(process.env.KFORGE_INLINE_BUILDS, { recursive: true });
  process.env.KFORGE_PCH_DIR = path.join(TEST_BUILD_ROOT, 'ext', 'pch');
  return () => rmSync(dir, { recursive: true, force: true });
}
