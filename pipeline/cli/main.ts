/** The kforge command line: one file per command under commands/. */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { runCli, type ErrorClass } from './run-cli.ts';
import { FLEET_ERRORS } from './fleet-errors.ts';
import { buildCommand } from './commands/build.ts';
import { inspectCommand } from './commands/inspect.ts';
import { problemsCommand } from './commands/problems.ts';
import { datasetCommand } from './commands/dataset.ts';
import { exportCommand } from './commands/export.ts';
import { filterCommand } from './commands/filter.ts';
import { reportCommand } from './commands/report.ts';
import { statsCommand } from './commands/stats.ts';
import { workerCommand } from './commands/worker.ts';
import { fleetCommand } from './commands/fleet.ts';
import { verifyCommand } from './commands/verify.ts';
import { serveCommand } from './commands/serve.ts';
import { KFORGE_VERSION } from './version.ts';
import { ConfigError, NoEndpointError, ProblemSourceError } from '../../stages/core/errors/config-error.ts';
import { BudgetFileError } from '../llm/budget.ts';
import { NoPartFilesError } from '../../datasets/part-files.ts';
import { ParquetReadError } from '../../datasets/parquet-reader.ts';
import { ParquetWriteError } from '../../datasets/parquet-writer.ts';
import { DatasetError } from '../../datasets/dataset-store.ts';
import { RunLockedError } from '../run/run-lock.ts';
import { ManifestError } from '../run/manifest.ts';

// Errors raised on purpose, whose message already says what to do (recognised by class, not by name).
const KNOWN_ERRORS: ErrorClass[] = [
  ...FLEET_ERRORS,
  ConfigError,
  ProblemSourceError,
  NoEndpointError,
  NoPartFilesError,
  ParquetReadError,
  ParquetWriteError,
  DatasetError,
  BudgetFileError,
  RunLockedError,
  ManifestError,
];

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
  .command(datasetCommand)
  .command(workerCommand)
  .command(fleetCommand);

await runCli(cli, KNOWN_ERRORS, 'Give a command: kforge build, kforge problems, kforge inspect <run> (kforge --help lists all).');
