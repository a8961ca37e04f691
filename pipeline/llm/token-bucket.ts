/**
 * A token bucket that may go into debt: a request waits until the bucket holds what it needs (or,
 * for a request larger than the bucket, until the bucket is full), takes it, and may leave the level
 * negative; `adjust` later charges or refunds the difference between the estimate and the real use.
 * Without debt, a single request larger than one refill (a long prompt under a tight TPM) would
 * wait forever.
 */
export class TokenBucket {
  private level: number;
  private last: number;

  constructor(
    /** Tokens added per millisecond. */
    readonly ratePerMs: number,
    /** Most tokens the bucket holds (the burst it allows). */
    readonly capacity: number,
    private readonly now: () => number = Date.now,
    /** Starting level; default full. */
    initial: number = capacity,
  ) {
    if (!(ratePerMs > 0) || !(capacity > 0)) throw new RangeError('TokenBucket: rate and capacity must be positive');
    this.level = Math.min(capacity, initial);
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.level = Math.min(this.capacity, this.level + (t - this.last) * this.ratePerMs);
    this.last = t;
  }

  /** Milliseconds until `amount` may be taken (0: now). */
  waitMs(amount: number): number {
    this.refill();
    const need = Math.min(amount, this.capacity);
    if (this.level >= need) return 0;
    return Math.ceil((need - this.level) / this.ratePerMs);
  }

  take(amount: number): void {
    this.refill();
    this.level -= amount;
  }

  /** Charge (positive) or refund (negative) tokens after the fact. */
  adjust(delta: number): void {
    this.refill();
    this.level = Math.min(this.capacity, this.level - delta);
  }
}
