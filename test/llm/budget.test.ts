import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ContentCache } from '../../stages/core/cache/content-cache.ts';
import { BudgetExceededError } from '../../stages/core/errors/llm-errors.ts';
import { BudgetFileError, BudgetTracker } from '../../pipeline/llm/budget.ts';
import { createLlmClient } from '../../pipeline/llm/create-client.ts';
import { startOpenAiServer, type OpenAiServer } from '../support/openai-server.ts';
import { ask, tempDir, testClient, testOptions } from './helpers.ts';

let server: OpenAiServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

const usage = { prompt_tokens: 100, completion_tokens: 50 }; // 150 tokens a request

describe('budget', () => {
  it('stops cleanly at the token limit, and the count survives a new tracker', async () => {
    server = await startOpenAiServer({ respond: () => ({ content: 'ok', usage }) });
    const file = path.join(tempDir('budget'), 'budget.json');
    const budget = new BudgetTracker({ maxTokens: 1000, path: file });
    const client = testClient(server.url, { budget });
    const outcomes: string[] = [];
    for (let i = 0; i < 10; i++) {
      try {
        await client.complete(ask(`q${i}`));
        outcomes.push('ok');
      } catch (err) {
        expect(err).toBeInstanceOf(BudgetExceededError);
        outcomes.push('stop');
      }
    }
    // 7 x 150 = 1050 >= 1000: the 8th is refused before it is sent
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'stop', 'stop', 'stop']);
    expect(server.requests).toHaveLength(7);
    expect(budget.exceeded()).toMatch(/tokens 1050 of max_tokens 1000/);
    expect(client.status().budgetRefused).toBe(3);

    const resumed = new BudgetTracker({ maxTokens: 1000, path: file });
    expect(resumed.snapshot()).toMatchObject({ attempts: 7, tokensIn: 700, tokensOut: 350, costUsd: null });
    expect(resumed.exceeded()).not.toBeNull();
    await expect(testClient(server.url, { budget: resumed }).complete(ask('new'))).rejects.toBeInstanceOf(BudgetExceededError);
    expect(server.requests).toHaveLength(7);
    // a raised limit continues from the saved count
    const raised = new BudgetTracker({ maxTokens: 1200, path: file });
    await testClient(server.url, { budget: raised }).complete(ask('new'));
    expect(raised.snapshot().tokensIn + raised.snapshot().tokensOut).toBe(1200);
    expect(raised.exceeded()).not.toBeNull();
  });

  it('with requests in flight, those finish and only new ones are refused', async () => {
    server = await startOpenAiServer({ respond: () => ({ content: 'ok', usage, delayMs: 30 }) });
    const budget = new BudgetTracker({ maxTokens: 1000 });
    const client = testClient(server.url, { budget, concurrency: { initial: 4, min: 1, max: 4 } });
    const settled = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => client.complete(ask(`p${i}`))));
    const ok = settled.filter((s) => s.status === 'fulfilled').length;
    const refused = settled.filter((s) => s.status === 'rejected' && s.reason instanceof BudgetExceededError).length;
    expect(ok + refused).toBe(20);
    expect(ok).toBeGreaterThanOrEqual(7); // the limit is reached, not undershot
    expect(ok).toBeLessThanOrEqual(7 + 3); // at most the other requests already on the wire go over
    expect(server.requests.filter((r) => r.success)).toHaveLength(ok); // nothing sent was abandoned
  });

  it('does not count cached replies again, in this run or a resumed one', async () => {
    server = await startOpenAiServer({ respond: () => ({ content: 'ok', usage }) });
    const dir = tempDir('budget');
    const file = path.join(dir, 'budget.json');
    const cache = new ContentCache({ dir: path.join(dir, 'cache') });
    const prices = { inputPerMTok: 2, outputPerMTok: 8 };
    const first = new BudgetTracker({ maxUsd: 1, path: file });
    const c1 = testClient(server.url, { budget: first, cache, prices });
    for (let i = 0; i < 5; i++) await c1.complete(ask(`q${i}`));
    for (let i = 0; i < 5; i++) expect((await c1.complete(ask(`q${i}`))).fromCache).toBe(true);
    const spent = first.snapshot();
    expect(spent).toMatchObject({ attempts: 5, tokensIn: 500, tokensOut: 250 });
    expect(spent.costUsd).toBeCloseTo((500 * 2 + 250 * 8) / 1e6, 12);

    const second = new BudgetTracker({ maxUsd: 1, path: file });
    const c2 = testClient(server.url, { budget: second, cache, prices });
    const again = await Promise.all([0, 1, 2, 3, 4].map((i) => c2.complete(ask(`q${i}`))));
    expect(again.every((r) => r.fromCache && r.costUsd !== null && r.costUsd > 0)).toBe(true); // the row keeps its original cost
    expect(second.snapshot()).toEqual(spent);
    expect(server.requests).toHaveLength(5);
  });

  it('stops at the cost limit; cost stays unknown (null), never 0, without prices', async () => {
    server = await startOpenAiServer({ respond: () => ({ content: 'ok', usage }) });
    const budget = new BudgetTracker({ maxUsd: 0.0005 });
    const client = testClient(server.url, { budget, prices: { inputPerMTok: 1, outputPerMTok: 2 } }); // $0.0002 a request
    await client.complete(ask('a'));
    await client.complete(ask('b'));
    await client.complete(ask('c'));
    await expect(client.complete(ask('d'))).rejects.toThrow(/cost \$0\.0006/);

    const unpriced = testClient(server.url, { budget: new BudgetTracker({ maxTokens: 10_000 }) });
    const r = await unpriced.complete(ask('e'));
    expect(r.costUsd).toBeNull();
    expect(unpriced.status().costUsd).toBeNull();
    expect(() => createLlmClient(testOptions(server!.url, { budget: new BudgetTracker({ maxUsd: 1 }) }))).toThrow(/needs provider.prices/);
  });

  it('counts tokens of paid replies that were rejected (cut off) as spent', async () => {
    server = await startOpenAiServer({
      respond: ({ index }) => (index === 0 ? { content: 'partial', finishReason: 'length', usage } : { content: 'ok', usage }),
    });
    const budget = new BudgetTracker({});
    const client = testClient(server.url, { budget });
    await client.complete(ask('q'));
    expect(budget.snapshot()).toMatchObject({ attempts: 2, tokensIn: 200, tokensOut: 100 });
    expect(client.status()).toMatchObject({ tokensIn: 200, tokensOut: 100, retriedByReason: { truncated: 1 } });
  });

  it('refuses a damaged budget file instead of starting from zero', () => {
    const file = path.join(tempDir('budget'), 'budget.json');
    fs.writeFileSync(file, '{"v":1,"tokensIn":');
    expect(() => new BudgetTracker({ path: file })).toThrow(BudgetFileError);
    fs.writeFileSync(file, JSON.stringify({ v: 1, tokensIn: -5 }));
    expect(() => new BudgetTracker({ path: file })).toThrow(/malformed/);
  });
});
