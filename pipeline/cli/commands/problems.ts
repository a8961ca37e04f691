/** `kforge problems`: list what a problem source holds, after selection. */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { describeSource, loadProblems } from '../../../kernelbench/sources/index.ts';
import { loadRunConfig } from '../../config/load.ts';
import { problemSelectionOptions, selectionOverrides, type SelectionArgs } from '../shared-options.ts';

interface ProblemsArgs extends SelectionArgs {
  json: boolean;
}

export const problemsCommand: CommandModule<object, ProblemsArgs> = {
  command: 'problems',
  describe: 'List the problems a source holds (builtin, a KernelBench checkout, JSONL or Parquet)',
  builder: (yargs: Argv) =>
    problemSelectionOptions(yargs).option('json', { type: 'boolean', default: false, describe: 'one JSON object per line' }) as unknown as Argv<ProblemsArgs>,
  handler: async (args: ArgumentsCamelCase<ProblemsArgs>) => {
    const config = await loadRunConfig({ file: args.config, overrides: selectionOverrides(args) });
    const problems = await loadProblems(config.problems.source, config.problems);
    if (args.json) {
      for (const p of problems) process.stdout.write(JSON.stringify({ level: p.level, problem_id: p.problemId, name: p.name, key: p.key, source: p.source, file: p.file }) + '\n');
      return;
    }
    const byLevel = new Map<number, number>();
    for (const p of problems) byLevel.set(p.level, (byLevel.get(p.level) ?? 0) + 1);
    process.stdout.write(`${problems.length} problems from ${describeSource(config.problems.source)} (${[...byLevel].map(([l, n]) => `level ${l}: ${n}`).join(', ')})\n`);
    for (const p of problems) process.stdout.write(`  L${p.level} #${String(p.problemId).padEnd(5)} ${p.name.padEnd(48)} ${p.key.slice(0, 12)}\n`);
  },
};
