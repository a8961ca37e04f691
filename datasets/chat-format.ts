/**
 * Fine-tuning example shapes: OpenAI chat fine-tuning ({"messages": [...]}) and TRL's conversational
 * preference format ({"prompt": [...], "chosen": [...], "rejected": [...]}).
 */
import type { KernelRecord } from './schema.ts';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export const DEFAULT_SYSTEM_PROMPT =
  'You are an expert in high-performance GPU kernels. Given a PyTorch reference module `Model`, write `ModelNew`: ' +
  'a drop-in replacement that computes the same outputs with custom kernels, as fast as possible. ' +
  'Reply with the complete Python module in one ```python code block.';

export type ProblemFields = Pick<KernelRecord, 'problem_code' | 'problem_name' | 'level'>;

export function userPrompt(r: ProblemFields, idea?: string): string {
  const head = `Optimise this PyTorch reference (KernelBench level ${r.level}, ${r.problem_name}).`;
  const ideaPart = idea ? `\n\nImplement this optimisation idea:\n${idea}` : '';
  return `${head}\n\n\`\`\`python\n${r.problem_code.trimEnd()}\n\`\`\`${ideaPart}`;
}

export const assistantReply = (kernelSource: string): string => `\`\`\`python\n${kernelSource.trimEnd()}\n\`\`\``;

export function promptMessages(r: ProblemFields, system: string, idea?: string): ChatMessage[] {
  return [
    { role: 'system', content: system },
    { role: 'user', content: userPrompt(r, idea) },
  ];
}

/** One SFT example; with `withIdea` the user turn also carries the record's idea. */
export function chatExample(r: ProblemFields & Pick<KernelRecord, 'kernel_source' | 'idea_text'>, system: string, withIdea: boolean): { messages: ChatMessage[] } {
  return { messages: [...promptMessages(r, system, withIdea ? r.idea_text : undefined), { role: 'assistant', content: assistantReply(r.kernel_source) }] };
}

export interface PreferenceExample {
  prompt: ChatMessage[];
  chosen: ChatMessage[];
  rejected: ChatMessage[];
  problem_key: string;
  chosen_record_id: string;
  rejected_record_id: string;
  chosen_speedup: number;
  /** null where the rejected kernel is incorrect. */
  rejected_speedup: number | null;
  rejected_correct: boolean;
  /** chosen_speedup / rejected_speedup; null where the rejected kernel is incorrect. */
  margin: number | null;
}
