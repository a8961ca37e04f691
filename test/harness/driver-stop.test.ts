/**
 * The driver never leaves a candidate running behind it: SIGTERM stops it with the workers killed and no
 * verdict invented for them, and a driver killed with -9 takes its workers along (PR_SET_PDEATHSIG). A
 * surviving hung worker would hold the device lock forever, stalling every later verification.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { findPython } from '../../stages/verify/python.ts';
import { HARNESS_SCRIPT } from '../../stages/verify/local-verifier.ts';
import { REPO_ROOT } from '../support/paths.ts';
import { driverOf, holdersOf, leftOfBuild, pollUntil } from '../support/run-processes.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function workersOf(lockDir: string): Promise<number> {
  const { stdout } = await execa('ps', ['-eo', 'args'], { reject: false });
  return stdout.split('\n').filter((l) => l.includes('kforge_harness.worker') && l.includes(lockDir)).length;
}

async function startHangingDriver() {
  const work = await mkdtemp(path.join(tmpdir(), 'kforge-stop-'));
  const code = await readFile(path.join(REPO_ROOT, 'kernelbench/builtin/level1/1001_ReLU.py'), 'utf8');
  const hang = await readFile(path.join(REPO_ROOT, 'test/fixtures/e2e/hangs.py'), 'utf8');
  const jobs = [0, 1].map((i) => JSON.stringify({
    candidate_id: `hang-${i}`, problem: { name: '1001_ReLU', code, key: 'k' }, kernel_source: `${hang}\n# ${i}\n`, backend: 'cpu',
    tolerance_policy: 'default', trials: 1, timing: { warmup: 1, repeats: 2 }, timeout_s: 300, seed: 1, compile_reference: false,
  }));
  await writeFile(path.join(work, 'jobs.jsonl'), jobs.join('\n') + '\n');
  const lockDir = path.join(work, 'locks');
  const driver = execa(await findPython(), [HARNESS_SCRIPT, '--jobs', path.join(work, 'jobs.jsonl'), '--out', path.join(work, 'out.jsonl'), '--workers', '2', '--lock-dir', lockDir, '--scratch-root', path.join(work, 'scratch')], { reject: false });
  // Until both workers are up (they import torch first).
  for (let i = 0; i < 120 && (await workersOf(lockDir)) < 2; i++) await sleep(250);
  expect(await workersOf(lockDir)).toBe(2);
  return { driver, lockDir, work };
}

describe('stopping the harness driver', () => {
  it('SIGTERM kills the workers, writes no verdict for them, and exits 130', async () => {
    const { driver, lockDir, work } = await startHangingDriver();
    driver.kill('SIGTERM');
    const result = await driver;
    expect(result.exitCode, result.stderr).toBe(130);
    expect(result.stderr).toContain('interrupted');
    await sleep(500);
    expect(await workersOf(lockDir)).toBe(0);
    expect((await readFile(path.join(work, 'out.jsonl'), 'utf8')).trim()).toBe('');
  });

  it('a driver killed with -9 takes its workers with it', async () => {
    const { driver, lockDir } = await startHangingDriver();
    driver.kill('SIGKILL');
    await driver;
    for (let i = 0; i < 20 && (await workersOf(lockDir)) > 0; i++) await sleep(250);
    expect(await workersOf(lockDir)).toBe(0);
  });

  it('kill -9 of the process streaming jobs (kforge) takes the driver, its workers and the device locks with it', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'kforge-orphan-'));
    const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(path.join(REPO_ROOT, 'test/support/verifier-child.ts'))}); })`;
    const parent = execa(process.execPath, ['-e', boot, work], { reject: false, cwd: REPO_ROOT });
    const lockDir = process.env.KFORGE_LOCK_DIR!;
    // Until both hanging candidates run in workers of its driver.
    expect(await pollUntil(async () => (await leftOfBuild(parent.pid!, lockDir)).filter((l) => l.includes('kforge_harness.worker')).length === 2, 240_000)).toBe(true);
    const driver = await driverOf(parent.pid!);
    expect(driver).toBeDefined();
    parent.kill('SIGKILL');
    await parent;
    // Before: the orphaned driver ran its workers on to their 600 s limit, holding the device lock.
    await pollUntil(async () => (await leftOfBuild(parent.pid!, lockDir, [driver!])).length === 0, 30_000);
    expect(await leftOfBuild(parent.pid!, lockDir, [driver!])).toEqual([]);
    expect(await holdersOf(lockDir)).toEqual([]);
  });
});
