/** The LLM request processor's public types: what stages send and what they get back. */
import type { GenerationFailureReason } from '../../stages/core/errors/llm-errors.ts';
import type { ContentCache } from '../../stages/core/cache/content-cache.ts';
import type { BudgetTracker } from './budget.ts';
import type { AdaptiveOptions } from './adaptive-concurrency.ts';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  messages: ChatMessage[];
  /** Part of the cache key: a new prompt version never reuses an old answer. */
  promptVersion: string;
  purpose: 'ideas' | 'implement';
  /**
   * Which independent sample of the same prompt this is (the implementation index). Part of the cache
   * key: M implementations of one idea share their messages but must be M answers.
   */
  sampleIndex?: number;
  // sampling comes from the client's options
}

export interface ChatResult {
  text: string;
  finishReason: string | null;
  tokensIn: number | null;
  tokensOut: number | null;
  /** Latency of the request that produced the text (the original one for a cache hit). */
  latencyMs: number;
  /**
   * Cost of producing this text (the original cost for a cache hit: it says what the row cost,
   * but was paid once — `fromCache` tells budgets and totals not to count it again). Null: price unknown.
   */
  costUsd: number | null;
  fromCache: boolean;
  /** The model named by the server's reply (falls back to the configured model). */
  model: string;
}

export interface LlmStatus {
  /** HTTP attempts sent (retries included). */
  requestsSent: number;
  /** complete() calls that returned a fresh reply (not cached). */
  succeeded: number;
  /** complete() calls that threw a GenerationError. */
  failed: number;
  /** Attempts that failed and were tried again. */
  retried: number;
  /** complete() calls answered from the cache. */
  cached: number;
  failedByReason: Partial<Record<GenerationFailureReason, number>>;
  retriedByReason: Partial<Record<GenerationFailureReason, number>>;
  /** complete() calls refused by the budget. */
  budgetRefused: number;
  /** Tokens of every paid attempt (truncated and oversized replies were paid for too); cache hits excluded. */
  tokensIn: number;
  tokensOut: number;
  /** Null while any paid attempt had no known price. */
  costUsd: number | null;
  /** Requests on the wire now, and the adaptive limit on them. */
  inFlight: number;
  concurrencyLimit: number;
  /** Attempts sent in the last 60 s. */
  rpm: number;
}

export interface LlmClient {
  complete(req: ChatRequest): Promise<ChatResult>;
  status(): LlmStatus;
}

export interface LlmPrices {
  inputPerMTok: number;
  outputPerMTok: number;
}

export interface RetryTiming {
  /** First backoff; doubles each attempt. Default 1000 ms. */
  baseDelayMs: number;
  /** Cap on one backoff (and on an honoured retry-after). Default 60 000 ms. */
  maxDelayMs: number;
}

export interface LlmClientOptions {
  baseURL: string;
  /** Name of the environment variable holding the key; the key may be absent for local servers. */
  apiKeyEnv: string | null;
  model: string;
  temperature: number;
  maxTokens: number;
  topP?: number;
  seed?: number;
  requestTimeoutMs: number;
  /** Retries after the first attempt (so maxRetries + 1 attempts at most). */
  maxRetries: number;
  rateLimit: { rpm?: number; tpm?: number };
  concurrency: { initial: number; min: number; max: number };
  cache: ContentCache | null;
  prices?: LlmPrices | null;
  budget?: BudgetTracker | null;
  fetch?: typeof fetch;
  /**
   * Name of the output-length field sent: 'max_tokens' (default; vLLM, SGLang, most servers) or
   * 'max_completion_tokens' (OpenAI's reasoning models refuse max_tokens). Not part of the cache key.
   */
  tokenLimitParam?: 'max_tokens' | 'max_completion_tokens';
  /** Replies longer than this many characters are 'oversized'; default 400 000. */
  maxResponseChars?: number;
  retryTiming?: Partial<RetryTiming>;
  /** Adaptive-concurrency tuning (defaults in adaptive-concurrency.ts). */
  adaptive?: Partial<AdaptiveOptions>;
}
