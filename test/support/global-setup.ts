/**
 * Once per test run, before any test file starts, what every verification of the run shares (the tests
 * make a fresh build root almost per build, and each would otherwise redo this work):
 * - one speed-of-light peaks file: the harness measures a device's peak rates once per file, seconds of
 *   CPU under the device lock each time;
 * - one folder of keyed load_inline builds (KFORGE_INLINE_BUILDS): the same fixture C++ compiled once per
 *   run, not in every file (~20 s of CPU a build). Builds are keyed by everything load_inline compiles, so
 *   a test that needs a real compile (build-limit's) uses a source no other run has.
 * A fresh folder per run: nothing left between runs, and whichever test comes first does the work, so no
 * file depends on another having run.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(path.join(tmpdir(), 'kforge-test-run-'));
  process.env.KFORGE_PEAKS_CACHE = path.join(dir, 'peaks.json');
  process.env.KFORGE_INLINE_BUILDS = path.join(dir, 'inline');
  mkdirSync(process.env.KFORGE_INLINE_BUILDS);
  return () => rmSync(dir, { recursive: true, force: true });
}
