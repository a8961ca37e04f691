/**
 * The fleet-only command line: `kforge worker` and `kforge fleet`, nothing else, so that a GPU host
 * without Node installed can run it from one bundled file (scripts/pack-node.sh) beside the harness.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { fleetCommand } from './commands/fleet.ts';
import { workerCommand } from './commands/worker.ts';
import { FLEET_ERRORS } from './fleet-errors.ts';
import { runCli } from './run-cli.ts';
import { KFORGE_VERSION } from './version.ts';

const cli = yargs(hideBin(process.argv)).scriptName('kforge').version(KFORGE_VERSION).command(workerCommand).command(fleetCommand);
await runCli(cli, FLEET_ERRORS, 'Give a command: kforge worker, kforge fleet status, kforge fleet verify (--help lists them).');
