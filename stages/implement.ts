/** Stage 2: implementations. An idea (and the kernels to start from) in, one ModelNew module out. */
import { isRunStopping } from './core/errors/run-stopping.ts';
import { emptyGeneration } from './ideas.ts';
import type { Implementation, ImplementRequest, Provider } from './provider.ts';

export async function implementIdea(provider: Provider, request: ImplementRequest): Promise<Implementation> {
  try {
    const result = await provider.implement(request);
    if (result.source === null && !result.failure) return { ...result, failure: 'the provider returned no kernel' };
    return result;
  } catch (error) {
    if (isRunStopping(error)) throw error;
    // A provider error is this candidate's failure, never the run's: it becomes a 'generate' record.
    return { source: null, failure: (error as Error).message, generation: emptyGeneration() };
  }
}
