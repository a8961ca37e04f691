/**
 * Runs the Python harness on this machine: ONE long-lived `verify.py --stdin` process per verifier.
 * Jobs go in as JSON lines; results come back as lines in completion order (the driver runs several
 * workers at once), matched to their job by candidate_id and validated with zod. If the driver dies,
 * every pending job is rejected with VerifierDiedError.
 */
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { RunStoppedError } from '../core/errors/run-stopping.ts';
import { environmentSchema, verifyResultSchema, type Backend, type Environment, type VerifyJob, type VerifyResult } from './protocol.ts';
import type { DescribedVerifier } from './verifier.ts';
import { readHarnessVersion } from './verdict-definition.ts';

export const HARNESS_SCRIPT = fileURLToPath(new URL('./harness/verify.py', import.meta.url));
const STDERR_TAIL_CHARS = 8000;

export interface LocalVerifierOptions {
  /** Interpreter with torch (see python.ts findPython). */
  python: string;
  /** Candidate processes at once (default: the driver's, min(cores, 4)). */
  workers?: number;
  /** Extension builds, keyed by source hash; reused across runs. */
  buildRoot: string;
  /** Content-addressed build store (PROTOCOL.md): the `build` phase fills it, the `gpu` phase loads from it. */
  buildStore?: string;
  /** Build phase of CUDA candidates off the GPU: the arch to compile for, e.g. 9.0 (the GPU workers'). */
  cudaArch?: string;
  /** Per-candidate scratch dirs (removed after each candidate unless keepScratch). */
  scratchRoot: string;
  /** torch threads per worker on the cpu backend. */
  cpuThreads?: number;
  /** Candidates whose correctness checks may share a device at once; timing stays exclusive (default 1). */
  deviceShare?: number;
  /** Niceness added to the driver and everything it starts (default 0). */
  nice?: number;
  /** Seconds an extension build may take; a job's timeout_s does not count build time (default 900). */
  buildTimeoutS?: number;
  /** Address-space limit per cpu worker, MiB (default 16384; 0: none). */
  memoryMb?: number;
  keepScratch?: boolean;
  /** false: do not try to unshare the network namespace (default true). */
  networkIsolation?: boolean;
  /** The driver's log lines (its stderr). */
  onLog?: (line: string) => void;
  /** Environment of the driver; it passes only an allow-list on to candidates. Default: process.env. */
  env?: NodeJS.ProcessEnv;
}

export class VerifierDiedError extends Error {
  override readonly name = 'VerifierDiedError';
}
export class VerifierProtocolError extends Error {
  override readonly name = 'VerifierProtocolError';
}
export class VerifierClosedError extends Error {
  override readonly name = 'VerifierClosedError';
}

interface Pending {
  resolve: (r: VerifyResult) => void;
  reject: (e: Error) => void;
}

/** The harness's version, read from the one file the harness reads too (kforge_harness/VERSION). */
export function harnessVersion(): string {
  return readHarnessVersion();
}

export class LocalVerifier implements DescribedVerifier {
  readonly version = harnessVersion();
  private driver: ResultPromise | null = null;
  private readonly pending = new Map<string, Pending[]>();
  private readonly environments = new Map<Backend, Promise<Environment>>();
  /** environment() calls waiting for the driver's answer, per backend, in the order asked. */
  private readonly describing = new Map<Backend, { resolve: (e: Environment) => void; reject: (e: Error) => void }[]>();
  private stderrTail = '';
  private closed = false;
  private died: Error | null = null;
  /** Why abort() was called: later jobs are refused as a stop, not as a failure. */
  private stoppedBy: string | null = null;

  constructor(private readonly options: LocalVerifierOptions) {}

