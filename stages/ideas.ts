/** Stage 1: ideas. A problem and its history in, K ideas with stable ids out. */
import { createHash } from 'node:crypto';
import { isRunStopping } from './core/errors/run-stopping.ts';
import type { Idea, IdeaRequest, IdeaResponse, Provider } from './provider.ts';

export function ideaId(problemKey: string, round: number, text: string): string {
  return createHash('sha256').update(`${problemKey}\n${round}\n${text.trim()}`).digest('hex').slice(0, 24);
}

export async function generateIdeas(provider: Provider, request: IdeaRequest): Promise<IdeaResponse> {
  let response: IdeaResponse;
  try {
    response = await provider.proposeIdeas(request);
  } catch (error) {
    if (isRunStopping(error)) throw error;
    return { ideas: [], generation: emptyGeneration(), failure: `idea generation failed: ${(error as Error).message}` };
  }
  // Ids are the stage's business, so every provider's ideas are keyed the same way; duplicates
  // (same text twice in one reply) would make two candidates with one identity.
  const seen = new Set<string>();
  const ideas: Idea[] = [];
  for (const idea of response.ideas) {
    const id = ideaId(request.problem.key, request.round, idea.text);
    if (seen.has(id)) continue;
    seen.add(id);
    ideas.push({ ...idea, id, round: request.round });
    if (ideas.length === request.count) break;
  }
  const failure = response.failure ?? (ideas.length ? null : 'the provider returned no ideas');
  return { ...response, ideas, failure };
}

export function emptyGeneration(): IdeaResponse['generation'] {
  return {
    prompt: null,
    rawResponse: null,
    temperature: null,
    maxTokens: null,
    tokensIn: null,
    tokensOut: null,
    latencyMs: null,
    costUsd: null,
    fromCache: false,
  };
}
