/**
 * What the ideas and implementation stages need from whoever writes ideas and kernels: an LLM
 * behind an OpenAI-compatible endpoint, or the builtin provider that needs no network.
 */
import type { Problem } from '../kernelbench/problem.ts';
import type { Backend, Precision } from './verify/protocol.ts';
import type { FailStage, SeedSource } from '../datasets/schema.ts';

/** METHOD.md's six clusters of winning ideas, plus 'other' for what fits none. */
export const IDEA_CATEGORIES = [
  'memory_access',
  'async_latency_hiding',
  'precision',
  'compute_instructions',
  'parallelism_occupancy',
  'control_flow_loops',
  'other',
] as const;
export type IdeaCategory = (typeof IDEA_CATEGORIES)[number];

export interface Idea {
  /** Stable: hash of problem key, round and text. */
  id: string;
  round: number;
  text: string;
  category: IdeaCategory;
}

/** How one piece of text was obtained; copied into the record's generation columns. */
export interface Generation {
  prompt: string | null; // JSON of the chat messages, or the builtin template's description
  rawResponse: string | null;
  temperature: number | null;
  maxTokens: number | null;
  tokensIn: number | null;
  tokensOut: number | null;
  latencyMs: number | null;
  costUsd: number | null;
  fromCache: boolean;
}

/** One outcome of an idea tried earlier, as the next round's idea prompt sees it. */
export interface IdeaOutcome {
  round: number;
  text: string;
  category: IdeaCategory;
  implementations: number;
  correct: number;
  bestSpeedup: number | null;
  /** Most common failure stage among its implementations, with a short excerpt of its message. */
  commonFailure: { stage: FailStage; excerpt: string } | null;
}

/** A verified kernel that an implementation may start from. */
export interface SeedKernel {
  kernelId: string;
  source: string;
  speedup: number | null;
  origin: SeedSource;
}

export interface IdeaRequest {
  problem: Problem;
  backend: Backend;
  /** The run's precision: the kernels compute on tensors of this dtype. */
  precision: Precision;
  round: number;
  count: number;
  history: IdeaOutcome[];
}

export interface IdeaResponse {
  ideas: Idea[];
  generation: Generation;
  /** Set when no ideas could be had (every idea of the request is then missing). */
  failure: string | null;
}

export interface ImplementRequest {
  problem: Problem;
  backend: Backend;
  precision: Precision;
  idea: Idea;
  implIndex: number;
  /** Best kernels so far (beam), or a bank kernel of a similar problem; empty when none. */
  seeds: SeedKernel[];
}

export interface Implementation {
  /** The ModelNew module, or null when generation failed (failure says why). */
  source: string | null;
  failure: string | null;
  generation: Generation;
}

export interface Provider {
  readonly name: string; // 'openai' | 'builtin'
  readonly model: string;
  readonly promptVersion: string;
  /** The prompt version of one backend's variant (e.g. the Triton prompts), when it differs by backend. */
  promptVersionFor?(backend: Backend, precision: Precision): string;
  proposeIdeas(request: IdeaRequest): Promise<IdeaResponse>;
  implement(request: ImplementRequest): Promise<Implementation>;
  /** Why this provider cannot handle a problem on a backend at a precision, or null if it can. */
  unsupportedReason?(problem: Problem, backend: Backend, precision?: Precision): Promise<string | null>;
}
