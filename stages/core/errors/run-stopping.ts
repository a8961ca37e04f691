/**
 * Errors that mean "stop starting work, cleanly", not "this candidate failed": a budget reached, an
 * interrupt. Stages let them through instead of recording a failure, so nothing is written for the
 * unfinished work and a resume redoes exactly it.
 */
export class RunStoppedError extends Error {
  override readonly name = 'RunStoppedError';
}

const STOPPING_ERROR_NAMES = new Set(['RunStoppedError', 'BudgetExceededError']);

export function isRunStopping(error: unknown): error is Error {
  return error instanceof Error && STOPPING_ERROR_NAMES.has(error.name);
}
