/** The verifier of a build: the local harness pool (verify.mode: local) or the Redis queue (queue). */
import path from 'node:path';
import { LocalVerifier } from '../../stages/verify/local-verifier.ts';
import { QueueVerifier } from '../../stages/verify/queue/queue-verifier.ts';
import { checkRedis } from '../../stages/verify/queue/redis-connection.ts';
import type { StoppableVerifier } from '../../stages/verify/verifier.ts';
import type { RunConfig } from '../config/schema.ts';
import { runLayout } from '../../stages/core/run-layout.ts';

export interface CreateVerifierOptions {
  python: string;
  runDir: string;
  /** false (--no-cache): the queue must not answer with a verdict it has from before either. */
  reuse: boolean;
  log?: (line: string) => void;
}

/**
 * verify.mode queue: Redis reachable, or a RedisUnreachableError naming the URL and how to start one.
 * Called first by every command that verifies, before the Python probe (an import of torch, seconds)
 * and before a run folder exists, so a wrong URL fails at once and leaves nothing behind.
 */
export async function checkQueueReachable(config: RunConfig): Promise<void> {
  if (config.verify.mode === 'queue') await checkRedis(config.verify.queue.url);
}

export async function createVerifier(config: RunConfig, o: CreateVerifierOptions): Promise<StoppableVerifier> {
  const v = config.verify;
  if (v.mode === 'queue') {
    return QueueVerifier.open({
      url: v.queue.url, name: v.queue.name, device: v.queue.device, attempts: v.queue.attempts, workerWaitS: v.queue.worker_wait_s, reuse: o.reuse, splitBuilds: v.queue.split_builds,
      ...(o.log ? { log: o.log } : {}),
    });
  }
  return new LocalVerifier({
    python: o.python,
    workers: v.workers,
    cpuThreads: v.cpu_threads,
    ...(v.device_share ? { deviceShare: v.device_share } : {}),
    buildTimeoutS: v.build_timeout_s,
    buildRoot: path.resolve(config.cache.dir, 'builds'),
    scratchRoot: path.resolve(runLayout(o.runDir).scratchDir),
  });
}
