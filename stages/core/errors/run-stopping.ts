/**
 * Errors that mean "stop starting work, cleanly", not "this candidate failed": a budget reached, an
 * interrupt. Stages let them through instead of recording a failure, so nothing is written for the
 * unfinished work and a resume redoes exactly it.
 */
import { BudgetExceededError } from './llm-errors.ts';

export class RunStoppedError extends Error {
  override readonly name = 'RunStoppedError';
}

export function isRunStopping(error: unknown): error is Error {
  return error instanceof RunStoppedError || error instanceof BudgetExceededError;
}