  verify(job: VerifyJob): Promise<VerifyResult> {
    if (this.stoppedBy) return Promise.reject(new RunStoppedError(this.stoppedBy));
    if (this.closed) return Promise.reject(new VerifierClosedError('verify() after close()'));
    const driver = this.live();
    return new Promise<VerifyResult>((resolve, reject) => {
      const queue = this.pending.get(job.candidate_id) ?? [];
      queue.push({ resolve, reject });
      this.pending.set(job.candidate_id, queue);
      driver.stdin?.write(`${JSON.stringify(job)}\n`);
    });
  }

  /** Device and toolchain for a backend, as the driver describes them (cached). */
  environment(backend: Backend): Promise<Environment> {
    let env = this.environments.get(backend);
    if (!env) {
      env = this.describe(backend);
      this.environments.set(backend, env);
    }
    return env;
  }

  /**
   * Stops now (an interrupt): every pending job is rejected with RunStoppedError (so no verdict is
   * recorded for it and a resume redoes it), and the driver gets SIGTERM, on which it kills its workers'
   * process groups and exits; SIGKILL follows if it has not gone within 5 s. Resolves when it is gone.
   */
  async abort(reason: string): Promise<void> {
    this.closed = true;
    this.stoppedBy = reason;
    const stopped = new RunStoppedError(reason);
    const left = [...this.pending.values()].flat();
    this.pending.clear();
    for (const p of left) p.reject(stopped);
    const driver = this.driver;
    if (!driver) return;
    driver.kill('SIGTERM');
    await driver;
  }

  /** The driver's process id while it runs (tests check it is gone after a stop). */
  get driverPid(): number | undefined {
    return this.driver?.pid;
  }

  /** Lets the driver finish the jobs it has, then waits for it to exit. */
  async close(): Promise<void> {
    this.closed = true;
    const driver = this.driver;
    if (!driver) return;
    driver.stdin?.end();
    await driver;
  }

  /** The driver to send to: after one died (its jobs were rejected), a fresh one (a broken interpreter
   * fails again, and says so). */
  private live(): ResultPromise {
    if (this.died) {
      this.died = null;
      this.driver = null;
    }
    return this.start();
  }

  private start(): ResultPromise {
    if (this.driver) return this.driver;
    const o = this.options;
    // --parent-pid: the driver stops (killing its workers) when this process goes, even by kill -9.
    const args = [HARNESS_SCRIPT, '--stdin', '--parent-pid', String(process.pid), '--build-root', o.buildRoot, '--scratch-root', o.scratchRoot];
    if (o.buildStore) args.push('--build-store', o.buildStore);
    if (o.cudaArch) args.push('--cuda-arch', o.cudaArch);
    if (o.workers) args.push('--workers', String(o.workers));
    if (o.cpuThreads) args.push('--cpu-threads', String(o.cpuThreads));
    if (o.deviceShare) args.push('--device-share', String(o.deviceShare));
    if (o.nice) args.push('--nice', String(o.nice));
    if (o.buildTimeoutS) args.push('--build-timeout', String(o.buildTimeoutS));
    if (o.memoryMb !== undefined) args.push('--memory-mb', String(o.memoryMb));
    if (o.keepScratch) args.push('--keep-scratch');
    if (o.networkIsolation === false) args.push('--no-network-isolation');
    const driver = execa(o.python, args, {
      stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', buffer: false, reject: false,
      env: o.env ?? process.env, extendEnv: false,
      // Its own process group: a Ctrl-C reaches only kforge, which stops the driver in order (abort()).
      // No execa exit hook (see pipeline/run/interrupt.ts); the driver watches its parent instead.
      detached: true, cleanup: false, forceKillAfterDelay: 5000,
    });
    driver.stdin?.on('error', () => {}); // EPIPE after a crash: reported through the exit below
    createInterface({ input: driver.stdout! }).on('line', (line) => this.onResultLine(line));
    createInterface({ input: driver.stderr! }).on('line', (line) => {
      this.stderrTail = (this.stderrTail + line + '\n').slice(-STDERR_TAIL_CHARS);
      o.onLog?.(line);
    });
    void driver.then((r) => this.onExit(driver, r.exitCode, r.signal), (e: Error) => this.onExit(driver, undefined, e.message));
    this.driver = driver;
    return driver;
  }

