export * from './types.ts';
export { createLlmClient } from './create-client.ts';
export { BudgetTracker, type BudgetOptions, type BudgetSnapshot, BudgetFileError } from './budget.ts';
export { estimateRequestTokens } from './rate-limiter.ts';
export { GenerationError, BudgetExceededError, GENERATION_FAILURE_REASONS, type GenerationFailureReason } from '../../stages/core/errors/llm-errors.ts';
