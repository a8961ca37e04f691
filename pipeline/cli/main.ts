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
import { KFORGE_VERSION } from './version.ts';

// Errors raised on purpose, whose message already says what to do.
const KNOWN_ERRORS = new Set([
  'ConfigError',
  'ProblemSourceError',
  'NoEndpointError',
  'PythonNotFoundError',
  'NoPartFilesError',
  'ParquetReadError',
  'ParquetWriteError',
  'DatasetError',
  'UnsupportedTakeError',
  'BudgetFileError',
  'VerifierDiedError',
  'RunLockedError',
]);

const cli = yargs(hideBin(process.argv))
  .scriptName('kforge')
  .version(KFORGE_VERSION)
  .command(buildCommand)
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
    .fail((message, error) => {
      if (error) throw error;
      process.stderr.write(`kforge: ${message}\n(see kforge --help)\n`);
      process.exit(2);
    })
    .parseAsync();
} catch (error) {
  const e = error as Error;
  // Errors we raise on purpose carry a message that says what to do; anything else gets its stack.
  process.stderr.write(KNOWN_ERRORS.has(e.name) ? `kforge: ${e.message}\n` : `kforge: unexpected error: ${e.stack ?? String(e)}\n`);
  // Some carry their own status (RunLockedError: 4), so scripts can tell them apart.
  const own = 'exitCode' in e && typeof e.exitCode === 'number' && KNOWN_ERRORS.has(e.name) ? e.exitCode : null;
  process.exitCode = own ?? 1;
}
