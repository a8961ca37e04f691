/** `kforge inspect <run>`: the summary of a written run, checked against its part files. */
import path from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { countRunRecords } from '../../build/run-counts.ts';
import { ConfigError } from '../../../stages/core/errors/config-error.ts';
import { readManifest } from '../../run/manifest.ts';
import { formatSummary } from '../summary.ts';
import { RUN_FILES } from '../../../stages/core/run-layout.ts';

interface InspectArgs {
  run: string;
  json: boolean;
}

export const inspectCommand: CommandModule<object, InspectArgs> = {
  command: 'inspect <run>',
  describe: 'Summarise a run folder: status, counts, best speedup and trajectory per problem',
  builder: (yargs: Argv) =>
    yargs
      .positional('run', { type: 'string', demandOption: true, describe: 'run folder (runs/<id>) or run id under runs/' })
      .option('json', { type: 'boolean', default: false, describe: 'print the manifest as JSON' }) as unknown as Argv<InspectArgs>,
  handler: async (args: ArgumentsCamelCase<InspectArgs>) => {
    const runDir = (await readManifest(args.run)) ? args.run : path.join('runs', args.run);
    const manifest = await readManifest(runDir);
    if (!manifest) throw new ConfigError(`No run at ${args.run}: expected a folder holding ${RUN_FILES.manifest} (e.g. runs/<id>). List runs with: ls runs/`);
    // The part files are the truth; the manifest could be one part behind after a kill.
    const contents = await countRunRecords(runDir);
    manifest.counts = contents.counts;
    manifest.parts = contents.parts;
    process.stdout.write(args.json ? JSON.stringify(manifest, null, 2) + '\n' : formatSummary(manifest, runDir));
  },
};
