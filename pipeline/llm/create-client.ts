/** The one way stages get an LLM client: options checked here, so a bad setup fails before any request. */
import { ConfigError } from '../../stages/core/errors/config-error.ts';
import { OpenAiLlmClient } from './openai-client.ts';
import type { LlmClient, LlmClientOptions } from './types.ts';

export function createLlmClient(options: LlmClientOptions): LlmClient {
  const issues: string[] = [];
  try {
    new URL(options.baseURL);
  } catch {
    issues.push(`baseURL ${JSON.stringify(options.baseURL)} is not a URL`);
  }
  if (!options.model) issues.push('model is empty');
  if (!(options.maxTokens > 0)) issues.push('maxTokens must be positive');
  if (!(options.requestTimeoutMs > 0)) issues.push('requestTimeoutMs must be positive');
  if (!(options.maxRetries >= 0)) issues.push('maxRetries must be 0 or more');
  const c = options.concurrency;
  if (!(c.min >= 1 && c.max >= c.min)) issues.push(`concurrency needs 1 <= min <= max (got min ${c.min}, max ${c.max})`);
  if (options.budget?.maxUsd !== undefined && !options.prices) {
    issues.push('budget.max_usd needs provider.prices (input_per_mtok, output_per_mtok): without a price the cost is unknown and the limit could never trigger');
  }
  if (issues.length) throw new ConfigError('LLM client options are invalid', issues);
  return new OpenAiLlmClient(options);
}
