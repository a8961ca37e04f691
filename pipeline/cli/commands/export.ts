/** `kforge export`: fine-tuning corpora (chat SFT, idea-conditioned SFT, DPO pairs, Hugging Face folder). */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { resolveInputs } from '../../../datasets/dataset-store.ts';
import { EXPORT_FORMATS, runExport, type ExportFormat } from '../../../datasets/export.ts';
import { checkOutputPath } from '../output-path.ts';
import { engineFromArgs, filterFromArgs, withFilterOptions, type FilterArgs } from './filter.ts';

interface ExportArgs extends FilterArgs {
  format: ExportFormat;
  out: string;
  select: 'all' | 'best';
  validationFraction: number;
  splitSeed: string;
  system?: string;
  pairsPerProblem?: number;
  minMargin?: number;
  name?: string;
  shardRows?: number;
}

export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export <inputs..>',
  describe: 'Export fine-tuning data: chat JSONL, idea-conditioned JSONL, DPO pairs or a Hugging Face dataset folder',
  builder: (yargs: Argv) =>
    withFilterOptions(yargs, { correct: true })
      .option('format', { choices: EXPORT_FORMATS, demandOption: true, describe: 'chat: SFT (OpenAI format); idea: SFT with the idea in the prompt; dpo: preference pairs (TRL); hf: Hugging Face dataset folder' })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder' })
      .option('select', { choices: ['all', 'best'] as const, default: 'all' as const, describe: 'every record passing the filters, or the fastest per problem' })
      .option('validation-fraction', { type: 'number', default: 0.1, describe: 'share of problems held out for validation (split by problem)' })
      .option('split-seed', { type: 'string', default: '', describe: 'changes which problems are held out, deterministically' })
      .option('system', { type: 'string', describe: 'system prompt of the chat examples' })
      .option('pairs-per-problem', { type: 'number', describe: 'dpo: most pairs per problem (default 8)' })
      .option('min-margin', { type: 'number', describe: 'dpo: a correct rejected kernel is at least this many times slower (default 1.25)' })
      .option('name', { type: 'string', describe: 'hf: dataset name in the card' })
      .option('shard-rows', { type: 'number', describe: 'hf: rows per Parquet shard (default 50000)' }) as unknown as Argv<ExportArgs>,
  handler: async (args: ArgumentsCamelCase<ExportArgs>) => {
    // An export folder is rewritten freely (overwrite), but never inside an input or on /proc.
    checkOutputPath(args.out, { kind: 'folder', inputs: args.inputs, overwrite: true });
    const counts = await runExport({
      format: args.format,
      inputs: args.inputs,
      paths: await resolveInputs(args.inputs),
      outDir: args.out,
      filter: filterFromArgs(args),
      engine: engineFromArgs(args),
      select: args.select,
      split: { validationFraction: args.validationFraction, seed: args.splitSeed },
      ...(args.system ? { systemPrompt: args.system } : {}),
      ...(args.pairsPerProblem ? { pairsPerProblem: args.pairsPerProblem } : {}),
      ...(args.minMargin ? { minMargin: args.minMargin } : {}),
      ...(args.name ? { name: args.name } : {}),
      ...(args.shardRows ? { shardRows: args.shardRows } : {}),
    });
    const { train, validation } = counts;
    process.stdout.write(`${args.format}: ${train} train, ${validation} validation${'duplicates' in counts ? `, ${counts.duplicates} duplicates removed` : ''}\nwrote ${args.out}\n`);
  },
};
