/** Counts of what the LLM client did, readable at any time by the progress display. */
import type { GenerationFailureReason } from '../../stages/core/errors/llm-errors.ts';
import type { LlmStatus } from './types.ts';

export class StatusTracker {
  private requestsSent = 0;
  private succeeded = 0;
  private failed = 0;
  private retried = 0;
  private cached = 0;
  private budgetRefused = 0;
  private tokensIn = 0;
  private tokensOut = 0;
  private pricedUsd = 0;
  private unpricedAttempts = 0;
  private readonly failedByReason: Partial<Record<GenerationFailureReason, number>> = {};
  private readonly retriedByReason: Partial<Record<GenerationFailureReason, number>> = {};
  private readonly sentAt: number[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  sent(): void {
    this.requestsSent++;
    this.sentAt.push(this.now());
    this.prune();
  }
  paid(tokensIn: number | null, tokensOut: number | null, costUsd: number | null): void {
    this.tokensIn += tokensIn ?? 0;
    this.tokensOut += tokensOut ?? 0;
    if (costUsd === null) this.unpricedAttempts++;
    else this.pricedUsd += costUsd;
  }
  success(): void {
    this.succeeded++;
  }
  cacheHit(): void {
    this.cached++;
  }
  retry(reason: GenerationFailureReason): void {
    this.retried++;
    this.retriedByReason[reason] = (this.retriedByReason[reason] ?? 0) + 1;
  }
  failure(reason: GenerationFailureReason): void {
    this.failed++;
    this.failedByReason[reason] = (this.failedByReason[reason] ?? 0) + 1;
  }
  refusedByBudget(): void {
    this.budgetRefused++;
  }

  snapshot(concurrency: { inFlight: number; limit: number }): LlmStatus {
    this.prune();
    return {
      requestsSent: this.requestsSent,
      succeeded: this.succeeded,
      failed: this.failed,
      retried: this.retried,
      cached: this.cached,
      failedByReason: { ...this.failedByReason },
      retriedByReason: { ...this.retriedByReason },
      budgetRefused: this.budgetRefused,
      tokensIn: this.tokensIn,
      tokensOut: this.tokensOut,
      costUsd: this.unpricedAttempts > 0 ? null : this.pricedUsd,
      inFlight: concurrency.inFlight,
      concurrencyLimit: concurrency.limit,
      rpm: this.sentAt.length,
    };
  }

  private prune(): void {
    const cutoff = this.now() - 60_000;
    while (this.sentAt.length && this.sentAt[0]! <= cutoff) this.sentAt.shift();
  }
}
