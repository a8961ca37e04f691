/**
 * The LLM request processor: cache, budget, adaptive concurrency, rate limits and retries around
 * one OpenAI-compatible chat-completions endpoint. The openai SDK does the HTTP with its own retries
 * off, so every attempt passes through this policy and is counted.
 *
 * Order for a request: cache (a hit sends nothing) -> identical request already in flight (share
 * it) -> for each attempt: budget check, concurrency permit, rate-limit turn, budget check again,
 * send. Tokens of every paid attempt count, including replies that were then rejected (cut off,
 * too long): they were paid for.
 */
import OpenAI from 'openai';
import { BudgetExceededError, GenerationError } from '../../stages/core/errors/llm-errors.ts';
import { AdaptiveConcurrency } from './adaptive-concurrency.ts';
import { LLM_CACHE_NAMESPACE, cachedReplySchema, llmCacheKey, type CachedReply } from './cache-key.ts';
import { DEFAULT_RETRY_TIMING, backoffMs, classifyFailure, type AttemptFailure } from './failure-policy.ts';
import { RateLimiter, estimateRequestTokens } from './rate-limiter.ts';
import { contentFault, parseReplyUsage } from './reply.ts';
import { StatusTracker } from './status-tracker.ts';
import type { ChatRequest, ChatResult, LlmClient, LlmClientOptions, LlmStatus, RetryTiming } from './types.ts';

export const DEFAULT_MAX_RESPONSE_CHARS = 400_000;

/** A key for servers that take none (the SDK refuses to start without one). */
const NO_KEY = 'no-key';

export class OpenAiLlmClient implements LlmClient {
  private readonly sdk: OpenAI;
  private readonly limiter: RateLimiter;
  readonly concurrency: AdaptiveConcurrency;
  private readonly tracker = new StatusTracker();
  private readonly inflight = new Map<string, Promise<ChatResult>>();
  private readonly timing: RetryTiming;
  private readonly maxChars: number;

