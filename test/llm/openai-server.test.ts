import { afterEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { faultInjector, startOpenAiServer, type OpenAiServer } from '../support/openai-server.ts';

let server: OpenAiServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

const body = (content: string) => ({ model: 'm', messages: [{ role: 'user', content }] });

describe('scripted OpenAI-compatible server', () => {
  it('answers through the openai SDK and records the request', async () => {
    server = await startOpenAiServer({ respond: () => ({ content: 'hi', usage: { prompt_tokens: 7, completion_tokens: 2 } }) });
    const sdk = new OpenAI({ baseURL: server.url, apiKey: 'k', maxRetries: 0 });
    const reply = await sdk.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
    expect(reply.choices[0]?.message.content).toBe('hi');
    expect(reply.usage?.prompt_tokens).toBe(7);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.success).toBe(true);
    expect(server.requests[0]?.body.messages?.[0]?.content).toBe('x');
  });

  it('throttles above the allowed rate with retry-after', async () => {
    server = await startOpenAiServer({ throttle: { limit: 2, windowMs: 1000 } });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${server.url}/chat/completions`, { method: 'POST', body: JSON.stringify(body(`q${i}`)) });
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      await res.text();
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(server.requests.map((r) => r.outcome)).toEqual(['success', 'success', 'throttled']);
  });

  it('produces each fault kind', async () => {
    const script = [
      { fault: 'status', status: 503, retryAfter: 2 },
      { fault: 'empty' },
      { fault: 'truncated' },
      { fault: 'garbage' },
      { fault: 'oversized' },
      { fault: 'reset' },
    ] as const;
    server = await startOpenAiServer({ respond: ({ index }) => script[index]!, oversizedChars: 5000 });
    const post = () => fetch(`${server!.url}/chat/completions`, { method: 'POST', body: JSON.stringify(body('q')) });
    const r0 = await post();
    expect(r0.status).toBe(503);
    expect(r0.headers.get('retry-after')).toBe('2');
    const r1 = (await (await post()).json()) as { choices: { message: { content: string } }[] };
    expect(r1.choices[0]?.message.content).toBe('');
    const r2 = (await (await post()).json()) as { choices: { finish_reason: string }[] };
    expect(r2.choices[0]?.finish_reason).toBe('length');
    await expect((await post()).json()).rejects.toThrow();
    const r4 = (await (await post()).json()) as { choices: { message: { content: string } }[] };
    expect(r4.choices[0]?.message.content.length).toBe(5000);
    await expect(post()).rejects.toThrow();
    expect(server.requests.map((r) => r.outcome)).toEqual(['status', 'empty', 'truncated', 'garbage', 'oversized', 'reset']);
    expect(server.requests.every((r) => !r.success)).toBe(true);
  });

  it('fault injector is deterministic for a seed and fails about the asked share', () => {
    const pick = (seed: number) => {
      const f = faultInjector({ rate: 0.2, seed });
      return Array.from({ length: 500 }, (_, index) => 'fault' in (f({ body: {}, index }) as object));
    };
    expect(pick(1)).toEqual(pick(1));
    const share = pick(1).filter(Boolean).length / 500;
    expect(share).toBeGreaterThan(0.14);
    expect(share).toBeLessThan(0.26);
  });
});
