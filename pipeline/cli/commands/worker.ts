/** `kforge worker`: verify jobs from the Redis queue on this host, until Ctrl-C / SIGTERM. */
import os from 'node:os';
import path from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { loadRunConfig } from '../../config/load.ts';
import { findPython } from '../../../stages/verify/python.ts';
import { startFleetWorker } from '../../../stages/verify/queue/fleet-worker.ts';
import { checkRedis } from '../../../stages/verify/queue/redis-connection.ts';
import { parseGpuList, visibleGpus } from '../../../stages/verify/queue/visible-gpus.ts';
import { UsageError } from '../../../stages/core/errors/usage-error.ts';

interface WorkerArgs {
  config?: string;
  url?: string;
  queue?: string;
  device?: string;
  backend?: string;
  concurrency?: number;
  gpus?: (string | number)[];
  lockS: number;
  cacheDir?: string;
  role: 'build' | 'gpu' | 'all';
  buildStore?: string;
  buildConcurrency?: number;
  cudaArch?: string;
  deviceShare?: number;
}

export const workerCommand: CommandModule<object, WorkerArgs> = {
  command: 'worker',
  describe: 'Verify candidates from the Redis queue (verify.mode: queue) on this host',
  builder: (yargs: Argv) =>
    yargs
      .option('config', { type: 'string', describe: 'run configuration whose verify section to use (url, queue, backend, python)' })
      .option('url', { type: 'string', describe: 'Redis URL (default verify.queue.url, redis://127.0.0.1:6379)' })
      .option('queue', { type: 'string', describe: 'queue base name (default verify.queue.name)' })
      .option('device', { type: 'string', describe: 'GPU kind this host serves, e.g. h200 (default verify.queue.device)' })
      .option('backend', { choices: ['cpu', 'cuda'], describe: 'verification backend (default verify.backend)' })
      .option('concurrency', { type: 'number', describe: 'candidates at once per GPU (on cpu: per host); default verify.workers' })
      .option('gpus', { type: 'array', describe: 'GPUs to serve, one worker each (default: all visible); cuda only' })
      .option('cache-dir', { type: 'string', describe: 'where extension builds are kept (default cache.dir, .kforge-cache/)' })
      .option('role', { choices: ['build', 'gpu', 'all'], default: 'all', describe: 'build: extension builds into the build store (no GPU needed); gpu: the device step; all: both (builds only with a build store)' })
      .option('build-store', { type: 'string', describe: 'content-addressed build store shared by build and device workers (default verify.queue.build_store; none: device workers build themselves)' })
      .option('build-concurrency', { type: 'number', describe: 'builds at once on this host (role build/all; default: cores - 1)' })
      .option('cuda-arch', { type: 'string', describe: 'build workers, cuda: the GPU arch the device workers have, e.g. 9.0 (without it CUDA builds are left to the device step)' })
      .option('device-share', { type: 'number', describe: 'device steps whose correctness checks may share a GPU at once (timing stays exclusive; default verify.device_share, else --concurrency; 1: each whole step exclusive)' })
      .option('lock-s', { type: 'number', default: 30, describe: "seconds without a sign of life before a worker's job is given to another" }) as unknown as Argv<WorkerArgs>,
  handler: async (args: ArgumentsCamelCase<WorkerArgs>) => {
    const config = await loadRunConfig({
      ...(args.config ? { file: args.config } : {}),
      overrides: { 'verify.queue.url': args.url, 'verify.queue.name': args.queue, 'verify.queue.device': args.device, 'verify.backend': args.backend, 'verify.workers': args.concurrency, 'cache.dir': args.cacheDir },
    });
    const v = config.verify;
    if (!(args.lockS >= 2)) throw new UsageError('--lock-s takes at least 2 seconds');
    // Before the Python probe (an import of torch: seconds): a wrong URL fails at once, naming it.
    await checkRedis(v.queue.url);
    const gpus = v.backend === 'cpu' || args.role === 'build' ? [] : args.gpus?.length ? parseGpuList(args.gpus) : await visibleGpus();
    if (v.backend === 'cuda' && args.role !== 'build' && !gpus.length) throw new UsageError('kforge worker --backend cuda: no GPU visible (nvidia-smi lists none); give --gpus 0,1 or run a cpu worker');
    const buildStore = args.buildStore ?? (v.queue.build_store || undefined);
    if (args.role === 'build' && !buildStore) throw new UsageError('kforge worker --role build needs a build store for its builds: --build-store DIR (a folder the device workers read too)');
    // Without a store there is nowhere to put builds: role all is then a device worker running whole jobs.
    const roles = args.role === 'all' ? (buildStore ? (['build', 'gpu'] as const) : (['gpu'] as const)) : ([args.role] as const);
    if (args.buildConcurrency !== undefined && !(args.buildConcurrency >= 1)) throw new UsageError('--build-concurrency takes at least 1');
    if (args.deviceShare !== undefined && !(Number.isInteger(args.deviceShare) && args.deviceShare >= 1)) throw new UsageError('--device-share takes a whole number, at least 1');
    const deviceShare = args.deviceShare ?? v.device_share;
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const running = await startFleetWorker({
      url: v.queue.url, name: v.queue.name, device: v.queue.device, backend: v.backend, roles: [...roles], gpus, lockMs: Math.round(args.lockS * 1000),
      // With prebuilt extensions a device step is the GPU work only: one at a time per GPU unless asked.
      concurrency: args.concurrency ?? (buildStore ? 1 : v.workers),
      buildConcurrency: args.buildConcurrency ?? Math.max(1, os.availableParallelism() - 1),
      ...(buildStore ? { buildStore: path.resolve(buildStore) } : {}),
      ...(args.cudaArch ? { cudaArch: args.cudaArch } : {}),
      ...(deviceShare ? { deviceShare } : {}),
      python: await findPython(v.python), cpuThreads: v.cpu_threads, buildTimeoutS: v.build_timeout_s,
      buildRoot: path.resolve(config.cache.dir, 'builds'), scratchRoot: path.join(os.tmpdir(), `kforge-worker-scratch-${process.pid}`), log,
    });
    for (const w of running.workers) {
      log(`kforge worker: ${w.worker_id} ready on queue ${w.queue} at ${v.queue.url}, role ${w.role}, harness ${w.harness_version}, ${String(w.environment.device_name)}${w.gpu === null ? '' : ` (CUDA_VISIBLE_DEVICES=${w.gpu})`}, concurrency ${w.concurrency}`);
    }
    await untilSignal();
    log('kforge worker: stopping (finishing the jobs it has; a second signal exits now)');
    await running.close();
  },
};

/** Resolves on the first SIGINT/SIGTERM; a second one exits at once (its jobs go to other workers). */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    let seen = false;
    const on = (signal: NodeJS.Signals) => {
      if (seen) process.exit(signal === 'SIGINT' ? 130 : 143);
      seen = true;
      resolve();
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
