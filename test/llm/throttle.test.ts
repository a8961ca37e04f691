import { describe, expect, it } from 'vitest';
import { runThrottle } from '../../bench/llm-throttle.ts';

describe('rate limits against a throttling server', () => {
  // 20 req/s counted over a 2 s sliding window: a 1 s window makes the test hostage to event-loop
  // stalls on a busy 2-core machine (100 ms of jitter is 10% of the window; see docs/llm.md).
  // Timing on a shared 2-core machine: a run starved of CPU by other suites' C++ builds may miss by
  // a little; a real regression (no pacing, a collapsing limiter) fails all three tries.
  it('drives a 20 req/s sliding-window server at >= 90% of its rate with < 2% refused', { retry: 2 }, async () => {
    const r = await runThrottle({ limit: 40, windowMs: 2000, seconds: 4, latencyMs: 5, concurrency: 4 });
    expect(r.requests).toBeGreaterThanOrEqual(80);
    expect(r.achievedShare).toBeGreaterThanOrEqual(0.9);
    expect(r.achievedShare).toBeLessThanOrEqual(1.0); // never above what the server allows
    expect(r.refusedShare).toBeLessThan(0.02);
    expect(r.finalConcurrencyLimit).toBeGreaterThanOrEqual(2); // one refusal at most halves it once: no collapse
  });
});
