/** Run the dataset commands in-process through yargs, capturing stdout. */
import yargs from 'yargs';
import { datasetCommand } from '../../pipeline/cli/commands/dataset.ts';
import { exportCommand } from '../../pipeline/cli/commands/export.ts';
import { filterCommand } from '../../pipeline/cli/commands/filter.ts';
import { reportCommand } from '../../pipeline/cli/commands/report.ts';
import { statsCommand } from '../../pipeline/cli/commands/stats.ts';

export async function kforge(args: string[]): Promise<string> {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => (chunks.push(String(chunk)), true)) as typeof process.stdout.write;
  try {
    await yargs(args)
      .command(filterCommand)
      .command(exportCommand)
      .command(statsCommand)
      .command(reportCommand)
      .command(datasetCommand)
      .strict()
      .fail((msg, err) => {
        throw err ?? new Error(msg);
      })
      .parseAsync();
  } finally {
    process.stdout.write = write;
  }
  return chunks.join('');
}
