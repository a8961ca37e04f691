/** `kforge stats`: per-level and overall figures (fast_p, rates, speedups), or two versions compared. */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { resolveInput, resolveInputs } from '../../../datasets/dataset-store.ts';
import { statsOfFiles } from '../../../datasets/stats-query.ts';
import { compareStats, formatComparison, formatStats } from '../../../datasets/stats-format.ts';
import { readFlagClasses } from '../../../stages/verify/flag-classes.ts';
import { engineFromArgs, filterFromArgs, withFilterOptions, type FilterArgs } from './filter.ts';

interface StatsArgs extends FilterArgs {
  json: boolean;
  compare: boolean;
}

export const statsCommand: CommandModule<object, StatsArgs> = {
  command: 'stats <inputs..>',
  describe: 'Statistics of runs or datasets: build and correctness rates, fast_p, speedups, rounds, ideas, cost',
  builder: (yargs: Argv) =>
    withFilterOptions(yargs)
      .option('include-suspect', { type: 'boolean', default: true, describe: 'count suspect records as candidates (never as correct)' })
      .option('include-weak', { type: 'boolean', default: true, describe: 'count records of weak problems' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .option('compare', { type: 'boolean', default: false, describe: 'compare exactly two inputs (e.g. dataset@v1 dataset@v2): what got better' }) as unknown as Argv<StatsArgs>,
  handler: async (args: ArgumentsCamelCase<StatsArgs>) => {
    const filter = filterFromArgs(args);
    if (args.compare) {
      if (args.inputs.length !== 2) throw new Error(`--compare needs exactly two inputs, got ${args.inputs.length}`);
      const [a, b] = args.inputs as [string, string];
      const cmp = compareStats(await statsOfFiles(await resolveInput(a), filter, engineFromArgs(args)), await statsOfFiles(await resolveInput(b), filter, engineFromArgs(args)));
      process.stdout.write(args.json ? JSON.stringify({ metrics: cmp.metrics, improved: cmp.improved, regressed: cmp.regressed, new_problems: cmp.new_problems }, null, 2) + '\n' : formatComparison(cmp, [a, b]) + '\n');
      return;
    }
    const stats = await statsOfFiles(await resolveInputs(args.inputs), filter, engineFromArgs(args), { flagClasses: readFlagClasses() });
    process.stdout.write(args.json ? JSON.stringify(stats, null, 2) + '\n' : formatStats(stats) + '\n');
  },
};
