/** The LLM request processor's options; the client interface stages call is stages/core/llm-client.ts (re-exported here). */
import type { ContentCache } from '../../stages/core/cache/content-cache.ts';
import type { BudgetTracker } from './budget.ts';
import type { AdaptiveOptions } from './adaptive-concurrency.ts';

export type { ChatMessage, ChatRequest, ChatResult, LlmClient, LlmStatus } from '../../stages/core/llm-client.ts';

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
