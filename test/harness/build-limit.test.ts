/**
 * The extension build has its own time limit (--build-timeout), and the job's timeout_s does not count
 * it: a slow compiler on a busy host is not a hanging candidate; a build that outlasts its own limit is
 * a timeout whose message names the build. Real C++ builds (fresh sources, so nothing comes from the build cache).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { findPython } from '../../stages/verify/python.ts';
import { HARNESS_SCRIPT } from '../../stages/verify/local-verifier.ts';
import { verifyResultSchema, type VerifyResult } from '../../stages/verify/protocol.ts';
import { fastRelu } from '../support/python-kernels.ts';
import { reluJob, TEST_BUILD_ROOT } from './jobs.ts';

/** relu_ok with a C++ comment no earlier run had: builds are keyed by what load_inline compiles, so the
 * comment goes into the C++ source; its build folder is new and it really compiles (~20 s here). */
function freshBuildJob(id: string, timeoutS: number) {
  const job = reluJob('relu_ok', { candidate_id: id, timeout_s: timeoutS, trials: 1, timing: { warmup: 0, repeats: 2 } });
  const include = '#include <torch/extension.h>';
  expect(job.kernel_source).toContain(include);
  const fresh = `${include}\n// fresh build ${Date.now()} ${Math.random()}`;
  return { ...job, kernel_source: job.kernel_source.replace(include, fresh) };
}

async function verify(job: object, extra: string[]): Promise<VerifyResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kforge-build-limit-'));
  const jobs = path.join(dir, 'jobs.jsonl');
  writeFileSync(jobs, JSON.stringify(job) + '\n');
  const r = await execa(await findPython(), [HARNESS_SCRIPT, '--jobs', jobs, '--build-root', TEST_BUILD_ROOT,
    '--scratch-root', path.join(dir, 'scratch'), ...extra], { reject: false });
  expect(r.exitCode, String(r.stderr)).toBe(0);
  return verifyResultSchema.parse(JSON.parse(String(r.stdout).trim()));
}

describe('build time limit', () => {
  // The CPU's speed-of-light peaks are measured by the first verification that needs them (seconds of
  // worker time, counted against timeout_s; the test run shares one peaks file): a build-free candidate
  // takes that first, so the 10 s job below is timed on its own work whichever file verified first.
  beforeAll(async () => {
    const warm = await verify(reluJob('relu_ok', { candidate_id: 'peaks_warm_up', kernel_source: fastRelu('warm-up'), trials: 1, timing: { warmup: 0, repeats: 2 } }), []);
    expect(warm.correct, warm.fail_message ?? '').toBe(true);
  });

  // Two compiles, not one: the rebuild after the killed build (one compile for both claims) timed out at
  // timeout_s=10 under load ~10 twice while this separate test passed (5cb66c6); merged again in 7806fb2
  // and taken back. Why that rebuild counts time the fresh build does not is still to be looked at.
  it('does not count the build against the job time limit', async () => {
    const r = await verify(freshBuildJob('slow_build_fast_run', 10), []);
    expect(r.fail_stage, r.fail_message ?? '').toBeNull();
    expect(r.correct).toBe(true);
    expect(r.wall_s).toBeGreaterThan(10); // the build alone outlasted timeout_s
  });

  it('stops a build that outlasts --build-timeout (a timeout, named as the build\'s)', async () => {
    const job = freshBuildJob('build_over_limit', 300);
    const r = await verify(job, ['--build-timeout', '3']);
    expect(r.correct).toBe(false);
    expect(r.fail_stage).toBe('timeout');
    expect(r.fail_message).toMatch(/build time limit of 3 s/);
    expect(r.wall_s).toBeLessThan(30);
    // Killed half way, the build left torch's lock file behind; the next worker for this source holds
    // the folder's flock, so it knows the file is stale and removes it instead of waiting on it forever.
    const again = await verify({ ...job, candidate_id: 'same_source_again' }, []);
    expect(again.fail_stage, again.fail_message ?? '').toBeNull();
  });
});