  private onResultLine(line: string): void {
    if (!line.trim()) return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      this.options.onLog?.(`verifier: ignoring a non-JSON line on stdout: ${line.slice(0, 200)}`);
      return;
    }
    if (typeof raw === 'object' && raw !== null && 'describe' in raw && !('candidate_id' in raw)) {
      this.onDescribeLine(raw as Record<string, unknown>);
      return;
    }
    const id = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)['candidate_id'] : undefined;
    const waiter = typeof id === 'string' ? this.pending.get(id)?.shift() : undefined;
    if (!waiter) {
      this.options.onLog?.(`verifier: a result for no pending job (candidate_id ${String(id)})`);
      return;
    }
    if (this.pending.get(id as string)?.length === 0) this.pending.delete(id as string);
    const parsed = verifyResultSchema.safeParse(raw);
    if (parsed.success) waiter.resolve(parsed.data);
    else waiter.reject(new VerifierProtocolError(`result for ${String(id)} does not match the protocol: ${parsed.error.message}`));
  }

  private onExit(driver: ResultPromise, code: number | undefined, signal: string | undefined): void {
    if (driver !== this.driver) return; // an earlier driver, already replaced
    const left = [...this.pending.values()].flat();
    this.pending.clear();
    const asking = [...this.describing.values()].flat();
    this.describing.clear();
    if (asking.length) {
      const why = new VerifierDiedError(`the verification driver exited (code ${String(code)}, signal ${String(signal)}) before describing the environment\n${this.stderrTail.slice(-2000)}`);
      for (const w of asking) w.reject(why);
    }
    if (this.closed && left.length === 0) return;
    const why = `the verification driver exited (code ${String(code)}, signal ${String(signal)})`;
    this.died = new VerifierDiedError(`${why} with ${left.length} job(s) pending\n${this.stderrTail.slice(-2000)}`);
    for (const p of left) p.reject(this.died);
  }

  /**
   * Asks the driver (a {"describe": backend} line): it answers from a fork of its fork server where it
   * forks that backend's workers (no second interpreter importing torch, seconds per run), else by
   * running `verify.py --environment` itself. The answer is the line that command prints, plus `describe`.
   */
  private describe(backend: Backend): Promise<Environment> {
    if (this.stoppedBy) return Promise.reject(new RunStoppedError(this.stoppedBy));
    if (this.closed) return Promise.reject(new VerifierClosedError('environment() after close()'));
    const driver = this.live();
    return new Promise<Environment>((resolve, reject) => {
      const waiting = this.describing.get(backend) ?? [];
      waiting.push({ resolve, reject });
      this.describing.set(backend, waiting);
      driver.stdin?.write(`${JSON.stringify({ describe: backend })}\n`);
    });
  }

  private onDescribeLine(raw: Record<string, unknown>): void {
    const backend = String(raw['describe']);
    const waiter = this.describing.get(backend as Backend)?.shift();
    if (!waiter) {
      this.options.onLog?.(`verifier: an environment answer nobody asked for (${backend})`);
      return;
    }
    if (typeof raw['error'] === 'string') {
      waiter.reject(new VerifierDiedError(raw['error'])); // the harness's message names the backend and why
    } else if (raw['verifier_version'] !== this.version) {
      waiter.reject(new VerifierProtocolError(`harness reports version ${String(raw['verifier_version'])}, expected ${this.version}`));
    } else {
      const parsed = environmentSchema.safeParse(raw['env']);
      if (parsed.success) waiter.resolve(parsed.data);
      else waiter.reject(new VerifierProtocolError(`the ${backend} environment does not match the protocol: ${parsed.error.message}`));
    }
  }
}
