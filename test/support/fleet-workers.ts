/** `kforge worker` processes for the queue tests, each standing for a host; started until they say ready. */
import path from 'node:path';
import { createInterface } from 'node:readline';
import { execa, type ResultPromise } from 'execa';
import { REPO_ROOT } from './paths.ts';

export interface TestWorker {
  proc: ResultPromise;
  log: string[];
}

export async function startWorker(url: string, cacheDir: string, extra: string[] = []): Promise<TestWorker> {
  const proc = execa(process.execPath, [path.join(REPO_ROOT, 'bin/kforge.js'), 'worker', '--url', url, '--concurrency', '1', '--lock-s', '3', '--cache-dir', cacheDir, ...extra], {
    cwd: REPO_ROOT, reject: false, stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', buffer: false, cleanup: true,
  });
  const log: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: proc.stderr! });
    lines.on('line', (l) => {
      log.push(l);
      if (/kforge worker: .* ready on queue/.test(l)) resolve();
    });
    void proc.then((r) => reject(new Error(`worker exited before ready (code ${String(r.exitCode)}):\n${log.join('\n')}`)));
  });
  return { proc, log };
}

export async function stopWorker(w: TestWorker): Promise<void> {
  if (w.proc.exitCode !== null || w.proc.signalCode !== null) return;
  w.proc.kill('SIGTERM');
  await w.proc;
}
