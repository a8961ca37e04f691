/**
 * What identifies an LLM answer in the cache: the endpoint, the model, every sampling parameter and
 * the full rendered messages, plus the prompt version. Anything that could change the answer is in
 * the key; nothing that cannot (the purpose, timeouts, rate limits) is, so a resumed run with other
 * throughput settings still finds its answers.
 */
import type { ContentCache } from '../../stages/core/cache/content-cache.ts';
import { z } from 'zod';
import type { ChatRequest, LlmClientOptions } from './types.ts';

export const LLM_CACHE_NAMESPACE = 'llm';

export function llmCacheKey(cache: ContentCache, options: LlmClientOptions, req: ChatRequest): string {
  return cache.key({
    kind: 'openai-chat-completions',
    baseURL: options.baseURL.replace(/\/+$/, ''),
    model: options.model,
    temperature: options.temperature,
    top_p: options.topP ?? null,
    max_tokens: options.maxTokens,
    seed: options.seed ?? null,
    messages: req.messages.map((m) => ({ role: m.role, content: m.content })),
    promptVersion: req.promptVersion,
    // M samples of one prompt are M answers, not one answer served M times.
    sample: req.sampleIndex ?? 0,
  });
}

/** A cached answer, validated when read back (the cache is a file anyone may have touched). */
export const cachedReplySchema = z.object({
  text: z.string(),
  finishReason: z.string().nullable(),
  tokensIn: z.number().nullable(),
  tokensOut: z.number().nullable(),
  latencyMs: z.number(),
  costUsd: z.number().nullable(),
  model: z.string(),
});
export type CachedReply = z.infer<typeof cachedReplySchema>;
