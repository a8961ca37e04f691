import { afterEach, describe, expect, it } from 'vitest';
import { ContentCache } from '../../stages/core/cache/content-cache.ts';
import { llmCacheKey } from '../../pipeline/llm/cache-key.ts';
import { startOpenAiServer, type OpenAiServer } from '../support/openai-server.ts';
import { ask, tempDir, testClient, testOptions } from './helpers.ts';

let server: OpenAiServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('LLM cache', () => {
  it('a hit sends no request and returns the original counts, marked fromCache', async () => {
    server = await startOpenAiServer({ respond: () => ({ content: 'kernel A', usage: { prompt_tokens: 40, completion_tokens: 9 } }) });
    const cache = new ContentCache({ dir: tempDir('llmcache') });
    const prices = { inputPerMTok: 1, outputPerMTok: 4 };
    const first = await testClient(server.url, { cache, prices }).complete(ask('write a matmul'));
    expect(first).toMatchObject({ text: 'kernel A', tokensIn: 40, tokensOut: 9, fromCache: false, finishReason: 'stop', model: 'test-model' });
    expect(first.costUsd).toBeCloseTo((40 * 1 + 9 * 4) / 1e6, 12);

    // A new client (a resumed run) with the same settings: answered from disk.
    const client = testClient(server.url, { cache, prices });
    const again = await client.complete(ask('write a matmul'));
    expect(server.requests).toHaveLength(1);
    expect(again).toEqual({ ...first, fromCache: true });
    expect(client.status()).toMatchObject({ cached: 1, requestsSent: 0, succeeded: 0, tokensIn: 0, tokensOut: 0 });
  });

  it('identical requests in flight at once are sent once', async () => {
    server = await startOpenAiServer({ latencyMs: 50 });
    const client = testClient(server.url, { cache: new ContentCache({ dir: tempDir('llmcache') }) });
    const results = await Promise.all([1, 2, 3].map(() => client.complete(ask('same'))));
    expect(server.requests).toHaveLength(1);
    expect(results.filter((r) => r.fromCache)).toHaveLength(2);
  });

  it('each sampling parameter, the messages, the model, the endpoint and the prompt version change the key', async () => {
    const cache = new ContentCache({ dir: tempDir('llmcache') });
    const base = testOptions('http://127.0.0.1:1/v1', { cache, topP: 0.9, seed: 1 });
    const k = (o: Partial<typeof base> = {}, req = ask('q')) => llmCacheKey(cache, { ...base, ...o }, req);
    const keys = [
      k(),
      k({ temperature: 0.2 }),
      k({ topP: 0.5 }),
      k({ topP: undefined }),
      k({ maxTokens: 999 }),
      k({ seed: 2 }),
      k({ seed: undefined }),
      k({ model: 'other' }),
      k({ baseURL: 'http://127.0.0.1:2/v1' }),
      k({}, ask('q', 'v2')),
      k({}, ask('q2')),
      k({}, { ...ask('q'), messages: [{ role: 'user', content: 'q' }] }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
    // what cannot change the answer does not change the key
    expect(k({ requestTimeoutMs: 1, maxRetries: 0, rateLimit: { rpm: 5 } })).toBe(k());
    expect(k({}, { ...ask('q'), purpose: 'ideas' })).toBe(k());
    expect(k({ baseURL: 'http://127.0.0.1:1/v1/' })).toBe(k());
  });

  it('a changed parameter or prompt version is a miss against a real server', async () => {
    server = await startOpenAiServer();
    const cache = new ContentCache({ dir: tempDir('llmcache') });
    await testClient(server.url, { cache }).complete(ask('q'));
    await testClient(server.url, { cache, temperature: 0.1 }).complete(ask('q'));
    await testClient(server.url, { cache }).complete(ask('q', 'v2'));
    await testClient(server.url, { cache }).complete(ask('q'));
    expect(server.requests).toHaveLength(3);
    expect(server.requests.map((r) => r.body.temperature)).toEqual([0.7, 0.1, 0.7]);
  });

  it('sends the sampling parameters, with the output limit under the field asked for', async () => {
    server = await startOpenAiServer();
    await testClient(server.url, { topP: 0.9, seed: 3 }).complete(ask('a'));
    await testClient(server.url, { tokenLimitParam: 'max_completion_tokens' }).complete(ask('b'));
    expect(server.requests[0]?.body).toMatchObject({ model: 'test-model', temperature: 0.7, top_p: 0.9, seed: 3, max_tokens: 256 });
    expect(server.requests[1]?.body.max_completion_tokens).toBe(256);
    expect(server.requests[1]?.body).not.toHaveProperty('max_tokens');
    expect(server.requests[1]?.body).not.toHaveProperty('top_p');
  });

  it('failed replies are not cached', async () => {
    server = await startOpenAiServer({ respond: ({ index }) => (index === 0 ? { fault: 'truncated' } : { content: 'ok' }) });
    const cache = new ContentCache({ dir: tempDir('llmcache') });
    await expect(testClient(server.url, { cache, maxRetries: 0 }).complete(ask('q'))).rejects.toMatchObject({ name: 'GenerationError', reason: 'truncated' });
    const ok = await testClient(server.url, { cache }).complete(ask('q'));
    expect(ok).toMatchObject({ text: 'ok', fromCache: false });
  });
});
