/** The kforge command line: one file per command under commands/. */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { buildCommand } from './commands/build.ts';
import { inspectCommand } from './commands/inspect.ts';
import { problemsCommand } from './commands/problems.ts';
import { datasetCommand } from './commands/dataset.ts';
import { exportCommand } from './commands/export.ts';
import { filterCommand } from './commands/filter.ts';
import { reportCommand } from './commands/report.ts';
import { statsCommand } from './commands/stats.ts';
import { verifyCommand } from './commands/verify.ts';
import { serveCommand } from './commands/serve.ts';
import { KFORGE_VERSION } from './version.ts';
import { ConfigError, NoEndpointError, ProblemSourceError } from '../../stages/core/errors/config-error.ts';
import { PythonNotFoundError } from '../../stages/verify/python.ts';
import { VerifierDiedError } from '../../stages/verify/local-verifier.ts';
import { BudgetFileError } from '../llm/budget.ts';
import { NoPartFilesError } from '../../datasets/part-files.ts';
import { ParquetReadError } from '../../datasets/parquet-reader.ts';
import { ParquetWriteError } from '../../datasets/parquet-writer.ts';
import { DatasetError } from '../../datasets/dataset-store.ts';
import { UnsupportedTakeError } from '../../datasets/arrow-take.ts';
import { UsageError } from '../../stages/core/errors/usage-error.ts';
import { RunLockedError } from '../run/run-lock.ts';
import { ManifestError } from '../run/manifest.ts';

// Errors raised on purpose, whose message already says what to do (recognised by class, not by name).
const KNOWN_ERRORS: (abstract new (...args: never[]) => Error)[] = [
  ConfigError,
  ProblemSourceError,
  NoEndpointError,
  PythonNotFoundError,
  NoPartFilesError,
  ParquetReadError,
  ParquetWriteError,
  DatasetError,
  UnsupportedTakeError,
  BudgetFileError,
  VerifierDiedError,
  RunLockedError,
  UsageError,
  ManifestError,
];

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

const cli = yargs(hideBin(process.argv))
  .scriptName('kforge')
  .version(KFORGE_VERSION)
  .command(buildCommand)
  .command(verifyCommand)
  .command(serveCommand)
  .command(problemsCommand)
  .command(inspectCommand)
  .command(filterCommand)
  .command(exportCommand)
  .command(statsCommand)
  .command(reportCommand)
  .command(datasetCommand);

try {
  await cli
    .demandCommand(1, 'Give a command: kforge build, kforge problems, kforge inspect <run> (kforge --help lists all).')
    .strict()
    .help()
    .middleware((argv) => checkNumbers(argv), true)
    .fail((message, error) => {
      if (error && error.name !== 'UsageError') throw error;
      process.stderr.write(`kforge: ${dedupeUnknown(error?.message ?? message)}\n(see kforge --help)\n`);
      process.exit(2);
    })
    .parseAsync();
} catch (error) {
  const e = error as Error;
  // Errors we raise on purpose carry a message that says what to do; anything else gets its stack.
  const known = KNOWN_ERRORS.some((k) => e instanceof k);
  process.stderr.write(known ? `kforge: ${e.message}\n` : `kforge: unexpected error: ${e.stack ?? String(e)}\n`);
  // Some carry their own status (RunLockedError: 4), so scripts can tell them apart.
  const own = known && 'exitCode' in e && typeof e.exitCode === 'number' ? e.exitCode : null;
  process.exitCode = own ?? 1;
}
