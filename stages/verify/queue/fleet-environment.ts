/**
 * The environment a build puts in its verification cache key when the fleet verifies: that of the
 * live workers of the queue with the build's harness version. A build may start before any worker;
 * it waits for one (saying so once), up to a limit, rather than failing a fleet that is still booting.
 */
import type { Redis } from 'ioredis';
import type { Backend, Environment } from '../protocol.ts';
import { listWorkers } from './fleet-registry.ts';

export class NoWorkerError extends Error {
  override readonly name = 'NoWorkerError';
}

export interface FleetEnvironmentOptions {
  url: string;
  queue: string;
  backend: Backend;
  harnessVersion: string;
  waitS: number;
  log?: (line: string) => void;
}

const POLL_MS = 500;

export async function waitForFleetEnvironment(redis: Redis, o: FleetEnvironmentOptions): Promise<Environment> {
  const end = Date.now() + o.waitS * 1000;
  let said = false;
  for (;;) {
    const workers = (await listWorkers(redis, o.queue)).sort((a, b) => a.worker_id.localeCompare(b.worker_id));
    const usable = workers.filter((w) => w.harness_version === o.harnessVersion);
    const first = usable[0];
    if (first) {
      const differing = usable.filter((w) => JSON.stringify(w.environment) !== JSON.stringify(first.environment));
      // Each worker checks every job's expected environment and refuses one it would measure differently.
      if (differing.length) o.log?.(`kforge: ${differing.length} worker(s) on queue ${o.queue} report another environment than ${first.host}; they will refuse these jobs`);
      return first.environment;
    }
    if (!said) {
      const stale = workers.length ? ` (${workers.length} live worker(s) have another harness version: ${[...new Set(workers.map((w) => w.harness_version))].join(', ')})` : '';
      o.log?.(`kforge: waiting for a worker on queue ${o.queue} at ${o.url}, harness ${o.harnessVersion}${stale}; start one with: kforge worker --url ${o.url} --backend ${o.backend}`);
      said = true;
    }
    if (Date.now() > end) {
      throw new NoWorkerError(`no kforge worker with harness ${o.harnessVersion} registered on queue ${o.queue} at ${o.url} within ${o.waitS} s; start one with: kforge worker --url ${o.url} --backend ${o.backend} (verify.queue.worker_wait_s sets the wait)`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
