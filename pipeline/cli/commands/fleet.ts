/**
 * `kforge fleet status`: the verification queues in Redis, their counts, live workers and throughput.
 * `kforge fleet verify --jobs F --out F`: a JSONL of VerifyJobs through the queue, results to a JSONL.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { loadRunConfig } from '../../config/load.ts';
import { fleetStatus, renderFleetStatus } from '../../../stages/verify/queue/fleet-status.ts';
import { checkRedis, queueConnection } from '../../../stages/verify/queue/redis-connection.ts';
import { UsageError } from '../../../stages/core/errors/usage-error.ts';
import { QueueVerifier } from '../../../stages/verify/queue/queue-verifier.ts';
import { verifyJobsFile } from '../../../stages/verify/queue/verify-jobs-file.ts';
import type { RunConfig } from '../../config/schema.ts';

interface FleetArgs {
  action: string;
  config?: string;
  url?: string;
  queue?: string;
  minutes: number;
  json: boolean;
  jobs?: string;
  out?: string;
  splitBuilds?: boolean;
}

export const fleetCommand: CommandModule<object, FleetArgs> = {
  command: 'fleet <action>',
  describe: 'The verification fleet (verify.mode: queue): `kforge fleet status`, `kforge fleet verify --jobs F --out F`',
  builder: (yargs: Argv) =>
    yargs
      .positional('action', { choices: ['status', 'verify'], describe: 'status: queues, job counts, workers and their GPUs, throughput; verify: a jobs JSONL through the queue' })
      .option('config', { type: 'string', describe: 'run configuration whose verify.queue to use' })
      .option('url', { type: 'string', describe: 'Redis URL (default verify.queue.url)' })
      .option('queue', { type: 'string', describe: 'queue base name (default verify.queue.name): every queue starting with it is shown' })
      .option('minutes', { type: 'number', default: 5, describe: 'throughput over the last this many minutes' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .option('jobs', { type: 'string', describe: 'verify: VerifyJobs, one JSON object a line (verify.py --jobs format)' })
      .option('out', { type: 'string', describe: 'verify: results JSONL, appended as they come; candidates already in it are skipped' })
      .option('split-builds', { type: 'boolean', describe: 'verify: builds on the build queue first (default verify.queue.split_builds)' }) as unknown as Argv<FleetArgs>,
  handler: async (args: ArgumentsCamelCase<FleetArgs>) => {
    if (!(args.minutes > 0)) throw new UsageError('--minutes takes a positive number, e.g. --minutes 5');
    const config = await loadRunConfig({
      ...(args.config ? { file: args.config } : {}),
      overrides: { 'verify.queue.url': args.url, 'verify.queue.name': args.queue, 'verify.queue.split_builds': args.splitBuilds },
    });
    const { url, name } = config.verify.queue;
    if (args.action === 'verify') return verifyFile(config.verify.queue, args);
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

async function verifyFile(q: RunConfig['verify']['queue'], args: FleetArgs): Promise<void> {
  if (!args.jobs || !args.out) throw new UsageError('kforge fleet verify needs --jobs FILE (VerifyJobs, one a line) and --out FILE (results)');
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const verifier = await QueueVerifier.open({ url: q.url, name: q.name, device: q.device, attempts: q.attempts, workerWaitS: q.worker_wait_s, splitBuilds: q.split_builds, log });
  try {
    const report = await verifyJobsFile(verifier, args.jobs, args.out, log);
    process.stdout.write(`${JSON.stringify(report)}\n`);
    if (report.failed || report.bad_lines) process.exitCode = 1;
  } finally {
    await verifier.close();
  }
}
