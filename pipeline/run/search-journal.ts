/**
 * The run's own memory of what its provider answered, by position in the search (problem, round,
 * idea, implementation) rather than by prompt text. The content cache cannot give a resume this: prompts
 * quote measured speedups, and the verification that was cut off by a kill is redone with slightly other
 * timings, so the next prompt's text (and its cache key) changes. Replaying the journal makes a resumed
 * run ask for exactly what the killed one had not yet received, and make the rows it would have made.
 */
import { ContentCache } from '../../stages/core/cache/content-cache.ts';
import { runLayout } from '../../stages/core/run-layout.ts';
import type { IdeaRequest, IdeaResponse, Implementation, ImplementRequest, Provider } from '../../stages/provider.ts';

export function journaledProvider(provider: Provider, runDir: string): Provider {
  const journal = new ContentCache({ dir: runLayout(runDir).journalDir });
  const identity = { provider: provider.name, model: provider.model, promptVersion: provider.promptVersion };
  return {
    name: provider.name,
    model: provider.model,
    promptVersion: provider.promptVersion,
    ...(provider.unsupportedReason ? { unsupportedReason: provider.unsupportedReason.bind(provider) } : {}),

    async proposeIdeas(request: IdeaRequest): Promise<IdeaResponse> {
      const key = journal.key({ ...identity, problem: request.problem.key, backend: request.backend, round: request.round, count: request.count });
      const known = await journal.get<IdeaResponse>('ideas', key);
      if (known) return known;
      const response = await provider.proposeIdeas(request);
      await journal.put('ideas', key, response);
      return response;
    },

    async implement(request: ImplementRequest): Promise<Implementation> {
      const key = journal.key({
        ...identity,
        problem: request.problem.key,
        backend: request.backend,
        round: request.idea.round,
        idea: request.idea.text,
        impl: request.implIndex,
      });
      const known = await journal.get<Implementation>('implement', key);
      if (known) return known;
      const implementation = await provider.implement(request);
      await journal.put('implement', key, implementation);
      return implementation;
    },
  };
}
