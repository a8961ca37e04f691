/**
 * How many requests may be on the wire at once, adjusted as the server behaves (AIMD):
 * - a 429 halves the limit (a provider telling us to slow down);
 * - latency well above its running baseline, or a timeout, cuts it by a quarter (a self-hosted
 *   server slows down instead of refusing: queueing shows as latency);
 * - every `recoverEvery` successes (default: the current limit, i.e. about one per round trip of
 *   the whole window) add one, while latency is normal.
 * A signal from a request that started before the last cut is ignored: it describes the load before
 * the cut, and acting on it again would collapse the limit on one burst of bad news.
 *
 * Latency is compared per output token (plus a fixed allowance for time to first token), because
 * a long answer is not a slow server; a floor of 50 ms keeps millisecond jitter from counting.
 */
export interface AdaptiveOptions {
  initial: number;
  min: number;
  max: number;
  /** Successes per +1; 0 = the current limit. */
  recoverEvery: number;
  /** Back off when recent latency exceeds the baseline by this factor. */
  latencyFactor: number;
  /** Grow only while recent latency is within this factor of the baseline. */
  steadyFactor: number;
  /** Weight of a new sample in the baseline when it is above it (slow), and in the recent average (fast; also the baseline's when below). */
  baselineAlpha: number;
  recentAlpha: number;
  /** Samples before latency is judged at all. */
  warmupSamples: number;
  /** Tokens' worth of fixed overhead in the per-token latency. */
  overheadTokens: number;
  /**
   * Added to every latency before comparing: a jump from 5 ms to 15 ms (a busy event loop, a
   * scheduler hiccup) is noise, not an overloaded server, and must not cut the limit.
   */
  latencyFloorMs: number;
}

export const DEFAULT_ADAPTIVE: Omit<AdaptiveOptions, 'initial' | 'min' | 'max'> = {
  recoverEvery: 0,
  latencyFactor: 2,
  steadyFactor: 1.3,
  baselineAlpha: 0.02,
  recentAlpha: 0.3,
  warmupSamples: 8,
  overheadTokens: 32,
  latencyFloorMs: 50,
};

export interface Permit {
  startedAt: number;
  release(): void;
}

export class AdaptiveConcurrency {
  private readonly opts: AdaptiveOptions;
  private current: number;
  private active = 0;
  private readonly waiters: (() => void)[] = [];
  private lastCutAt = -Infinity;
  private successesSinceChange = 0;
  private baseline: number | null = null;
  private recent: number | null = null;
  private samples = 0;
  /** Cuts made, by cause (for the status display and tests). */
  readonly cuts = { rateLimited: 0, latency: 0, timeout: 0 };

  constructor(
    options: Pick<AdaptiveOptions, 'initial' | 'min' | 'max'> & Partial<AdaptiveOptions>,
    private readonly now: () => number = Date.now,
  ) {
    this.opts = { ...DEFAULT_ADAPTIVE, ...options };
    if (this.opts.min < 1 || this.opts.max < this.opts.min) throw new RangeError('concurrency: need 1 <= min <= max');
    this.current = Math.min(this.opts.max, Math.max(this.opts.min, this.opts.initial));
  }

  get limit(): number {
    return this.current;
  }
  get inFlight(): number {
    return this.active;
  }

  /** A permit to send one request; release it when the reply (or the failure) is in. */
  acquire(): Promise<Permit> {
    if (this.active < this.current && this.waiters.length === 0) {
      this.active++;
      return Promise.resolve(this.permit());
    }
    return new Promise((resolve) => this.waiters.push(() => resolve(this.permit())));
  }

  private permit(): Permit {
    let released = false;
    return {
      startedAt: this.now(),
      release: () => {
        if (released) return;
        released = true;
        this.active--;
        this.wake();
      },
    };
  }

  onSuccess(startedAt: number, latencyMs: number, tokensOut: number | null): void {
    const perToken = (latencyMs + this.opts.latencyFloorMs) / (Math.max(0, tokensOut ?? 0) + this.opts.overheadTokens);
    this.samples++;
    this.recent = this.recent === null ? perToken : this.recent + this.opts.recentAlpha * (perToken - this.recent);
    // The baseline follows improvements quickly and degradations slowly: it estimates the unloaded
    // latency, so cold-start samples are soon forgotten and a slowdown stands out for a while.
    const alpha = this.baseline !== null && perToken > this.baseline ? this.opts.baselineAlpha : this.opts.recentAlpha;
    this.baseline = this.baseline === null ? perToken : this.baseline + alpha * (perToken - this.baseline);
    if (this.samples < this.opts.warmupSamples) return;
    if (this.recent > this.opts.latencyFactor * this.baseline) {
      this.cut(startedAt, 0.75, 'latency');
      return;
    }
    // Grow only while latency is close to the baseline: a server already slowing is no reason to push.
    if (this.recent > this.opts.steadyFactor * this.baseline) return;
    this.successesSinceChange++;
    const every = this.opts.recoverEvery > 0 ? this.opts.recoverEvery : this.current;
    if (this.successesSinceChange >= every && this.current < this.opts.max) {
      this.current++;
      this.successesSinceChange = 0;
      this.wake();
    }
  }

  onRateLimited(startedAt: number): void {
    this.cut(startedAt, 0.5, 'rateLimited');
  }

  onTimeout(startedAt: number): void {
    this.cut(startedAt, 0.75, 'timeout');
  }

  private cut(startedAt: number, factor: number, cause: keyof AdaptiveConcurrency['cuts']): void {
    if (startedAt < this.lastCutAt) return;
    this.lastCutAt = this.now();
    this.successesSinceChange = 0;
    const next = Math.max(this.opts.min, Math.floor(this.current * factor));
    if (next < this.current) {
      this.current = next;
      this.cuts[cause]++;
    }
  }

  /** Hand free slots to waiters in arrival order (the slot is taken on their behalf). */
  private wake(): void {
    while (this.waiters.length && this.active < this.current) {
      this.active++;
      this.waiters.shift()!();
    }
  }
}
