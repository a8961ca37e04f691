import { describe, expect, it } from 'vitest';
import { runThrottle } from '../../bench/llm-throttle.ts';

describe('rate limits against a throttling server', () => {
  it('drives a 20 req/s sliding-window server at >= 90% of its rate with < 2% refused', async () => {
    const r = await runThrottle({ limit: 20, windowMs: 1000, seconds: 3, latencyMs: 5, concurrency: 4 });
    expect(r.requests).toBeGreaterThanOrEqual(60);
    expect(r.achievedShare).toBeGreaterThanOrEqual(0.9);
    expect(r.achievedShare).toBeLessThanOrEqual(1.0); // never above what the server allows
    expect(r.refusedShare).toBeLessThan(0.02);
    expect(r.finalConcurrencyLimit).toBeGreaterThanOrEqual(2); // one refusal at most halves it once: no collapse
  });
});
