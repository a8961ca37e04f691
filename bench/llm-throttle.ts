/**
 * Drive a throttling OpenAI-compatible server (429 with retry-after above `limit` requests per
 * `windowMs`, sliding window) with the LLM client configured to the server's rate, and report the
 * achieved rate against the allowed one and the share of requests refused.
 *
 *   npx tsx bench/llm-throttle.ts [--limit 20] [--window-ms 1000] [--seconds 3] [--latency-ms 0] [--concurrency 4]
 */
import { createLlmClient } from '../pipeline/llm/create-client.ts';
import { startOpenAiServer } from '../test/support/openai-server.ts';

export interface ThrottleRunOptions {
  limit: number;
  windowMs: number;
  seconds: number;
  latencyMs: number;
  concurrency: number;
}

export interface ThrottleRunResult {
  allowedPerSec: number;
  achievedPerSec: number;
  achievedShare: number;
  requests: number;
  refused: number;
  refusedShare: number;
  finalConcurrencyLimit: number;
  elapsedMs: number;
}

export async function runThrottle(o: ThrottleRunOptions): Promise<ThrottleRunResult> {
  const server = await startOpenAiServer({ throttle: { limit: o.limit, windowMs: o.windowMs }, latencyMs: o.latencyMs });
  try {
    const allowedPerSec = (o.limit * 1000) / o.windowMs;
    const client = createLlmClient({
      baseURL: server.url,
      apiKeyEnv: null,
      model: 'bench',
      temperature: 0,
      maxTokens: 64,
      requestTimeoutMs: 10_000,
      maxRetries: 10,
      rateLimit: { rpm: allowedPerSec * 60 },
      concurrency: { initial: o.concurrency, min: 1, max: Math.max(o.concurrency, 16) },
      cache: null,
    });
    const count = Math.round(allowedPerSec * o.seconds);
    const t0 = Date.now();
    await Promise.all(Array.from({ length: count }, (_, i) => client.complete({ messages: [{ role: 'user', content: `request ${i}` }], promptVersion: 'bench', purpose: 'ideas' })));
    const served = server.requests.filter((r) => r.success);
    // Rate over the span the server was serving: first to last successful arrival, count-1 intervals.
    const span = served.at(-1)!.receivedAt - served[0]!.receivedAt;
    const achievedPerSec = ((served.length - 1) * 1000) / span;
    const refused = server.requests.filter((r) => r.outcome === 'throttled').length;
    return {
      allowedPerSec,
      achievedPerSec,
      achievedShare: achievedPerSec / allowedPerSec,
      requests: server.requests.length,
      refused,
      refusedShare: refused / server.requests.length,
      finalConcurrencyLimit: client.status().concurrencyLimit,
      elapsedMs: Date.now() - t0,
    };
  } finally {
    await server.close();
  }
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runThrottle({
    limit: arg('limit', 20),
    windowMs: arg('window-ms', 1000),
    seconds: arg('seconds', 3),
    latencyMs: arg('latency-ms', 0),
    concurrency: arg('concurrency', 4),
  });
  console.log(JSON.stringify(result, null, 2));
}
