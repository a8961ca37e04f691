/** `kforge fleet status`: the verification queues in Redis, their counts, live workers and throughput. */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { loadRunConfig } from '../../config/load.ts';
import { fleetStatus, renderFleetStatus } from '../../../stages/verify/queue/fleet-status.ts';
import { checkRedis, queueConnection } from '../../../stages/verify/queue/redis-connection.ts';
import { UsageError } from '../../../stages/core/errors/usage-error.ts';

interface FleetArgs {
  action: string;
  config?: string;
  url?: string;
  queue?: string;
  minutes: number;
  json: boolean;
}

export const fleetCommand: CommandModule<object, FleetArgs> = {
  command: 'fleet <action>',
  describe: 'The verification fleet (verify.mode: queue): `kforge fleet status`',
  builder: (yargs: Argv) =>
    yargs
      .positional('action', { choices: ['status'], describe: 'status: queues, job counts, workers and their GPUs, throughput' })
      .option('config', { type: 'string', describe: 'run configuration whose verify.queue to use' })
      .option('url', { type: 'string', describe: 'Redis URL (default verify.queue.url)' })
      .option('queue', { type: 'string', describe: 'queue base name (default verify.queue.name): every queue starting with it is shown' })
      .option('minutes', { type: 'number', default: 5, describe: 'throughput over the last this many minutes' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' }) as unknown as Argv<FleetArgs>,
  handler: async (args: ArgumentsCamelCase<FleetArgs>) => {
    if (!(args.minutes > 0)) throw new UsageError('--minutes takes a positive number, e.g. --minutes 5');
    const config = await loadRunConfig({ ...(args.config ? { file: args.config } : {}), overrides: { 'verify.queue.url': args.url, 'verify.queue.name': args.queue } });
    const { url, name } = config.verify.queue;
    await checkRedis(url);
    const redis = queueConnection(url);
    try {
      const status = await fleetStatus(redis, name, args.minutes);
      process.stdout.write(`${args.json ? JSON.stringify({ url, queues: status }, null, 2) : renderFleetStatus(url, status)}\n`);
    } finally {
      redis.disconnect();
    }
  },
};
