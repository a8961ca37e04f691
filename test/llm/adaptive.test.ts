import { afterEach, describe, expect, it } from 'vitest';
import { AdaptiveConcurrency } from '../../pipeline/llm/adaptive-concurrency.ts';
import { OpenAiLlmClient } from '../../pipeline/llm/openai-client.ts';
import { startOpenAiServer, type OpenAiServer } from '../support/openai-server.ts';
import { ask, testOptions } from './helpers.ts';

let server: OpenAiServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('adaptive concurrency', () => {
  // Latency-driven, so at the mercy of a busy machine: retried, a real regression fails every try.
  it('backs off when a server slows down instead of refusing, and recovers when it speeds up', { retry: 2 }, async () => {
    // Phases by arrival: fast, then ten times slower, then fast again.
    let phase: 'fast' | 'slow' = 'fast';
    server = await startOpenAiServer({ latencyMs: () => (phase === 'slow' ? 200 : 20) });
    const client = new OpenAiLlmClient(
      testOptions(server.url, { concurrency: { initial: 4, min: 1, max: 8 }, adaptive: { recoverEvery: 4 } }),
    );
    const limits: Record<string, number[]> = { fast1: [], slow: [], fast2: [] };
    const run = async (label: string, count: number) => {
      await Promise.all(
        Array.from({ length: count }, async (_, i) => {
          await client.complete(ask(`${label} ${i}`));
          limits[label]!.push(client.concurrency.limit);
        }),
      );
    };
    await run('fast1', 60);
    const before = client.concurrency.limit;
    phase = 'slow';
    await run('slow', 30);
    const lowest = Math.min(...limits.slow!);
    phase = 'fast';
    await run('fast2', 80);
    const after = client.concurrency.limit;

    expect(before).toBeGreaterThan(4); // grew from 4 while the server was fast
    expect(lowest).toBeLessThan(before); // cut when latency climbed
    expect(client.concurrency.cuts.latency).toBeGreaterThan(0);
    expect(client.concurrency.cuts.rateLimited).toBe(0);
    expect(after).toBeGreaterThan(lowest); // recovered gradually
    expect(client.status().failed).toBe(0);
  });

  it('halves on 429 once per burst, not once per refused request', () => {
    let t = 0;
    const c = new AdaptiveConcurrency({ initial: 16, min: 1, max: 16 }, () => t);
    t = 10;
    c.onRateLimited(5); // started before any cut
    expect(c.limit).toBe(8);
    c.onRateLimited(6); // same burst: its request started before the cut
    c.onRateLimited(9);
    expect(c.limit).toBe(8);
    t = 20;
    c.onRateLimited(15); // started after the cut: new information
    expect(c.limit).toBe(4);
    expect(c.cuts.rateLimited).toBe(2);
  });

  it('never goes below min nor above max, and hands slots over in order', async () => {
    const c = new AdaptiveConcurrency({ initial: 2, min: 2, max: 3, recoverEvery: 1, warmupSamples: 0 });
    const a = await c.acquire();
    const b = await c.acquire();
    let third = false;
    const pending = c.acquire().then((p) => {
      third = true;
      return p;
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(third).toBe(false);
    c.onRateLimited(Date.now());
    expect(c.limit).toBe(2);
    c.onSuccess(Date.now(), 10, 10); // +1: room for the waiter
    const p = await pending;
    expect(third).toBe(true);
    expect(c.inFlight).toBe(3);
    for (let i = 0; i < 10; i++) c.onSuccess(Date.now(), 10, 10);
    expect(c.limit).toBe(3);
    a.release();
    a.release(); // twice is harmless
    b.release();
    p.release();
    expect(c.inFlight).toBe(0);
  });
});
