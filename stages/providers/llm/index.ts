/**
 * The LLM provider: renders the versioned prompts, asks any OpenAI-compatible endpoint through the
 * request processor (pipeline/llm: cache, rate limits, retries, budget), and extracts ideas or the
 * ModelNew module from the reply, keeping prompt, raw reply, tokens and latency for the record.
 */
import { crashPoint } from '../../core/crash-point.ts';
import type { ChatMessage, ChatResult, LlmClient } from '../../core/llm-client.ts';
import type { Generation, IdeaRequest, IdeaResponse, Implementation, ImplementRequest, Provider } from '../../provider.ts';
import { extractIdeas, extractKernelSource } from './extract.ts';
import type { Backend } from '../../verify/protocol.ts';
import { PROMPT_VERSION, promptVersionFor, renderIdeasPrompt, renderImplementPrompt, systemPrompt } from './prompts.ts';

export interface LlmProviderOptions {
  client: LlmClient;
  model: string;
  temperature: number;
  maxTokens: number;
}

export class LlmProvider implements Provider {
  readonly name = 'openai';
  readonly promptVersion = PROMPT_VERSION;
  readonly model: string;

  constructor(private readonly options: LlmProviderOptions) {
    this.model = options.model;
  }

  /** The Triton variant of the prompts is its own version in the records and the LLM cache. */
  promptVersionFor(backend: Backend): string {
    return promptVersionFor(backend);
  }

  async proposeIdeas(request: IdeaRequest): Promise<IdeaResponse> {
    const messages = this.messages(
      renderIdeasPrompt({ problemCode: request.problem.code, backend: request.backend, precision: request.precision, count: request.count, history: request.history }),
    );
    const result = await this.options.client.complete({ messages, promptVersion: promptVersionFor(request.backend), purpose: 'ideas', sampleIndex: 0 });
    crashPoint('llm:ideas-replied');
    const parsed = extractIdeas(result.text);
    const ideas = parsed.map((idea) => ({ id: '', round: request.round, text: idea.text, category: idea.category }));
    const failure = ideas.length ? null : `the reply held no ideas (finish reason ${result.finishReason ?? 'unknown'})`;
    return { ideas, generation: this.generation(messages, result), failure };
  }

  async implement(request: ImplementRequest): Promise<Implementation> {
    const messages = this.messages(
      renderImplementPrompt({ problemCode: request.problem.code, backend: request.backend, precision: request.precision, idea: request.idea.text, seeds: request.seeds }),
    );
    // The implementation index is part of the request so that M samples of one prompt are M cache
    // entries, not one answer served M times.
    const result = await this.options.client.complete({ messages, promptVersion: promptVersionFor(request.backend), purpose: 'implement', sampleIndex: request.implIndex });
    crashPoint('llm:implementation-replied');
    const source = extractKernelSource(result.text);
    return {
      source,
      failure: source ? null : `no code block defining ModelNew in the reply (finish reason ${result.finishReason ?? 'unknown'})`,
      generation: this.generation(messages, result),
    };
  }

  private messages(user: string): ChatMessage[] {
    return [
      { role: 'system', content: systemPrompt() },
      { role: 'user', content: user },
    ];
  }

  private generation(messages: ChatMessage[], result: ChatResult): Generation {
    return {
      prompt: JSON.stringify(messages),
      rawResponse: result.text,
      temperature: this.options.temperature,
      maxTokens: this.options.maxTokens,
      tokensIn: result.tokensIn,
      tokensOut: result.tokensOut,
      latencyMs: result.latencyMs,
      costUsd: result.costUsd,
      fromCache: result.fromCache,
    };
  }
}
