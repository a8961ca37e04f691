/** `kforge filter`: select records across runs or datasets into one Parquet file. */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { resolveInputs } from '../../../datasets/dataset-store.ts';
import type { DuckSettings } from '../../../datasets/duck.ts';
import { runFilter } from '../../../datasets/filter-run.ts';
import { describeFilter, type RecordFilter } from '../../../datasets/record-filter.ts';
import { RECORD_COPY_MEMORY_LIMIT } from '../../../datasets/record-sql.ts';
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
  precision?: string[];
  includeSuspect: boolean;
  includeWeak: boolean;
  threads?: number;
  memoryLimit?: string;
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
    .option('precision', { type: 'string', array: true, choices: ['fp32', 'fp16', 'bf16'], describe: 'run precisions (records from before the column are fp32)' })
    .option('include-suspect', { type: 'boolean', default: false, describe: 'keep records an integrity check flagged as suspect' })
    .option('include-weak', { type: 'boolean', default: false, describe: 'keep records of weak problems' })
    // The query engine's bounds (DuckDB); defaults: every core, 1GB (filter and merge: RECORD_COPY_MEMORY_LIMIT), spill under the system temp folder.
    .option('threads', { type: 'number', alias: 'workers', describe: 'DuckDB threads (default: every core; KFORGE_DUCKDB_THREADS)' })
    .option('memory-limit', { type: 'string', describe: `DuckDB memory limit, beyond which it spills to a temp folder (default '1GB', filter and dataset merge ${RECORD_COPY_MEMORY_LIMIT}; KFORGE_DUCKDB_MEMORY)` }) as unknown as Argv<T & FilterArgs>;
}

/** The engine settings the flags ask for (the rest from duckSettings' defaults). */
export function engineFromArgs(a: FilterArgs): Partial<DuckSettings> {
  return { ...(a.threads ? { threads: a.threads } : {}), ...(a.memoryLimit ? { memoryLimit: a.memoryLimit } : {}) };
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
  if (a.precision?.length) f.precisions = a.precision;
  return f;
}

interface FilterCommandArgs extends FilterArgs {
  out: string;
  overwrite: boolean;
}

export const filterCommand: CommandModule<object, FilterCommandArgs> = {
  command: 'filter <inputs..>',
  describe: 'Select records from runs or datasets (by correctness, speedup, level, problem, ...) into Parquet',
  builder: (yargs: Argv) =>
    withFilterOptions(yargs)
      .option('out', { type: 'string', demandOption: true, describe: `output .parquet file, or a folder (gets ${runLayout('.').relativePartFile(0)})` })
      .option('overwrite', { type: 'boolean', default: false, describe: 'replace an existing --out' }) as unknown as Argv<FilterCommandArgs>,
  handler: async (args: ArgumentsCamelCase<FilterCommandArgs>) => {
    checkOutputPath(args.out, { kind: args.out.endsWith('.parquet') ? 'file' : 'folder', inputs: args.inputs, overwrite: args.overwrite });
    const filter = filterFromArgs(args);
    const result = await runFilter(await resolveInputs(args.inputs), filter, args.out, engineFromArgs(args));
    process.stdout.write(`${result.rowsSelected} of ${result.rowsScanned} records kept (${describeFilter(filter).join('; ')})\nwrote ${result.outputPath}\n`);
  },
};
