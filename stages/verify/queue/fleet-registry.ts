/**
 * Which workers serve a queue, and on what: each live worker keeps a key with a short expiry, so a
 * worker killed by kill -9 disappears from the list on its own. A build reads the environment (device,
 * toolchain) it puts in the cache key from here, since the build host may have no GPU at all.
 */
import type { Redis } from 'ioredis';
import { fleetPrefix } from './queue-names.ts';
import { workerRecordSchema, type WorkerRecord } from './queue-messages.ts';

const TTL_S = 30;
const REFRESH_MS = 10_000;

/** Registers a worker until the returned stop() is called (or the process dies and the key expires). */
export async function registerWorker(redis: Redis, record: WorkerRecord): Promise<() => Promise<void>> {
  const key = `${fleetPrefix(record.queue)}:worker:${record.worker_id}`;
  const write = () => redis.set(key, JSON.stringify(record), 'EX', TTL_S);
  await write();
  const timer = setInterval(() => void write().catch(() => {}), REFRESH_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await redis.del(key).catch(() => {});
  };
}

/** The live workers of a queue (entries that do not parse are skipped: another version wrote them). */
export async function listWorkers(redis: Redis, queue: string): Promise<WorkerRecord[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${fleetPrefix(queue)}:worker:*`, 'COUNT', 200);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  if (!keys.length) return [];
  const values = await redis.mget(...keys);
  return values.flatMap((v) => {
    if (!v) return [];
    try {
      const parsed = workerRecordSchema.safeParse(JSON.parse(v));
      return parsed.success ? [parsed.data] : [];
    } catch {
      return [];
    }
  });
}
