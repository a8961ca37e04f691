/**
 * The harness's anti-cheat and measurement modules (static_check, problem_facts, speed_of_light,
 * profiling, flags), unit-tested in Python (stages/verify/harness/tests/) with the real torch.
 * The CUDA profiling tests skip themselves without a GPU; everything else runs here.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { findPython } from '../../stages/verify/python.ts';
import { REPO_ROOT } from '../support/paths.ts';

const TESTS_DIR = path.join(REPO_ROOT, 'stages/verify/harness/tests');
const MODULES = ['test_building', 'test_chunked', 'test_timing', 'test_static_check', 'test_problem_facts', 'test_speed_of_light',
  'test_profiling', 'test_profiling_cuda', 'test_arch_flags', 'test_fidelity', 'test_poisoning_settle', 'test_triton', 'test_precision',
  'test_fleet_summary', 'test_build_store', 'test_source_compat', 'test_fork_server', 'test_pch', 'test_device_lock', 'test_build_ahead', 'test_shared_fallback'];

describe('anti-cheat modules (python unittest)', () => {
  it('lists every test module of the harness (a module left out of MODULES would never run)', () => {
    const modules = readdirSync(TESTS_DIR).filter((f) => /^test_.*\.py$/.test(f)).map((f) => f.slice(0, -3));
    expect(modules.filter((m) => !MODULES.includes(m))).toEqual([]);
  });

  it('pass their unit tests: static flags, weak problems, speed-of-light floor, kernel ownership', async () => {
    const python = await findPython();
    const r = await execa(python, ['-m', 'unittest', '-v', ...MODULES], {
      cwd: TESTS_DIR,
      reject: false,
      // Peaks measured by the test go to a throwaway cache, not the user's ~/.cache.
      env: { ...process.env, KFORGE_PEAKS_CACHE: path.join(mkdtempSync(path.join(os.tmpdir(), 'kforge-peaks-')), 'peaks.json') },
    });
    const output = `${r.stdout}\n${r.stderr}`;
    expect(r.exitCode, output).toBe(0);
    const ran = Number(/Ran (\d+) tests?/.exec(output)?.[1] ?? 0);
    expect(ran, output).toBeGreaterThanOrEqual(30); // a broken import cannot pass as "0 tests, OK"
    for (const name of ['test_tiny_output_passes_as_zeros', 'test_output_ignoring_input',
      'test_dropout_in_training_mode_is_nondeterministic', 'test_ordinary_problems_are_not_weak']) {
      expect(output).toMatch(new RegExp(`${name} .*\\.\\.\\. ok`));
    }
    // Where triton imports (CI: scripts/setup.sh installs it), its tests must run, not skip.
    if ((await execa(python, ['-c', 'import triton'], { reject: false })).exitCode === 0) {
      for (const name of ['test_own_launch_counted_and_judged', 'test_warm_up_is_the_build']) {
        expect(output).toMatch(new RegExp(`${name} .*\\.\\.\\. ok`));
      }
    }
  });
});
