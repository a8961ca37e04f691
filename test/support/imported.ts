/** Inputs for `kforge verify` / `kforge serve` tests: the cpu candidates of the e2e fixtures. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './paths.ts';

/**
 * The candidates of the tests: only the build failure is C++ (a failing compile is the point); the others
 * are Python, so a cold test run compiles nothing that succeeds (extension builds are the slow part).
 */
export function fixtureKernel(name: 'correct' | 'build_fails' | 'wrong' | 'crashes'): string {
  if (name === 'correct') return pythonKernel('correct');
  if (name === 'wrong') return pythonKernel('wrong', 0, true);
  return readFileSync(path.join(REPO_ROOT, 'test/fixtures/e2e', `${name}.py`), 'utf8');
}

/** Bytes that are not UTF-8 (a lone continuation byte and an overlong form). */
export const NOT_UTF8 = Buffer.from([0x69, 0x6d, 0x70, 0x6f, 0x72, 0x74, 0x20, 0x80, 0xc0, 0xaf, 0x0a]);

/** A pure-Python candidate (no extension to build: fast), unique by its tag; `wrong`: a leaky slope, not ReLU. */
export function pythonKernel(tag: string, initSleepS = 0, wrong = false): string {
  return [
    'import time',
    'import torch',
    'import torch.nn as nn',
    '',
    'class ModelNew(nn.Module):',
    '    def __init__(self):',
    '        super().__init__()',
    `        time.sleep(${initSleepS})  # ${tag}`,
    '',
    '    def forward(self, x):',
    wrong ? '        return torch.where(x > 0, x, 0.5 * x)' : '        return x.clamp_min(0.0)',
    '',
  ].join('\n');
}
