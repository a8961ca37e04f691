/** Runs the real kforge command line in a child process, as a user would. */
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { REPO_ROOT } from './paths.ts';

export function runKforge(args: string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): ResultPromise<{ reject: false; all: true }> {
  return execa(process.execPath, [path.join(REPO_ROOT, 'bin/kforge.js'), ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...options.env },
    reject: false,
    all: true,
    timeout: options.timeoutMs ?? 600_000,
  });
}