  constructor(private readonly options: LlmClientOptions) {
    const apiKey = (options.apiKeyEnv ? process.env[options.apiKeyEnv] : undefined) || NO_KEY;
    this.sdk = new OpenAI({
      baseURL: options.baseURL,
      apiKey,
      maxRetries: 0,
      timeout: options.requestTimeoutMs,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    this.limiter = new RateLimiter(options.rateLimit);
    this.concurrency = new AdaptiveConcurrency({ ...options.adaptive, ...options.concurrency });
    this.timing = { ...DEFAULT_RETRY_TIMING, ...options.retryTiming };
    this.maxChars = options.maxResponseChars ?? DEFAULT_MAX_RESPONSE_CHARS;
  }

  status(): LlmStatus {
    return this.tracker.snapshot({ inFlight: this.concurrency.inFlight, limit: this.concurrency.limit });
  }

  async complete(req: ChatRequest): Promise<ChatResult> {
    const cache = this.options.cache;
    const key = cache ? llmCacheKey(cache, this.options, req) : null;
    if (cache && key) {
      const hit = await cache.getValid(LLM_CACHE_NAMESPACE, key, cachedReplySchema);
      if (hit) {
        this.tracker.cacheHit();
        return { ...hit, fromCache: true };
      }
      // The same request already on the wire: wait for it instead of paying twice.
      const running = this.inflight.get(key);
      if (running) {
        const shared = await running;
        this.tracker.cacheHit();
        return { ...shared, fromCache: true };
      }
    }
    const fetching = this.fetchWithRetries(req, key);
    if (key) {
      this.inflight.set(key, fetching);
      fetching.then(
        () => this.inflight.delete(key),
        () => this.inflight.delete(key),
      );
    }
    return fetching;
  }

  private checkBudget(): void {
    const hit = this.options.budget?.exceeded();
    if (hit) {
      this.tracker.refusedByBudget();
      throw new BudgetExceededError(hit);
    }
  }

  private async fetchWithRetries(req: ChatRequest, key: string | null): Promise<ChatResult> {
    const o = this.options;
    const estimate = estimateRequestTokens(req.messages, o.maxTokens);
    for (let attempt = 0; ; attempt++) {
      this.checkBudget();
      const permit = await this.concurrency.acquire();
      let failure: AttemptFailure;
      try {
        await this.limiter.acquire(estimate);
        this.checkBudget(); // the wait may have been long; others may have spent the rest
        const outcome = await this.attempt(req, estimate, permit.startedAt);
        if ('result' in outcome) {
          if (o.cache && key) await o.cache.put(LLM_CACHE_NAMESPACE, key, toCached(outcome.result));
          this.tracker.success();
          return outcome.result;
        }
        failure = outcome.failure;
      } finally {
        permit.release();
      }
      if (failure.reason === 'rate_limited') {
        this.concurrency.onRateLimited(permit.startedAt);
        if (failure.retryAfterMs !== null) this.limiter.pauseUntil(Date.now() + Math.min(failure.retryAfterMs, this.timing.maxDelayMs));
      } else if (failure.reason === 'timeout') {
        this.concurrency.onTimeout(permit.startedAt);
      }
      if (!failure.retryable || attempt >= o.maxRetries) {
        this.tracker.failure(failure.reason);
        throw new GenerationError(failure.reason, failure.message, attempt + 1, failure.status, { cause: failure.cause });
      }
      this.tracker.retry(failure.reason);
      await sleep(backoffMs(attempt, failure, this.timing));
    }
  }

  /** One HTTP attempt: a usable result, or why not (usage of a paid-but-unusable reply is counted here). */
  private async attempt(req: ChatRequest, estimate: number, startedAt: number): Promise<{ result: ChatResult } | { failure: AttemptFailure }> {
    const o = this.options;
    const body = {
      model: o.model,
      messages: req.messages.map((m) => ({ role: m.role, content: m.content })),
      temperature: o.temperature,
      [o.tokenLimitParam ?? 'max_tokens']: o.maxTokens,
      ...(o.topP !== undefined ? { top_p: o.topP } : {}),
      ...(o.seed !== undefined ? { seed: o.seed } : {}),
    };
    this.tracker.sent();
    const t0 = performance.now();
    let raw: unknown;
    try {
      raw = await this.sdk.chat.completions.create(body, { timeout: o.requestTimeoutMs, maxRetries: 0 });
    } catch (err) {
      this.limiter.correct(estimate, 0); // refused or lost before generation: nothing used
      return { failure: classifyFailure(err, o.apiKeyEnv) };
    }
    const latencyMs = Math.round(performance.now() - t0);
    const { reply, fault: shapeFault } = parseReplyUsage(raw);
    if (!reply) return { failure: classifyFailure(shapeFault, o.apiKeyEnv) };
    const costUsd = this.cost(reply.tokensIn, reply.tokensOut);
    this.tracker.paid(reply.tokensIn, reply.tokensOut, costUsd);
    o.budget?.record({ tokensIn: reply.tokensIn, tokensOut: reply.tokensOut, costUsd, fromCache: false });
    const used = reply.tokensIn !== null || reply.tokensOut !== null ? (reply.tokensIn ?? 0) + (reply.tokensOut ?? 0) : null;
    this.limiter.correct(estimate, used);
    const fault = contentFault(reply, this.maxChars);
    if (fault) return { failure: classifyFailure(fault, o.apiKeyEnv) };
    this.concurrency.onSuccess(startedAt, latencyMs, reply.tokensOut);
    return {
      result: {
        text: reply.text,
        finishReason: reply.finishReason,
        tokensIn: reply.tokensIn,
        tokensOut: reply.tokensOut,
        latencyMs,
        costUsd,
        fromCache: false,
        model: reply.model ?? o.model,
      },
    };
  }

  private cost(tokensIn: number | null, tokensOut: number | null): number | null {
    const p = this.options.prices;
    if (!p || tokensIn === null || tokensOut === null) return null;
    return (tokensIn * p.inputPerMTok + tokensOut * p.outputPerMTok) / 1_000_000;
  }
}

function toCached(r: ChatResult): CachedReply {
  return { text: r.text, finishReason: r.finishReason, tokensIn: r.tokensIn, tokensOut: r.tokensOut, latencyMs: r.latencyMs, costUsd: r.costUsd, model: r.model };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
