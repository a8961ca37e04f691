/**
 * What a killed or stopped build may have left running: its verification driver (found by the
 * `--parent-pid <kforge pid>` it was started with, so it is found even once reparented to init), the
 * driver's process group, and any harness worker of this test file's device-lock folder; and which
 * processes hold a file open in that lock folder.
 */
import { readdir, readlink } from 'node:fs/promises';
import { execa } from 'execa';

interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  args: string;
}

async function processTable(): Promise<Proc[]> {
  const { stdout } = await execa('ps', ['-eo', 'pid=,ppid=,pgid=,stat=,args='], { reject: false });
  return stdout.split('\n').flatMap((line) => {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    // Zombies (stat Z) have exited; only their parent has not reaped them yet.
    return m && !m[4]!.startsWith('Z') ? [{ pid: Number(m[1]), ppid: Number(m[2]), pgid: Number(m[3]), args: m[5]! }] : [];
  });
}

const isDriverOf = (p: Proc, kforgePid: number, known: readonly number[]): boolean =>
  p.args.includes('verify.py') && (p.args.includes(`--parent-pid ${kforgePid}`) || p.ppid === kforgePid || known.includes(p.pid));

/** ps lines of everything left of the build whose node process had `kforgePid` (`drivers`: its driver pids seen earlier). */
export async function leftOfBuild(kforgePid: number, lockDir: string, known: readonly number[] = []): Promise<string[]> {
  const table = await processTable();
  const drivers = table.filter((p) => isDriverOf(p, kforgePid, known));
  const groups = new Set(drivers.map((d) => d.pid));
  return table
    .filter((p) => groups.has(p.pid) || groups.has(p.pgid) || (p.args.includes('kforge_harness.worker') && p.args.includes(lockDir)))
    .map((p) => `${p.pid} (group ${p.pgid}): ${p.args.slice(0, 160)}`);
}

/** The driver of the build with `kforgePid`, while it runs. */
export async function driverOf(kforgePid: number): Promise<number | undefined> {
  return (await processTable()).find((p) => isDriverOf(p, kforgePid, []))?.pid;
}

/** Pids holding a file descriptor into `dir` (the device locks are flocks on files there). */
export async function holdersOf(dir: string): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n));
  const holders: number[] = [];
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      if (target.startsWith(dir)) {
        holders.push(Number(pid));
        break;
      }
    }
  }
  return holders;
}

/** Polls `check` until it returns true or `limitMs` passes; the last answer. */
export async function pollUntil(check: () => Promise<boolean>, limitMs: number, everyMs = 200): Promise<boolean> {
  const end = Date.now() + limitMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
