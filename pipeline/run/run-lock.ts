/**
 * One build per run folder at a time. Two builds of the same run id would both compute everything
 * and write the same part file names, mixing their records; so a build takes `<run>/build.lock`
 * (created exclusively, holding pid, host and start time) and a second one is refused, told who holds
 * it. A lock left by a build that died (kill -9, power cut) names a process that no longer runs: it is
 * taken over, and the takeover is said.
 */
import { readFileSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { z } from 'zod';
import { runLayout } from '../../stages/core/run-layout.ts';

const lockSchema = z.object({ pid: z.number().int(), host: z.string(), started_at: z.string(), command: z.string().optional() });
type LockInfo = z.infer<typeof lockSchema>;

/** Another build holds the run folder. */
export class RunLockedError extends Error {
  override readonly name = 'RunLockedError';
  /** Distinct from 1 (error), 2 (usage) and 3 (budget stop), so scripts can tell "busy" apart. */
  readonly exitCode = 4;
}

export interface RunLock {
  release(): Promise<void>;
}

export async function lockRun(runDir: string, log: (line: string) => void = () => {}): Promise<RunLock> {
  const file = runLayout(runDir).lock;
  const mine: LockInfo = { pid: process.pid, host: hostname(), started_at: new Date().toISOString(), command: process.argv.slice(2).join(' ') };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(JSON.stringify(mine) + '\n');
      await handle.close();
      return { release: () => releaseIfMine(file) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readHolder(file);
    if (holder && isAlive(holder)) {
      throw new RunLockedError(
        `${runDir} is being built by another kforge build (pid ${holder.pid} on ${holder.host}, started ${holder.started_at}${holder.command ? `: kforge ${holder.command}` : ''}). ` +
          `Wait for it to finish, stop it (Ctrl-C), or use another --run-id. If that process is gone for good, remove ${file}.`,
      );
    }
    log(`kforge build: taking over the lock of ${runDir} from a build that is no longer running (${holder ? `pid ${holder.pid} on ${holder.host}, started ${holder.started_at}` : 'unreadable lock file'})`);
    await rm(file, { force: true });
  }
  throw new RunLockedError(`${runDir}: another build took the lock while this one was taking over a stale one; try again.`);
}

async function readHolder(file: string): Promise<LockInfo | null> {
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    const parsed = lockSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null; // cut off mid-write by a crash: no one holds it
  }
}

/**
 * Whether the lock's process still runs. On another host we cannot tell, so it counts as alive (the
 * message says how to clear it). On this host: the pid exists and, where /proc shows it, is a kforge
 * (node) process, so a pid reused by something else after a crash does not keep the run locked.
 */
function isAlive(holder: LockInfo): boolean {
  if (holder.host !== hostname()) return true;
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return readFileSync(`/proc/${holder.pid}/cmdline`, 'utf8').includes('kforge');
  } catch {
    return true; // no /proc: the pid exists, trust it
  }
}

async function releaseIfMine(file: string): Promise<void> {
  const holder = await readHolder(file);
  if (holder?.pid === process.pid && holder.host === hostname()) await rm(file, { force: true });
}
