/**
 * What a failed attempt means: its reason, whether trying again can help, and how long the server
 * asked us to wait. One place decides, so the status counts and the retry loop agree.
 */
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
} from 'openai';
import type { GenerationFailureReason } from '../../stages/core/errors/llm-errors.ts';
import type { RetryTiming } from './types.ts';

export interface AttemptFailure {
  reason: GenerationFailureReason;
  retryable: boolean;
  /** The server's retry-after (ms), when it sent one. */
  retryAfterMs: number | null;
  status: number | null;
  message: string;
  cause?: unknown;
}

/** A 200 whose content cannot be used (empty, cut off, too long, not a chat completion). */
export class ReplyContentFault extends Error {
  override readonly name = 'ReplyContentFault';
  constructor(
    readonly reason: 'empty' | 'truncated' | 'oversized' | 'malformed',
    message: string,
  ) {
    super(message);
  }
}

export const DEFAULT_RETRY_TIMING: RetryTiming = { baseDelayMs: 1000, maxDelayMs: 60_000 };

const CONNECTION_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'ENOTFOUND', 'EAI_AGAIN']);

export function classifyFailure(err: unknown, apiKeyEnv: string | null): AttemptFailure {
  if (err instanceof ReplyContentFault) {
    return { reason: err.reason, retryable: true, retryAfterMs: null, status: 200, message: err.message };
  }
  if (err instanceof APIConnectionTimeoutError) {
    return { reason: 'timeout', retryable: true, retryAfterMs: null, status: null, message: err.message, cause: err };
  }
  if (err instanceof APIConnectionError) {
    return { reason: 'connection', retryable: true, retryAfterMs: null, status: null, message: describeCause(err), cause: err };
  }
  if (err instanceof APIError && typeof err.status === 'number') {
    const status = err.status;
    const retryAfterMs = parseRetryAfter(err.headers ?? undefined);
    const base = { retryAfterMs, status, cause: err };
    if (status === 401 || status === 403) {
      const hint = apiKeyEnv
        ? process.env[apiKeyEnv]
          ? `the key in ${apiKeyEnv} was refused; check it is valid for this endpoint`
          : `set the environment variable ${apiKeyEnv} to the endpoint's API key`
        : 'this endpoint needs an API key: set provider.api_key_env to the name of the variable that holds it';
      return { ...base, reason: 'auth', retryable: false, message: `HTTP ${status}: ${hint} (${err.message})` };
    }
    if (status === 429) return { ...base, reason: 'rate_limited', retryable: true, message: err.message };
    if (status === 408) return { ...base, reason: 'timeout', retryable: true, message: err.message };
    if (status === 409 || status >= 500) return { ...base, reason: 'server_error', retryable: true, message: err.message };
    return { ...base, reason: 'bad_request', retryable: false, message: err.message };
  }
  // The SDK parses JSON bodies itself: a body that claims JSON but is not arrives as SyntaxError.
  if (err instanceof SyntaxError) {
    return { reason: 'malformed', retryable: true, retryAfterMs: null, status: 200, message: `reply is not JSON: ${err.message}`, cause: err };
  }
  // undici reports a socket closed while the body was being read as TypeError('terminated').
  if (err instanceof TypeError && (err.message === 'terminated' || CONNECTION_CODES.has(codeOf(err.cause)))) {
    return { reason: 'connection', retryable: true, retryAfterMs: null, status: null, message: describeCause(err), cause: err };
  }
  throw err; // a bug, not a server's doing: let it surface
}

function codeOf(x: unknown): string {
  return typeof x === 'object' && x !== null && 'code' in x ? String((x as { code: unknown }).code) : '';
}

function describeCause(err: Error): string {
  const code = codeOf(err.cause) || codeOf((err.cause as { cause?: unknown } | undefined)?.cause);
  return code ? `${err.message} (${code})` : err.message;
}

/** retry-after-ms (OpenAI's), else retry-after as seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(headers: Headers | Record<string, string> | undefined, now = Date.now()): number | null {
  if (!headers) return null;
  const get = (name: string): string | null =>
    headers instanceof Headers ? headers.get(name) : (headers[name] ?? null);
  const ms = get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms);
  const ra = get('retry-after');
  if (ra === null || ra.trim() === '') return null;
  if (/^\s*\d+(\.\d+)?\s*$/.test(ra)) return Number(ra) * 1000;
  const date = Date.parse(ra);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/**
 * Wait before attempt `attempt + 1` (attempt 0 = the first). The server's retry-after wins when
 * given (capped); otherwise exponential backoff with jitter between half and all of the step, capped.
 */
export function backoffMs(attempt: number, failure: AttemptFailure, timing: RetryTiming, random = Math.random): number {
  if (failure.retryAfterMs !== null) return Math.min(failure.retryAfterMs, timing.maxDelayMs);
  const step = Math.min(timing.maxDelayMs, timing.baseDelayMs * 2 ** attempt);
  return step / 2 + random() * (step / 2);
}
