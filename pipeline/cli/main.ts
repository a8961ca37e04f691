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
import { ConfigError, NoEndpointError, ProblemSourceError } from '../../stages/core/errors/config-error.ts';
import { PythonNotFoundError } from '../../stages/verify/python.ts';
import { VerifierDiedError } from '../../stages/verify/local-verifier.ts';
import { BudgetFileError } from '../llm/budget.ts';
import { NoPartFilesError } from '../../datasets/part-files.ts';
import { ParquetReadError } from '../../datasets/parquet-reader.ts';
import { ParquetWriteError } from '../../datasets/parquet-writer.ts';
import { DatasetError } from '../../datasets/dataset-store.ts';
import { UnsupportedTakeError } from '../../datasets/arrow-take.ts';

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
];

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
  process.stderr.write(KNOWN_ERRORS.some((known) => e instanceof known) ? `kforge: ${e.message}\n` : `kforge: unexpected error: ${e.stack ?? String(e)}\n`);
  process.exitCode = 1;
}
