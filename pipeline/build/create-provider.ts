/** Which provider a run uses: an OpenAI-compatible endpoint when one is configured, else the builtin one. */
import { createBuiltinProvider } from '../../stages/providers/builtin/index.ts';
import { LlmProvider } from '../../stages/providers/llm/index.ts';
import type { Provider } from '../../stages/provider.ts';
import { ContentCache } from '../../stages/core/cache/content-cache.ts';
import type { RunConfig } from '../config/schema.ts';
import { runLayout } from '../../stages/core/run-layout.ts';
import { NoEndpointError } from '../../stages/core/errors/config-error.ts';
import { BudgetTracker } from '../llm/budget.ts';
import { createLlmClient } from '../llm/create-client.ts';
import type { LlmClient } from '../llm/types.ts';

export interface ProviderSetup {
  provider: Provider;
  client: LlmClient | null;
  budget: BudgetTracker | null;
}

export function resolveProviderKind(config: RunConfig): 'openai' | 'builtin' {
  if (config.provider.kind !== 'auto') return config.provider.kind;
  return config.provider.base_url ? 'openai' : 'builtin';
}

/** Fails before any work is done when the LLM provider is asked for but not configured. */
export function createProvider(config: RunConfig, options: { python: string; runDir: string; cache: ContentCache | null }): ProviderSetup {
  const kind = resolveProviderKind(config);
  if (kind === 'builtin') return { provider: createBuiltinProvider({ python: options.python }), client: null, budget: null };

  const p = config.provider;
  if (!p.base_url || !p.model) throw new NoEndpointError();
  const budget = new BudgetTracker({
    path: runLayout(options.runDir).budget,
    maxTokens: config.budget.max_tokens,
    maxUsd: config.budget.max_usd,
  });
  const client = createLlmClient({
    baseURL: p.base_url,
    apiKeyEnv: p.api_key_env,
    model: p.model,
    temperature: p.temperature,
    maxTokens: p.max_tokens,
    ...(p.top_p === undefined ? {} : { topP: p.top_p }),
    ...(p.seed === undefined ? {} : { seed: p.seed }),
    requestTimeoutMs: p.timeout_s * 1000,
    maxRetries: p.max_retries,
    rateLimit: { ...(p.rpm ? { rpm: p.rpm } : {}), ...(p.tpm ? { tpm: p.tpm } : {}) },
    concurrency: p.concurrency,
    cache: options.cache,
    prices: p.prices ? { inputPerMTok: p.prices.input_per_mtok, outputPerMTok: p.prices.output_per_mtok } : null,
    budget,
  });
  const provider = new LlmProvider({ client, model: p.model, temperature: p.temperature, maxTokens: p.max_tokens });
  return { provider, client, budget };
}
