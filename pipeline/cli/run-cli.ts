/**
 * How a kforge command line runs, shared by the full CLI (main.ts) and the fleet-only one a GPU host
 * runs without the rest (fleet-main.ts): strict flags, number flags checked, known errors printed as
 * their message (it says what to do), anything else with its stack.
 */
import type { Argv } from 'yargs';
import { UsageError } from '../../stages/core/errors/usage-error.ts';

export type ErrorClass = abstract new (...args: never[]) => Error;

/** A number option given something that is not a number (yargs makes it NaN): name the flag. */
function checkNumbers(argv: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(argv)) {
    if (key === '_' || key === '$0' || /[A-Z]/.test(key)) continue; // camelCase twins of kebab flags
    const values = Array.isArray(value) ? value : [value];
    if (values.some((v) => typeof v === 'number' && Number.isNaN(v))) {
      throw new UsageError(`--${key} takes a number (got something else); e.g. --${key} 2`);
    }
  }
}

/** yargs lists an unknown --bogus-flag twice, as bogus-flag and bogusFlag: keep the flag as typed. */
function dedupeUnknown(message: string): string {
  const m = /^(Unknown arguments?): (.*)$/.exec(message);
  if (!m) return message;
  const names = m[2]!.split(', ');
  const kebab = new Set(names.map((n) => n.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())).filter((n, i) => n !== names[i]));
  const kept = names.filter((n) => !kebab.has(n));
  return `${kept.length > 1 ? 'Unknown arguments' : 'Unknown argument'}: ${kept.join(', ')}`;
}

export async function runCli(cli: Argv, knownErrors: ErrorClass[], demand: string): Promise<void> {
  try {
    await cli
      .demandCommand(1, demand)
      .strict()
      .help()
      .middleware((argv) => checkNumbers(argv), true)
      .fail((message, error) => {
        if (error && !(error instanceof UsageError)) throw error;
        process.stderr.write(`kforge: ${dedupeUnknown(error?.message ?? message)}\n(see kforge --help)\n`);
        process.exit(2);
      })
      .parseAsync();
  } catch (error) {
    const e = error as Error;
    // Errors we raise on purpose carry a message that says what to do; anything else gets its stack.
    const known = knownErrors.some((k) => e instanceof k);
    process.stderr.write(known ? `kforge: ${e.message}\n` : `kforge: unexpected error: ${e.stack ?? String(e)}\n`);
    // Some carry their own status (RunLockedError: 4), so scripts can tell them apart.
    const own = known && 'exitCode' in e && typeof e.exitCode === 'number' ? e.exitCode : null;
    process.exitCode = own ?? 1;
  }
}
