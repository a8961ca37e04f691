/**
 * Requests-per-minute and tokens-per-minute limits, enforced at the moment a request is put on the
 * wire. Requests are paced rather than burst: the RPM bucket holds little more than one request, so sends are
 * spread evenly (a burst of a minute's allowance at start-up is what gets refused by servers that
 * count in sliding windows). Waiters are served first come, first served.
 */
import { TokenBucket } from './token-bucket.ts';
import type { ChatMessage } from './types.ts';

/**
 * Pace at this share of the configured rate. A sliding-window server counts arrival times that
 * jitter by a few milliseconds; pacing at exactly the limit has requests at the window's edge
 * refused (first requests of a run arrive up to ~30 ms late while connections open). 5% below keeps
 * refusals rare and costs 5% throughput.
 */
export const RATE_HEADROOM = 0.95;

/**
 * The RPM bucket holds one and a half requests: a timer that fires late would otherwise lose the
 * lateness for good (a bucket of exactly one cannot bank it), about 5% of the rate at 20 req/s.
 * Half a request of slack never lets two requests out back to back, and with the headroom above
 * no window ever sees more than the limit. It starts holding one: the first request of a run
 * reaches the server late (connection set-up), and banked slack at start-up would let the second
 * arrive right behind it.
 */
export const REQUEST_BURST = 1.5;

export interface RateLimits {
  rpm?: number;
  tpm?: number;
}

/** Tokens a request may use, known before sending: its prompt (about 4 characters a token) and max_tokens. */
export function estimateRequestTokens(messages: ChatMessage[], maxTokens: number): number {
  let chars = 0;
  for (const m of messages) chars += m.content.length;
  return Math.ceil(chars / 4) + 4 * messages.length + maxTokens;
}

export class RateLimiter {
  private readonly requests: TokenBucket | null;
  private readonly tokens: TokenBucket | null;
  private queue: Promise<void> = Promise.resolve();
  private pausedUntil = 0;

  constructor(
    limits: RateLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.requests = limits.rpm ? new TokenBucket((limits.rpm * RATE_HEADROOM) / 60_000, REQUEST_BURST, now, 1) : null;
    // One second's worth of tokens: enough for a steady flow, small enough not to burst a minute's worth.
    this.tokens = limits.tpm ? new TokenBucket((limits.tpm * RATE_HEADROOM) / 60_000, Math.max(1, limits.tpm / 60), now) : null;
  }

  /** Wait for the turn of a request estimated at `estimatedTokens`, then take its share. */
  acquire(estimatedTokens: number): Promise<void> {
    const turn = this.queue.then(() => this.waitAndTake(estimatedTokens));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** After the reply: charge or refund the difference between the estimate and the real use. */
  correct(estimatedTokens: number, actualTokens: number | null): void {
    if (this.tokens && actualTokens !== null) this.tokens.adjust(actualTokens - estimatedTokens);
  }

  /** A server said to wait (retry-after): no request of this client goes out before then. */
  pauseUntil(untilMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, untilMs);
  }

  private async waitAndTake(estimatedTokens: number): Promise<void> {
    for (;;) {
      const wait = Math.max(
        this.pausedUntil - this.now(),
        this.requests?.waitMs(1) ?? 0,
        this.tokens?.waitMs(estimatedTokens) ?? 0,
      );
      if (wait <= 0) break;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    this.requests?.take(1);
    this.tokens?.take(estimatedTokens);
  }
}
