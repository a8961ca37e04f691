/**
 * Connections to the Redis that holds the verification queue. ioredis retries forever by default,
 * which makes a wrong URL a silent hang; so every user first connects once with no retries and a
 * short timeout, and a failure is a RedisUnreachableError that says how to start a server.
 */
import { Redis } from 'ioredis';

export class RedisUnreachableError extends Error {
  override readonly name = 'RedisUnreachableError';
  constructor(url: string, cause: string) {
    super(
      [
        `Cannot reach Redis at ${url} (${cause}).`,
        'The verification queue (verify.mode: queue) needs a Redis server. Start one with:',
        '  redis-server --port 6379 --appendonly yes --maxmemory-policy noeviction',
        'or point verify.queue.url (kforge worker --url) at a running one (README: "Verification on a fleet").',
      ].join('\n'),
    );
  }
}

const CONNECT_TIMEOUT_MS = 3000;

/** Connects once, without retries; throws RedisUnreachableError naming the URL. Closes the probe. */
export async function checkRedis(url: string): Promise<{ maxmemoryPolicy: string | null; appendonly: string | null }> {
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  let lastError = '';
  probe.on('error', (e: Error) => (lastError = e.message)); // ECONNREFUSED and the like: more telling than connect()'s own
  try {
    await probe.connect();
    await probe.ping();
    // CONFIG may be disabled on managed Redis: then the settings are unknown, not wrong.
    const policy = await probe.config('GET', 'maxmemory-policy').catch(() => null);
    const aof = await probe.config('GET', 'appendonly').catch(() => null);
    return { maxmemoryPolicy: configValue(policy), appendonly: configValue(aof) };
  } catch (error) {
    throw new RedisUnreachableError(url, lastError || (error instanceof Error ? error.message : String(error)));
  } finally {
    probe.disconnect();
  }
}

function configValue(reply: unknown): string | null {
  return Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : null;
}

/** What is wrong with the server's settings for a queue that must lose nothing; empty when fine. */
export function settingsWarnings(url: string, s: { maxmemoryPolicy: string | null; appendonly: string | null }): string[] {
  const out: string[] = [];
  if (s.maxmemoryPolicy !== null && s.maxmemoryPolicy !== 'noeviction') {
    out.push(`kforge: Redis at ${url} has maxmemory-policy ${s.maxmemoryPolicy}: under memory pressure it may evict queued jobs; set noeviction`);
  }
  if (s.appendonly !== null && s.appendonly !== 'yes') {
    out.push(`kforge: Redis at ${url} has appendonly ${s.appendonly}: a restart can lose queued jobs and results; start it with --appendonly yes`);
  }
  return out;
}

/** A long-lived connection for BullMQ (workers need maxRetriesPerRequest: null; it reconnects by itself). */
export function queueConnection(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
  redis.on('error', () => {}); // reconnects on its own; a lost server shows as stalled progress, not a crash
  return redis;
}
