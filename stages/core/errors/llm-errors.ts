/**
 * Errors of the LLM request processor. A GenerationError is what a caller records against the row
 * (stage 'generate', with its reason) before the run goes on; a BudgetExceededError stops the run.
 */

export const GENERATION_FAILURE_REASONS = [
  'rate_limited',
  'server_error',
  'timeout',
  'connection',
  'empty',
  'truncated',
  'oversized',
  'malformed', // a 200 whose body is not a chat completion (HTML from a proxy, broken JSON)
  'bad_request',
  'auth',
] as const;
export type GenerationFailureReason = (typeof GENERATION_FAILURE_REASONS)[number];

/** A request that did not produce a usable reply after the retries the policy allows. */
export class GenerationError extends Error {
  override readonly name = 'GenerationError';
  constructor(
    readonly reason: GenerationFailureReason,
    message: string,
    /** HTTP attempts made for this request (1 = not retried). */
    readonly attempts: number,
    /** HTTP status of the last attempt, when there was one. */
    readonly status: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(`${reason}: ${message}${attempts > 1 ? ` (after ${attempts} attempts)` : ''}`, options);
  }
}

/** A token or cost limit of the run was reached; no new request is sent (those in flight finish). */
export class BudgetExceededError extends Error {
  override readonly name = 'BudgetExceededError';
  constructor(readonly limit: string) {
    super(`LLM budget exhausted: ${limit}. Raise budget.max_tokens / budget.max_usd to continue (the count is kept across resume).`);
  }
}
