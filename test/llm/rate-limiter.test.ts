import { describe, expect, it } from 'vitest';
import { RateLimiter, estimateRequestTokens } from '../../pipeline/llm/rate-limiter.ts';
import { TokenBucket } from '../../pipeline/llm/token-bucket.ts';

describe('token bucket and rate limiter', () => {
  it('lets a request larger than the bucket through when full, leaving debt to repay', () => {
    let t = 0;
    const b = new TokenBucket(1, 100, () => t); // 1 token/ms, holds 100
    expect(b.waitMs(500)).toBe(0); // larger than capacity: waits only for a full bucket
    b.take(500);
    expect(b.waitMs(50)).toBe(450); // -400 -> 50
    b.adjust(-300); // the request used 300 fewer than estimated
    expect(b.waitMs(50)).toBe(150);
    t = 150;
    expect(b.waitMs(50)).toBe(0);
  });

  it('estimates a request from its prompt and max_tokens', () => {
    expect(estimateRequestTokens([{ role: 'user', content: 'x'.repeat(400) }], 1000)).toBe(100 + 4 + 1000);
  });

  it('holds token-per-minute pace and refunds over-estimates', async () => {
    const limiter = new RateLimiter({ tpm: 60_000 }); // ~1000 tokens/s, bucket of 1000
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) await limiter.acquire(500);
    const paced = Date.now() - t0; // 1500 tokens: 1000 from the bucket, 500 more at ~950/s
    expect(paced).toBeGreaterThanOrEqual(450);

    const refunded = new RateLimiter({ tpm: 60_000 });
    const t1 = Date.now();
    for (let i = 0; i < 3; i++) {
      await refunded.acquire(500);
      refunded.correct(500, 50); // each used only 50
    }
    expect(Date.now() - t1).toBeLessThan(paced);
  });

  it('pauses every request until a retry-after has passed', async () => {
    const limiter = new RateLimiter({});
    limiter.pauseUntil(Date.now() + 200);
    const t0 = Date.now();
    await limiter.acquire(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
  });
});
