/**
 * LocalVerifier: one long-lived `verify.py --stdin` driver, many concurrent verify() calls matched
 * back by candidate_id, and named errors when the driver is gone.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPython } from '../../stages/verify/python.ts';
import { LocalVerifier, VerifierClosedError, VerifierDiedError } from '../../stages/verify/local-verifier.ts';
import { reluJob, TEST_BUILD_ROOT } from './jobs.ts';

async function cudaAvailable(): Promise<boolean> {
  const r = await execa(await findPython(), ['-c', 'import torch; print(torch.cuda.is_available())'], { reject: false });
  return r.stdout.trim() === 'True';
}

let python: string;
let scratchRoot: string;

beforeAll(async () => {
  python = await findPython();
  scratchRoot = path.join(mkdtempSync(path.join(os.tmpdir(), 'kforge-lv-test-')), 'scratch');
});

describe('LocalVerifier', () => {
  const logs: string[] = [];
  let verifier: LocalVerifier;

  beforeAll(() => {
    verifier = new LocalVerifier({ python, workers: 2, cpuThreads: 1, buildRoot: TEST_BUILD_ROOT, scratchRoot, onLog: (l) => logs.push(l) });
  });
  afterAll(() => verifier.close());

  it('streams concurrent jobs through one driver and matches each result to its job', async () => {
    const ids = ['relu_ok', 'relu_wrong_shape', 'no_model_new'];
    const results = await Promise.all(ids.map((id) => verifier.verify(reluJob(id, { timing: { warmup: 1, repeats: 3 } }))));
    expect(results.map((r) => r.candidate_id)).toEqual(ids);
    expect(results.map((r) => r.fail_stage)).toEqual([null, 'correctness', 'load']);
    expect(results[0]!.correct).toBe(true);
    expect(results[0]!.kernel_trials_ms).toHaveLength(3);
    expect(results[0]!.verifier_version).toBe(verifier.version);
  });

  it('keeps serving after a candidate crashes its worker', async () => {
    const [crash, fine] = await Promise.all([verifier.verify(reluJob('crash_abort')), verifier.verify(reluJob('sandbox_probe'))]);
    expect(crash.fail_stage).toBe('crash');
    expect(fine.correct).toBe(true);
  });

  it('describes the environment of a backend', async () => {
    const env = await verifier.environment('cpu');
    expect(env.torch_version).toMatch(/^\d+\.\d+/);
    expect(env.python_version).toMatch(/^3\.\d+/);
    expect(env.tf32_enabled).toBe(false);
  });

  it('says why a backend cannot be described, and when the driver died before answering', async () => {
    if (!(await cudaAvailable())) {
      await expect(verifier.environment('cuda')).rejects.toThrow(/cannot describe the cuda environment/);
    }
    const dead = new LocalVerifier({ python: '/bin/false', buildRoot: TEST_BUILD_ROOT, scratchRoot });
    await expect(dead.environment('cpu')).rejects.toBeInstanceOf(VerifierDiedError);
  });

  it('nices the driver (and so what it starts) when asked: a build worker yields the CPU to measurements', async () => {
    const v = new LocalVerifier({ python, nice: 5, buildRoot: TEST_BUILD_ROOT, scratchRoot });
    try {
      expect((await v.verify(reluJob('no_model_new'))).fail_stage).toBe('load');
      const stat = readFileSync(`/proc/${String(v.driverPid)}/stat`, 'utf8');
      const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]); // field 19 of proc(5)
      expect(nice).toBe(Math.min(19, os.getPriority() + 5));
    } finally {
      await v.close();
    }
  });

  it('refuses jobs after close()', async () => {
    const v = new LocalVerifier({ python, buildRoot: TEST_BUILD_ROOT, scratchRoot });
    await v.close();
    await expect(v.verify(reluJob('no_model_new'))).rejects.toBeInstanceOf(VerifierClosedError);
    await expect(v.environment('cpu')).rejects.toBeInstanceOf(VerifierClosedError); // no driver started for it
    expect(v.driverPid).toBeUndefined();
  });

  it('rejects pending jobs with VerifierDiedError when the driver dies', async () => {
    // An "interpreter" that exits at once stands in for a driver that crashed.
    const v = new LocalVerifier({ python: '/bin/false', buildRoot: TEST_BUILD_ROOT, scratchRoot });
    const both = Promise.allSettled([v.verify(reluJob('relu_ok')), v.verify(reluJob('no_model_new'))]);
    const settled = await both;
    for (const s of settled) {
      expect(s.status).toBe('rejected');
      expect((s as PromiseRejectedResult).reason).toBeInstanceOf(VerifierDiedError);
    }
    await expect(v.verify(reluJob('no_model_new'))).rejects.toBeInstanceOf(VerifierDiedError);
  });
});
