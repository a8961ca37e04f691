/** `kforge report`: one self-contained HTML file of charts and the best kernel per problem. */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { resolveInputs } from '../../../datasets/dataset-store.ts';
import { buildReport } from '../../../datasets/report-html.ts';
import { checkOutputPath } from '../output-path.ts';
import { readFlagClasses } from '../../../stages/verify/flag-classes.ts';
import { engineFromArgs, filterFromArgs, withFilterOptions, type FilterArgs } from './filter.ts';

interface ReportArgs extends FilterArgs {
  out: string;
  title?: string;
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report <inputs..>',
  describe: 'Write an HTML report (speedup distribution, fast_p curve, rounds, failures, best kernels)',
  builder: (yargs: Argv) =>
    withFilterOptions(yargs)
      .option('include-suspect', { type: 'boolean', default: true, describe: 'count suspect records as candidates (never as correct)' })
      .option('include-weak', { type: 'boolean', default: true, describe: 'count records of weak problems' })
      .option('out', { type: 'string', default: 'report.html', describe: 'output HTML file' })
      .option('title', { type: 'string', describe: 'report title' }) as unknown as Argv<ReportArgs>,
  handler: async (args: ArgumentsCamelCase<ReportArgs>) => {
    // A report is rewritten freely (overwrite), but never into a folder or an input.
    checkOutputPath(args.out, { kind: 'file', inputs: args.inputs, overwrite: true });
    const stats = await buildReport({ paths: await resolveInputs(args.inputs), inputs: args.inputs, out: args.out, filter: filterFromArgs(args), engine: engineFromArgs(args), integrity: { flagClasses: readFlagClasses() }, ...(args.title ? { title: args.title } : {}) });
    process.stdout.write(`${stats.overall.candidates} records, ${stats.overall.problems} problems\nwrote ${args.out}\n`);
  },
};
