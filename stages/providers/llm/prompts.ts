/**
 * Prompt files and their rendering. The files are versioned (prompts/VERSION); the version goes into
 * every record and into the LLM cache key, so editing a prompt without bumping it is a bug that the
 * cache would hide.
 */
import { readFileSync } from 'node:fs';
import type { IdeaOutcome, SeedKernel } from '../../provider.ts';
import type { Backend, Precision } from '../../verify/protocol.ts';

const dir = new URL('./prompts/', import.meta.url);
const read = (name: string): string => readFileSync(new URL(name, dir), 'utf8');

export const PROMPT_VERSION = read('VERSION').trim();
const templates = { system: read('system.md'), ideas: read('ideas.md'), implement: read('implement.md'), implementTriton: read('implement-triton.md') };

/**
 * The prompt variant of a backend, recorded per record as `<version>:<variant>` (prompt_version): the
 * Triton variant asks for @triton.jit kernels, the others for load_inline extensions.
 */
export function promptVersionFor(backend: Backend): string {
  return backend === 'triton' ? `${PROMPT_VERSION}:triton` : PROMPT_VERSION;
}

function render(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`prompt placeholder {{${key}}} has no value`);
    return value;
  });
}

const BACKEND_DESCRIPTION: Record<Backend, string> = {
  cuda: 'GPU (CUDA)',
  cpu: 'CPU (C++ extension, no GPU)',
  triton: 'GPU (Triton kernels)',
};
const BACKEND_INSTRUCTIONS: Record<Backend, string> = {
  cuda: 'Write the kernel in CUDA C++ (pass it as cuda_sources).',
  cpu: 'Write the kernel in C++ for the CPU (pass it as cpp_sources; OpenMP is allowed with -fopenmp). There is no GPU.',
  triton: 'No load_inline and no CUDA C++: the module is imported from a file, and Triton compiles the kernels at their first launch.',
};

const DTYPE: Record<Precision, string> = { fp32: 'float32', fp16: 'float16', bf16: 'bfloat16' };

/** KernelBench's precision, said in the prompt: every float input and weight arrives in this dtype. */
export function precisionDescription(precision: Precision): string {
  const tol = precision === 'fp32' ? '1e-4' : '1e-2';
  const advice = precision === 'fp32'
    ? 'Compute in fp32: lower precision (fp16, bf16, TF32, fast-math) is flagged.'
    : `Load and store ${DTYPE[precision]}, accumulate in fp32; going below ${precision} (fp8, int8) is flagged.`;
  return `All float inputs and weights are ${DTYPE[precision]} (precision ${precision}); outputs are compared at atol=rtol=${tol}. ${advice}`;
}

export function systemPrompt(): string {
  return templates.system.trim();
}

export function renderIdeasPrompt(input: { problemCode: string; backend: Backend; precision: Precision; count: number; history: IdeaOutcome[] }): string {
  return render(templates.ideas, {
    problem_code: input.problemCode.trim(),
    backend_description: BACKEND_DESCRIPTION[input.backend],
    precision_description: precisionDescription(input.precision),
    count: String(input.count),
    history: renderHistory(input.history),
  }).trim();
}

export function renderImplementPrompt(input: { problemCode: string; backend: Backend; precision: Precision; idea: string; seeds: SeedKernel[] }): string {
  return render(input.backend === 'triton' ? templates.implementTriton : templates.implement, {
    problem_code: input.problemCode.trim(),
    backend_instructions: BACKEND_INSTRUCTIONS[input.backend],
    precision_description: precisionDescription(input.precision),
    idea: input.idea.trim(),
    seeds: renderSeeds(input.seeds),
  }).trim();
}

/** What earlier rounds tried and how it went: the conditioning that makes ideas diverse. */
export function renderHistory(history: IdeaOutcome[]): string {
  if (!history.length) return 'No ideas have been tried on this problem yet.';
  const lines = ['Ideas tried so far and their outcomes:'];
  for (const h of history) {
    const speed = h.bestSpeedup === null ? 'no correct implementation' : `best speedup ${h.bestSpeedup.toFixed(2)}x`;
    const failure = h.commonFailure ? `; most common failure: ${h.commonFailure.stage}: ${h.commonFailure.excerpt}` : '';
    lines.push(`- round ${h.round} [${h.category}] ${h.text} -> ${h.correct}/${h.implementations} correct, ${speed}${failure}`);
  }
  return lines.join('\n');
}

function renderSeeds(seeds: SeedKernel[]): string {
  if (!seeds.length) return 'No correct kernel exists for this problem yet; start from scratch.';
  const parts = ['Start from this verified kernel (the fastest so far) and apply the idea to it:'];
  for (const seed of seeds) {
    const speed = seed.speedup === null ? '' : ` (speedup ${seed.speedup.toFixed(2)}x, ${seed.origin === 'bank' ? 'from the bank of known-good kernels for a similar problem' : 'from this search'})`;
    parts.push(`Kernel ${seed.kernelId.slice(0, 12)}${speed}:\n\`\`\`python\n${seed.source.trim()}\n\`\`\``);
  }
  return parts.join('\n\n');
}
