/**
 * Ctrl-C and SIGTERM during a build: the first signal stops the build cleanly (no new work, the
 * verification driver and its workers killed, what is complete written, the manifest left
 * `interrupted` so a resume continues it); a second signal of either kind exits at once.
 *
 * Installed for the whole command, before any child process exists, so a signal during the interpreter
 * check or the environment probe is handled too. Child processes are started with execa's
 * `cleanup: false`: execa's own exit hook (signal-exit) re-sends the signal to this process when it
 * counts as many of its callbacks as there are listeners, which is what used to kill the build with
 * the handler installed.
 */

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** Exit status of a process stopped by a signal, as shells report it (128 + the signal's number). */
export const SIGNAL_EXIT_CODES: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

export class Interrupt {
  signal: StopSignal | null = null;
  private readonly callbacks = new Set<(signal: StopSignal) => void>();
  private readonly handlers: Record<StopSignal, () => void>;

  constructor() {
    this.handlers = { SIGINT: () => this.receive('SIGINT'), SIGTERM: () => this.receive('SIGTERM') };
  }

  install(): this {
    for (const sig of Object.keys(this.handlers) as StopSignal[]) process.on(sig, this.handlers[sig]);
    return this;
  }

  uninstall(): void {
    for (const sig of Object.keys(this.handlers) as StopSignal[]) process.off(sig, this.handlers[sig]);
  }

  /** Called once at the first signal (at once if it has already come); returns the way to unsubscribe. */
  onInterrupt(callback: (signal: StopSignal) => void): () => void {
    if (this.signal) callback(this.signal);
    else this.callbacks.add(callback);
    return () => this.callbacks.delete(callback);
  }

  get exitCode(): number | null {
    return this.signal ? SIGNAL_EXIT_CODES[this.signal] : null;
  }

  private receive(signal: StopSignal): void {
    if (this.signal) {
      // The second one: the user does not want to wait for the clean stop.
      process.stderr.write(`kforge: ${signal} again: exiting now (the run folder stays resumable; its manifest may still say running)\n`);
      process.exit(SIGNAL_EXIT_CODES[signal]);
    }
    this.signal = signal;
    process.stderr.write(`kforge: ${signal}: stopping (finishing what is complete; ${signal} again exits at once)\n`);
    for (const callback of this.callbacks) callback(signal);
    this.callbacks.clear();
  }
}

/** Run a command with Ctrl-C / SIGTERM handled from its first line to its last (build, verify, serve). */
export async function withInterrupt<T>(body: (interrupt: Interrupt) => Promise<T>): Promise<T> {
  const interrupt = new Interrupt().install();
  try {
    return await body(interrupt);
  } finally {
    interrupt.uninstall();
  }
}
