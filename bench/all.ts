/**
 * `npm run bench`: the datasets benchmark (bench/run.ts, or with `--serve` the kforge serve one), then the
 * fleet benchmark (bench/fleet.ts). One entry point because npm appends `npm run bench -- <args>` to the
 * last command of a script only: with `run.ts && fleet.ts`, `--records 20000` or `--serve` reached
 * fleet.ts and never run.ts. Arguments go to run.ts; the fleet part takes its own through
 * `npm run bench:fleet -- ...`.
 */
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));

async function step(file: string, argv: string[]): Promise<void> {
  const r = await execa(tsx, [fileURLToPath(new URL(file, import.meta.url)), ...argv], { stdio: 'inherit', reject: false });
  if (r.exitCode !== 0) process.exit(r.exitCode ?? 1);
}

await step('./run.ts', args);
if (!args.includes('--serve')) await step('./fleet.ts', []);
