/**
 * What `kforge fleet status` and the build's progress line show: the kforge queues in a Redis, their
 * job counts, the live workers of each (host, GPU), and throughput. Throughput comes from BullMQ's
 * own completed/failed sets, which are sorted by finish time, so nothing extra is recorded by workers.
 */
import type { Redis } from 'ioredis';
import { listWorkers } from './fleet-registry.ts';
import type { WorkerRecord } from './queue-messages.ts';

export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
}

export interface QueueStatus {
  queue: string;
  counts: QueueCounts;
  /** Jobs finished (completed or failed) per minute over the last `windowMin` minutes. */
  perMinute: number;
  windowMin: number;
  workers: WorkerRecord[];
}

/** The queues whose name starts with `base`: those BullMQ holds (a meta key) and those a worker serves. */
export async function findQueues(redis: Redis, base: string): Promise<string[]> {
  const found = new Set<string>();
  for (const [pattern, re] of [
    [`bull:${base}*:meta`, /^bull:(.+):meta$/],
    [`kforge:fleet:${base}*:worker:*`, /^kforge:fleet:(.+):worker:/],
  ] as const) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      for (const k of keys) {
        const m = re.exec(k);
        if (m?.[1]) found.add(m[1]);
      }
    } while (cursor !== '0');
  }
  return [...found].sort();
}

/** Counts from BullMQ's keys directly (one round trip per queue; no Queue object to open and close). */
export async function queueCounts(redis: Redis, queue: string): Promise<QueueCounts> {
  const k = (s: string) => `bull:${queue}:${s}`;
  const r = await redis
    .multi()
    .llen(k('wait'))
    .zcard(k('prioritized'))
    .llen(k('active'))
    .zcard(k('delayed'))
    .zcard(k('failed'))
    .zcard(k('completed'))
    .exec();
  const n = (i: number) => Number(r?.[i]?.[1] ?? 0);
  return { waiting: n(0) + n(1), active: n(2), delayed: n(3), failed: n(4), completed: n(5) };
}

/** Completed and failed jobs whose finish time lies in the last `windowMin` minutes, per minute. */
export async function throughput(redis: Redis, queue: string, windowMin: number, now = Date.now()): Promise<number> {
  const since = now - windowMin * 60_000;
  const [done, failed] = await Promise.all([
    redis.zcount(`bull:${queue}:completed`, since, '+inf'),
    redis.zcount(`bull:${queue}:failed`, since, '+inf'),
  ]);
  return (done + failed) / windowMin;
}

export async function fleetStatus(redis: Redis, base: string, windowMin = 5): Promise<QueueStatus[]> {
  const queues = await findQueues(redis, base);
  return Promise.all(
    queues.map(async (queue) => ({
      queue,
      counts: await queueCounts(redis, queue),
      perMinute: await throughput(redis, queue, windowMin),
      windowMin,
      workers: (await listWorkers(redis, queue)).sort((a, b) => a.worker_id.localeCompare(b.worker_id)),
    })),
  );
}

/** The table `kforge fleet status` prints. */
export function renderFleetStatus(url: string, status: QueueStatus[]): string {
  if (!status.length) return `no kforge queue at ${url} yet (a build in verify.mode: queue or a kforge worker creates one)`;
  const lines: string[] = [`Redis ${url}`];
  for (const s of status) {
    const c = s.counts;
    lines.push(
      '',
      `queue ${s.queue}: waiting ${c.waiting}  active ${c.active}  delayed ${c.delayed}  failed ${c.failed}  completed ${c.completed}  ` +
        `throughput ${s.perMinute.toFixed(1)}/min over the last ${s.windowMin} min`,
    );
    if (!s.workers.length) lines.push('  no live worker');
    for (const w of s.workers) {
      lines.push(`  worker ${w.worker_id}  host ${w.host}  ${w.gpu === null ? 'cpu' : `GPU ${w.gpu}`}  ${w.role}  concurrency ${w.concurrency}  harness ${w.harness_version}  ${String(w.environment.device_name)}  since ${w.started_at}`);
    }
  }
  return lines.join('\n');
}

/** One short line for the build's progress display: depth of its queue(s) and live workers. */
export async function fleetLine(redis: Redis, queues: string[]): Promise<string> {
  let waiting = 0;
  let active = 0;
  const workers = new Set<string>();
  for (const q of queues) {
    const c = await queueCounts(redis, q);
    waiting += c.waiting + c.delayed;
    active += c.active;
    for (const w of await listWorkers(redis, q)) workers.add(w.worker_id);
  }
  return `queue ${waiting} waiting / ${active} active, ${workers.size} worker(s)`;
}
