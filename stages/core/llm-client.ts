/**
 * What a stage sends to an LLM and gets back: the client interface the LLM provider (stages/) calls and
 * the request processor (pipeline/llm) implements. It sits on the floor so the provider needs nothing
 * from pipeline/.
 */
import type { GenerationFailureReason } from './errors/llm-errors.ts';

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
