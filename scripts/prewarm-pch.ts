/**
 * Starts the harness's precompiled-header prewarm (stages/verify/harness/kforge_harness/pch.py) for the cpu
 * flag sets this clone's builds use, detached, and returns at once: a header not ready yet only means a
 * build compiles without it (~17 s of CPU more of ~35 on this 2-core machine).
 *
 * The folder is the clone's own cache, `.kforge-cache/builds/ext/pch`: where the main job's cpu builds look
 * for it (the harness's default, `<build root>/ext/pch`, under the default cache.dir) and where the test
 * suite points KFORGE_PCH_DIR (test/support/global-setup.ts). `scripts/setup.sh` runs this as its last
 * step, so the headers (~55 s of CPU each) are made while npm and pip work, not while builds wait.
 *
 *   npx tsx scripts/prewarm-pch.ts            # the default folder and flag sets
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CPU_FLAGS } from '../stages/providers/builtin/kernel-parts.ts';
import { findPython } from '../stages/verify/python.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const HARNESS_DIR = path.join(REPO, 'stages/verify/harness');

/** The clone's header folder (see above). */
export const CLONE_PCH_DIR = path.join(REPO, '.kforge-cache', 'builds', 'ext', 'pch');

/**
 * The extra_cflags of the cpu builds (counted over a cold CI run's build.ninja files, 2026-12-02: 22
 * builds with the builtin cpu templates' CPU_FLAGS, spread over the run; 15 with -O3 alone, most of them
 * the test suites' fixtures, which build first; 7 with none). -O3 first: its builds come first in a test
 * run; the main job's builtin templates use CPU_FLAGS. A set not listed still gets its header once it recurs.
 */
export const PREWARM_FLAG_SETS: string[][] = [['-O3'], CPU_FLAGS, []];

/** Starts the prewarm detached (its own session); resolves once it is started. KFORGE_PCH=0: nothing. */
export async function prewarmHeaders(dir: string = CLONE_PCH_DIR, sets: string[][] = PREWARM_FLAG_SETS): Promise<boolean> {
  if (process.env.KFORGE_PCH === '0') return false;
  const python = await findPython().catch(() => null);
  if (python === null) return false; // the tests that need Python say so themselves
  mkdirSync(dir, { recursive: true });
  const child = spawn(python, ['-m', 'kforge_harness.pch', '--prewarm', dir, JSON.stringify(sets)], {
    cwd: HARNESS_DIR, detached: true, stdio: 'ignore', env: { ...process.env, PYTHONPATH: HARNESS_DIR },
  });
  child.on('error', () => undefined); // speed only
  child.unref();
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const started = await prewarmHeaders();
  console.error(started
    ? `setup: precompiling torch/extension.h for the cpu builds in the background (${path.relative(REPO, CLONE_PCH_DIR)})`
    : 'setup: no precompiled header (KFORGE_PCH=0 or no Python with torch)');
}
