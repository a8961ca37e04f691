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
 *   recurs (~55 s of CPU quiet, ~85 s in a loaded CI run), each later compile with those flags takes
 *   ~17 s of CPU less (of ~35). The flag sets the tests' cpu builds use are prewarmed here, in the
 *   background, at once: on a cold 2-core CI run the first header was otherwise ready after 5 minutes and
 *   the third after 12 (~210 s of wall each under load), so about half the builds that could use one did not.
 * Whichever test comes first does the work, so no file depends on another having run. The peaks file is
 * fresh per run.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CPU_FLAGS } from '../../stages/providers/builtin/kernel-parts.ts';
import { findPython } from '../../stages/verify/python.ts';
import { TEST_BUILD_ROOT } from '../harness/jobs.ts';

const HARNESS_DIR = fileURLToPath(new URL('../../stages/verify/harness/', import.meta.url));

/**
 * The extra_cflags of the test run's cpu builds (counted over a cold CI run's build.ninja files,
 * 2026-12-02: 22 builds with the builtin cpu templates' CPU_FLAGS, spread over the run; 15 with -O3 alone,
 * most of them the suites' fixtures, which build first; 7 with none). The suites' fixtures whose C++ has no
 * reason for other flags compile with -O3, so one header serves them. -O3 first: its builds come first.
 * A set not listed still gets its header once it recurs.
 */
const PREWARM_FLAG_SETS = [['-O3'], CPU_FLAGS, []];

/** Starts the harness's pch prewarm detached (its own session): no test waits for it, and a header that is
 * not ready yet only means a build compiles without it. */
async function prewarmHeaders(dir: string): Promise<void> {
  if (process.env.KFORGE_PCH === '0') return;
  const python = await findPython().catch(() => null);
  if (python === null) return; // the tests that need Python say so themselves
  const child = spawn(python, ['-m', 'kforge_harness.pch', '--prewarm', dir, JSON.stringify(PREWARM_FLAG_SETS)], {
    cwd: HARNESS_DIR, detached: true, stdio: 'ignore', env: { ...process.env, PYTHONPATH: HARNESS_DIR },
  });
  child.on('error', () => undefined); // speed only
  child.unref();
}

export default async function setup(): Promise<() => void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kforge-test-run-'));
  process.env.KFORGE_PEAKS_CACHE = path.join(dir, 'peaks.json');
  process.env.KFORGE_INLINE_BUILDS = path.join(TEST_BUILD_ROOT, 'ext', 'inline');
  mkdirSync(process.env.KFORGE_INLINE_BUILDS, { recursive: true });
  process.env.KFORGE_PCH_DIR = path.join(TEST_BUILD_ROOT, 'ext', 'pch');
  await prewarmHeaders(process.env.KFORGE_PCH_DIR);
  return () => rmSync(dir, { recursive: true, force: true });
}
