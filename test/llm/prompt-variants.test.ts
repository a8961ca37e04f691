/**
 * The LLM prompts' Triton variant and the precision line: the Triton/bf16 prompt is the one sent, under
 * its own prompt version (LLM cache key and record), and the record carries backend and precision.
 * searchProblem runs for real with the LLM provider over an in-process client and a stand-in verifier.
 */
import PQueue from 'p-queue';
import { describe, expect, it } from 'vitest';
import type { KernelRecord } from '../../datasets/schema.ts';
import { problemKey } from '../../kernelbench/problem.ts';
import { createProgress } from '../../pipeline/progress.ts';
import { searchProblem } from '../../pipeline/search/search-problem.ts';
import type { ChatRequest, ChatResult, LlmClient, LlmStatus } from '../../stages/core/llm-client.ts';
import { LlmProvider } from '../../stages/providers/llm/index.ts';
import { PROMPT_VERSION, renderImplementPrompt } from '../../stages/providers/llm/prompts.ts';
import { makeVerifyJob } from '../../stages/verify/verify-job.ts';
import type { VerifyJob } from '../../stages/verify/protocol.ts';
import { verdict } from '../support/verify-result.ts';

const CODE = 'import torch\nimport torch.nn as nn\nclass Model(nn.Module):\n    def forward(self, x):\n        return torch.relu(x)\n';
const KERNEL = 'import torch\nimport triton\nimport triton.language as tl\n\nclass ModelNew(torch.nn.Module):\n    def forward(self, x):\n        return x\n';

function client(seen: ChatRequest[]): LlmClient {
  return {
    async complete(req: ChatRequest): Promise<ChatResult> {
      seen.push(req);
      const text = req.purpose === 'ideas'
        ? '```json\n[{"idea": "one program per 4096-element tile", "category": "memory_access"}]\n```'
        : `\`\`\`python\n${KERNEL}\`\`\``;
      return { text, finishReason: 'stop', tokensIn: 10, tokensOut: 10, latencyMs: 1, costUsd: null, fromCache: false, model: 'm' };
    },
    status: () => ({}) as LlmStatus,
  };
}

describe('prompt variants', () => {
  it('renders the Triton variant with the precision, and the CUDA one without Triton', () => {
    const triton = renderImplementPrompt({ problemCode: CODE, backend: 'triton', precision: 'bf16', idea: 'tile it', seeds: [] });
    expect(triton).toContain('@triton.jit');
    expect(triton).toContain('All float inputs and weights are bfloat16 (precision bf16)');
    expect(triton).toContain('atol=rtol=1e-2');
    expect(triton).not.toContain('Build it at import time with `torch.utils.cpp_extension.load_inline`');
    const cuda = renderImplementPrompt({ problemCode: CODE, backend: 'cuda', precision: 'fp32', idea: 'tile it', seeds: [] });
    expect(cuda).toContain('load_inline');
    expect(cuda).not.toContain('triton');
    expect(cuda).toContain('float32 (precision fp32)');
  });

  it('sends the Triton/bf16 prompts under the Triton version and records backend, precision and that version', async () => {
    const seen: ChatRequest[] = [];
    const provider = new LlmProvider({ client: client(seen), model: 'm', temperature: 0, maxTokens: 100 });
    const problem = { key: problemKey(CODE), source: 'test', file: null, level: 1, problemId: 19, name: '19_ReLU', code: CODE };
    const records: KernelRecord[] = [];
    const jobs: VerifyJob[] = [];
    const settings = { backend: 'triton' as const, precision: 'bf16' as const, tolerance: 'default' as const, trials: 1, warmup: 0,
      repeats: 1, timeout_s: 10, seed: 1, compile_reference: false };
    await searchProblem(problem, {
      runId: 'r', backend: 'triton', precision: 'bf16', tolerancePolicy: 'default',
      settings: { rounds: 1, ideasPerRound: 1, implsPerIdea: 1, beam: 1 },
      provider,
      verify: async (job) => (jobs.push(job), { ...verdict(job, 'load'), backend: job.backend, precision: job.precision }),
      makeJob: (p, id, source) => makeVerifyJob(settings, p, id, source),
      bankSeeds: () => [],
      queues: { ideas: new PQueue(), implement: new PQueue(), verify: new PQueue() },
      emit: async (r) => void records.push(r),
      progress: createProgress('silent'),
      verifierVersion: 'v',
      stop: { reason: null },
      onGenerationFailure: () => {},
    });
    expect(seen.map((r) => [r.purpose, r.promptVersion])).toEqual([['ideas', `${PROMPT_VERSION}:triton`], ['implement', `${PROMPT_VERSION}:triton`]]);
    expect(seen[0]!.messages[1]!.content).toContain('GPU (Triton kernels)');
    expect(seen[1]!.messages[1]!.content).toMatch(/@triton\.jit[\s\S]*bfloat16/);
    expect(jobs.map((j) => [j.backend, j.precision])).toEqual([['triton', 'bf16']]);
    expect(records.map((r) => [r.backend, r.precision, r.prompt_version])).toEqual([['triton', 'bf16', `${PROMPT_VERSION}:triton`]]);
  });
});
