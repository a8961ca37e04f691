/** `kforge dataset merge|list`: nightly datasets, one version per night, each record kept once. */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { join } from 'node:path';
import { mergeIntoDataset, readDatasetManifest } from '../../../datasets/dataset-store.ts';

interface MergeArgs {
  runs: string[];
  name: string;
  datasetVersion?: string;
  root: string;
}

interface ListArgs {
  name: string;
  root: string;
  json: boolean;
}

const mergeCommand: CommandModule<object, MergeArgs> = {
  command: 'merge <runs..>',
  describe: 'Merge runs into a new version of a named dataset (records already in it are skipped)',
  builder: (y: Argv) =>
    y
      .positional('runs', { type: 'string', array: true, demandOption: true, describe: 'run folders, folders of runs, or .parquet files' })
      .option('name', { type: 'string', demandOption: true, describe: 'dataset name' })
      .option('dataset-version', { type: 'string', describe: "version label (default: today's date, YYYY-MM-DD); not --version, which yargs keeps for the program's version" })
      .option('root', { type: 'string', default: 'datasets-out', describe: 'folder holding the datasets' }) as unknown as Argv<MergeArgs>,
  handler: async (a: ArgumentsCamelCase<MergeArgs>) => {
    const version = a.datasetVersion ?? new Date().toISOString().slice(0, 10);
    const { datasetDir, entry } = await mergeIntoDataset({ root: a.root, name: a.name, version, inputs: a.runs });
    process.stdout.write(`${a.name}@${version}: ${entry.added} records added, ${entry.duplicates} already present\nread it as ${datasetDir}@${version}\n`);
  },
};

const listCommand: CommandModule<object, ListArgs> = {
  command: 'list',
  describe: 'List the versions of a dataset',
  builder: (y: Argv) =>
    y
      .option('name', { type: 'string', demandOption: true })
      .option('root', { type: 'string', default: 'datasets-out' })
      .option('json', { type: 'boolean', default: false }) as unknown as Argv<ListArgs>,
  handler: async (a: ArgumentsCamelCase<ListArgs>) => {
    const m = await readDatasetManifest(join(a.root, a.name));
    if (!m) throw new Error(`no dataset ${a.name} under ${a.root}`);
    let total = 0;
    process.stdout.write(a.json ? JSON.stringify(m, null, 2) + '\n' : m.versions.map((v) => `${v.version}  +${v.added} (total ${(total += v.added)}, ${v.duplicates} duplicates skipped)  ${v.created_at}`).join('\n') + '\n');
  },
};

export const datasetCommand: CommandModule = {
  command: 'dataset <command>',
  describe: 'Nightly datasets: merge runs into named, versioned datasets',
  builder: (y: Argv) => y.command(mergeCommand).command(listCommand).demandCommand(1),
  handler: () => undefined,
};
