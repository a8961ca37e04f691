/**
 * What the builtin provider knows about a problem: the operator family, its arguments, the input
 * shapes and dtypes and the model's parameters, as analyze.py reports them. Validated with zod at
 * the edge and cached in memory by problem key.
 */
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { z } from 'zod';
import type { Problem } from '../../../kernelbench/problem.ts';

const scalar = z.union([z.number(), z.string(), z.boolean()]);
const unaryOp = z.object({ op: z.string(), args: z.record(z.string(), scalar) });

export const opSchema = z.discriminatedUnion('family', [
  z.object({ family: z.literal('unary'), op: z.string(), args: z.record(z.string(), scalar) }),
  z.object({ family: z.literal('binary'), op: z.enum(['add', 'sub', 'mul', 'div', 'maximum', 'minimum']) }),
  z.object({ family: z.literal('softmax'), op: z.enum(['softmax', 'log_softmax']), dim: z.number().int() }),
  z.object({
    family: z.literal('layernorm'),
    op: z.literal('layer_norm'),
    module: z.string(),
    normalized_shape: z.array(z.number().int()),
    eps: z.number(),
    affine: z.boolean(),
  }),
  z.object({
    family: z.literal('reduction'),
    op: z.enum(['sum', 'mean', 'max', 'min']),
    dim: z.number().int(),
    keepdim: z.boolean(),
  }),
  z.object({
    family: z.literal('matmul'),
    op: z.literal('matmul'),
    a_input: z.number().int(),
    b_input: z.number().int(),
    trans_a: z.boolean(),
    trans_b: z.boolean(),
  }),
  z.object({
    family: z.literal('linear'),
    op: z.literal('linear'),
    module: z.string(),
    in_features: z.number().int(),
    out_features: z.number().int(),
    bias: z.boolean(),
    activation: unaryOp.nullable(),
  }),
]);
export type OpInfo = z.infer<typeof opSchema>;
export type Family = OpInfo['family'];
export type UnaryOpInfo = z.infer<typeof unaryOp>;

const tensorInput = z.object({ kind: z.literal('tensor'), shape: z.array(z.number().int()), dtype: z.string() });
const analysisSchema = z.union([
  z.object({
    ok: z.literal(true),
    inputs: z.array(tensorInput),
    init_inputs: z.array(z.unknown()),
    parameters: z.array(z.object({ name: z.string(), shape: z.array(z.number().int()) })),
    op: opSchema,
  }),
  z.object({ ok: z.literal(false), reason: z.string() }),
]);
export type Analysis = z.infer<typeof analysisSchema>;
export type SupportedAnalysis = Extract<Analysis, { ok: true }>;

export class AnalysisError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AnalysisError';
  }
}

export const ANALYZE_SCRIPT = fileURLToPath(new URL('./analyze.py', import.meta.url));

export interface AnalyserOptions {
  python: () => Promise<string>;
  timeoutMs?: number;
}

export class ProblemAnalyser {
  private readonly cache = new Map<string, Promise<Analysis>>();
  constructor(private readonly options: AnalyserOptions) {}

  analyse(problem: Problem): Promise<Analysis> {
    let hit = this.cache.get(problem.key);
    if (!hit) {
      hit = this.run(problem.code);
      // A crashed analysis is not cached, so a transient failure can be retried.
      hit.catch(() => this.cache.delete(problem.key));
      this.cache.set(problem.key, hit);
    }
    return hit;
  }

  private async run(code: string): Promise<Analysis> {
    const python = await this.options.python();
    const result = await execa(python, [ANALYZE_SCRIPT], {
      input: code,
      timeout: this.options.timeoutMs ?? 120_000,
      reject: false,
      env: { PYTHONDONTWRITEBYTECODE: '1' },
      cleanup: false, // execa's exit hook would re-raise a Ctrl-C past kforge's handler (pipeline/run/interrupt.ts)
    });
    const line = result.stdout.trim().split('\n').pop() ?? '';
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new AnalysisError(`analyze.py gave no JSON (exit ${result.exitCode}): ${result.stderr.slice(-500)}`);
    }
    const checked = analysisSchema.safeParse(parsed);
    if (!checked.success) {
      // An op the TS side does not model (e.g. a binary op outside the enum) is unsupported, not a crash.
      return { ok: false, reason: `analysis not understood: ${checked.error.message.slice(0, 300)}` };
    }
    return checked.data;
  }
}
