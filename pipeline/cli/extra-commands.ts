/** Commands over written data (datasets/): filter, export, stats, report, dataset. */
import type { CommandModule } from 'yargs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- yargs command modules differ in their argument types
export const extraCommands: CommandModule<object, any>[] = [];
