/** `kforge filter`: select records across runs or datasets into one Parquet file. */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { resolveInputs } from '../../../datasets/dataset-store.ts';
import { runFilter } from '../../../datasets/filter-run.ts';
import { describeFilter, type RecordFilter } from '../../../datasets/record-filter.ts';
import { checkOutputPath } from '../output-path.ts';
import { runLayout } from '../../../stages/core/run-layout.ts';

export interface FilterArgs {
  inputs: string[];
  correct?: boolean;
  tolerance?: string;
  minSpeedup?: number;
  level?: number[];
  problem?: string[];
  round?: number[];
  provider?: string[];
  model?: string[];
  includeSuspect: boolean;
  includeWeak: boolean;
}

/** The selection flags shared by filter, export, stats and report. */
export function withFilterOptions<T>(yargs: Argv<T>, defaults: { correct?: boolean } = {}): Argv<T & FilterArgs> {
  return yargs
    .positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'run folders, dataset folders (name or name@version), folders of runs, or .parquet files' })
    .option('correct', { type: 'boolean', ...(defaults.correct !== undefined ? { default: defaults.correct } : {}), describe: 'only correct (--correct) or only incorrect (--no-correct) records' })
    .option('tolerance', { type: 'string', describe: 'keep records whose errors pass this tolerance policy (default, loose)' })
    .option('min-speedup', { type: 'number', describe: 'keep records with speedup >= this (e.g. 1.2)' })
    .option('level', { type: 'number', array: true, describe: 'KernelBench levels' })
    .option('problem', { type: 'string', array: true, describe: 'problem names, keys or level/id (1/19)' })
    .option('round', { type: 'number', array: true, describe: 'search rounds' })
    .option('provider', { type: 'string', array: true, describe: 'providers (openai, builtin)' })
    .option('model', { type: 'string', array: true, describe: 'model names' })
    .option('include-suspect', { type: 'boolean', default: false, describe: 'keep records an integrity check flagged as suspect' })
    .option('include-weak', { type: 'boolean', default: false, describe: 'keep records of weak problems' }) as unknown as Argv<T & FilterArgs>;
}

export function filterFromArgs(a: FilterArgs): RecordFilter {
  const f: RecordFilter = { includeSuspect: a.includeSuspect, includeWeak: a.includeWeak };
  if (a.correct !== undefined) f.correct = a.correct;
  if (a.tolerance) f.tolerancePolicy = a.tolerance;
  if (a.minSpeedup !== undefined) f.minSpeedup = a.minSpeedup;
  if (a.level?.length) f.levels = a.level;
  if (a.problem?.length) f.problems = a.problem.map(String);
  if (a.round?.length) f.rounds = a.round;
  if (a.provider?.length) f.providers = a.provider;
  if (a.model?.length) f.models = a.model;
  return f;
}

interface FilterCommandArgs extends FilterArgs {
  out: string;
  workers: number;
  overwrite: boolean;
}

export const filterCommand: CommandModule<object, FilterCommandArgs> = {
  command: 'filter <inputs..>',
  describe: 'Select records from runs or datasets (by correctness, speedup, level, problem, ...) into Parquet',
  builder: (yargs: Argv) =>
    withFilterOptions(yargs)
      .option('out', { type: 'string', demandOption: true, describe: `output .parquet file, or a folder (gets ${runLayout('.').relativePartFile(0)})` })
      .option('workers', { type: 'number', default: 1, describe: 'worker threads reading part files in parallel (helps on idle cores)' })
      .option('overwrite', { type: 'boolean', default: false, describe: 'replace an existing --out' }) as unknown as Argv<FilterCommandArgs>,
  handler: async (args: ArgumentsCamelCase<FilterCommandArgs>) => {
    checkOutputPath(args.out, { kind: args.out.endsWith('.parquet') ? 'file' : 'folder', inputs: args.inputs, overwrite: args.overwrite });
    const filter = filterFromArgs(args);
    const result = await runFilter(await resolveInputs(args.inputs), filter, args.out, { workers: args.workers });
    process.stdout.write(`${result.rowsSelected} of ${result.rowsScanned} records kept (${describeFilter(filter).join('; ')})\nwrote ${result.outputPath}\n`);
  },
};
