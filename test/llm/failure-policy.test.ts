import { describe, expect, it } from 'vitest';
import { backoffMs, parseRetryAfter } from '../../pipeline/llm/failure-policy.ts';

describe('retry-after and backoff', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('reads retry-after-ms, seconds and HTTP dates', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }), now)).toBe(250);
    expect(parseRetryAfter(new Headers({ 'retry-after': '2' }), now)).toBe(2000);
    expect(parseRetryAfter(new Headers({ 'retry-after': '0.5' }), now)).toBe(500);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:03 GMT' }), now)).toBe(3000);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Tue, 31 Dec 2024 23:59:00 GMT' }), now)).toBe(0);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), now)).toBeNull();
    expect(parseRetryAfter(new Headers(), now)).toBeNull();
  });

  it('backs off exponentially with jitter, capped, and prefers the server hint', () => {
    const timing = { baseDelayMs: 100, maxDelayMs: 1000 };
    const f = { reason: 'server_error' as const, retryable: true, retryAfterMs: null, status: 500, message: '' };
    expect(backoffMs(0, f, timing, () => 0)).toBe(50);
    expect(backoffMs(0, f, timing, () => 1)).toBe(100);
    expect(backoffMs(3, f, timing, () => 1)).toBe(800);
    expect(backoffMs(10, f, timing, () => 1)).toBe(1000);
    expect(backoffMs(0, { ...f, retryAfterMs: 700 }, timing)).toBe(700);
    expect(backoffMs(0, { ...f, retryAfterMs: 70_000 }, timing)).toBe(1000);
  });
});
