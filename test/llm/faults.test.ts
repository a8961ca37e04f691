import { afterEach, describe, expect, it } from 'vitest';
import { ContentCache } from '../../stages/core/cache/content-cache.ts';
import { GenerationError } from '../../stages/core/errors/llm-errors.ts';
import type { GenerationFailureReason } from '../../stages/core/errors/llm-errors.ts';
import { faultInjector, startOpenAiServer, type OpenAiServer, type RecordedRequest } from '../support/openai-server.ts';
import { ask, tempDir, testClient } from './helpers.ts';

let server: OpenAiServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

/** The reason the client must give for what the server did. */
function expectedReason(r: RecordedRequest): GenerationFailureReason | null {
  switch (r.outcome) {
    case 'success':
      return null;
    case 'status':
      return r.status === 429 ? 'rate_limited' : 'server_error';
    case 'reset':
      return 'connection';
    case 'hang':
      return 'timeout';
    case 'garbage':
      return 'malformed';
    case 'empty':
    case 'truncated':
    case 'oversized':
      return r.outcome;
    default:
      throw new Error(`unexpected outcome ${r.outcome}`);
  }
}

describe('fault handling', () => {
  it('finishes a batch against a server failing 20% of requests, accounting for every failure', async () => {
    server = await startOpenAiServer({ respond: faultInjector({ rate: 0.2, seed: 7, order: 'cycle' }), oversizedChars: 5_000 });
    const cache = new ContentCache({ dir: tempDir('faults') });
    // The timeout must outlast any event-loop stall of this shared process, or a slow success races it.
    const client = testClient(server.url, { requestTimeoutMs: 1500, maxRetries: 4, maxResponseChars: 4_000, cache });
    const prompts = Array.from({ length: 50 }, (_, i) => `problem ${i}`);
    const settled = await Promise.allSettled(prompts.map((p) => client.complete(ask(p))));

    const failures = settled.filter((s) => s.status === 'rejected');
    for (const f of failures) expect((f as PromiseRejectedResult).reason).toBeInstanceOf(GenerationError);
    const status = client.status();
    expect(status.succeeded + status.failed).toBe(50);
    expect(status.failed).toBe(failures.length);
    expect(status.requestsSent).toBe(server.requests.length);

    // Every fault the server produced is counted once, under the reason it deserves, as a retry or a failure.
    const faultsByReason: Partial<Record<GenerationFailureReason, number>> = {};
    for (const r of server.requests) {
      const reason = expectedReason(r);
      if (reason) faultsByReason[reason] = (faultsByReason[reason] ?? 0) + 1;
    }
    const counted: Partial<Record<GenerationFailureReason, number>> = {};
    for (const [reason, n] of [...Object.entries(status.retriedByReason), ...Object.entries(status.failedByReason)]) {
      counted[reason as GenerationFailureReason] = (counted[reason as GenerationFailureReason] ?? 0) + n;
    }
    expect(counted, JSON.stringify({ counted, faultsByReason, outcomes: server.requests.map((r) => r.outcome + (r.status ?? "")) })).toEqual(faultsByReason);
    // seed 7 fails more than 9 requests, so 'cycle' shows every fault kind at least once
    expect(Object.keys(faultsByReason).sort()).toEqual(['connection', 'empty', 'malformed', 'oversized', 'rate_limited', 'server_error', 'timeout', 'truncated']);
    expect(status.retried + failures.length).toBe(server.requests.filter((r) => r.outcome !== 'success').length);

    // No request was ever answered successfully twice, and a second pass pays for nothing that succeeded.
    expect([...server.successCounts().values()].every((n) => n === 1)).toBe(true);
    const before = server.requests.length;
    const again = testClient(server.url, { requestTimeoutMs: 1500, maxRetries: 4, maxResponseChars: 4_000, cache });
    await Promise.allSettled(prompts.map((p) => again.complete(ask(p))));
    expect(again.status().cached).toBe(50 - failures.length);
    expect(server.requests.length - before).toBeLessThanOrEqual(failures.length * 5);
    expect([...server.successCounts().values()].every((n) => n === 1)).toBe(true);
  });

  it('honours retry-after in seconds, in ms, and as an HTTP date', async () => {
    const replies = [
      () => ({ fault: 'status', status: 429, retryAfter: 1 }) as const,
      () => ({ fault: 'status', status: 503, retryAfterMs: 300 }) as const,
      () => ({ fault: 'status', status: 429, retryAfter: new Date(Date.now() + 2_000).toUTCString() }) as const,
    ];
    server = await startOpenAiServer({ respond: ({ index }) => replies[index]?.() ?? { content: 'ok' } });
    const client = testClient(server.url, { retryTiming: { baseDelayMs: 1, maxDelayMs: 10_000 } });
    const result = await client.complete(ask('q'));
    expect(result.text).toBe('ok');
    const t = server.requests.map((r) => r.receivedAt);
    expect(t[1]! - t[0]!).toBeGreaterThanOrEqual(950);
    expect(t[2]! - t[1]!).toBeGreaterThanOrEqual(280);
    expect(t[3]! - t[2]!).toBeGreaterThanOrEqual(500); // the date has second resolution: at least 1 s of the 2 remain
    expect(client.status().retriedByReason).toEqual({ rate_limited: 2, server_error: 1 });
  });

  it('does not retry a 400, and an auth error names the env var to set', async () => {
    server = await startOpenAiServer({ respond: ({ body }) => ({ fault: 'status', status: body.model === 'bad' ? 400 : 401 }) });
    await expect(testClient(server.url, { model: 'bad' }).complete(ask('q'))).rejects.toMatchObject({ reason: 'bad_request', attempts: 1, status: 400 });
    delete process.env.KFORGE_TEST_MISSING_KEY;
    const err = await testClient(server.url, { apiKeyEnv: 'KFORGE_TEST_MISSING_KEY' }).complete(ask('q')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GenerationError);
    expect(err).toMatchObject({ reason: 'auth', attempts: 1 });
    expect((err as Error).message).toContain('KFORGE_TEST_MISSING_KEY');
    expect(server.requests).toHaveLength(2);
  });

  it('sends the key from the named env var, and gives up after maxRetries', async () => {
    process.env.KFORGE_TEST_KEY = 'sk-test-123';
    server = await startOpenAiServer({ respond: () => ({ fault: 'status', status: 500 }) });
    const client = testClient(server.url, { apiKeyEnv: 'KFORGE_TEST_KEY', maxRetries: 2 });
    await expect(client.complete(ask('q'))).rejects.toMatchObject({ reason: 'server_error', attempts: 3, status: 500 });
    expect(server.requests).toHaveLength(3);
    expect(server.requests[0]?.headers.authorization).toBe('Bearer sk-test-123');
    expect(client.status()).toMatchObject({ retried: 2, failed: 1, failedByReason: { server_error: 1 } });
  });
});
