/**
 * Triton candidates in KernelBench's Triton format: a module with @triton.jit kernels and a ModelNew
 * that launches them (the harness loads it from a file: Triton reads its kernels' source). Kernels
 * load in the tensor's own dtype (fp32, fp16 or bf16: the run's precision), compute in fp32 and
 * store back in the output's dtype (tl.store converts), so one template serves every precision.
 */
import type { UnaryOpInfo } from '../analysis.ts';
import { modelNewClass } from '../module.ts';
import { UnsupportedOpError } from '../ops.ts';

export interface TritonParts {
  label: string;
  /** The @triton.jit kernels (Python source, top level). */
  kernels: string;
  /** Python lines of ModelNew.__init__ after super().__init__(). */
  init: string[];
  inputs: number;
  /** Python lines of forward's body (inputs x0, x1, ...), ending in a return. */
  forward: string[];
}

export function renderTritonModule(parts: TritonParts, header: string): string {
  return [
    `# ${header}`,
    'import torch',
    'import torch.nn as nn',
    'import triton',
    'import triton.language as tl',
    '',
    parts.kernels.trim(),
    '',
    '',
    ...modelNewClass(parts.init, parts.inputs, parts.forward),
  ].join('\n');
}

/** A Python float literal. */
export function pyFloat(value: number): string {
  if (!Number.isFinite(value)) throw new UnsupportedOpError(`non-finite constant ${value}`);
  const s = String(value);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

const arg = (a: UnaryOpInfo['args'], name: string, fallback: number): string =>
  pyFloat(typeof a[name] === 'number' ? a[name] : fallback);

/** The activation of the fp32 Triton value `v` (tanh through sigmoid: Triton has no tl.tanh). */
export function tritonUnaryExpr(info: UnaryOpInfo): string {
  const a = info.args;
  const tanh = (x: string) => `(2.0 * tl.sigmoid(2.0 * (${x})) - 1.0)`;
  switch (info.op) {
    case 'relu': return 'tl.maximum(v, 0.0)';
    case 'leaky_relu': return `tl.where(v > 0.0, v, v * ${arg(a, 'negative_slope', 0.01)})`;
    case 'sigmoid': return 'tl.sigmoid(v)';
    case 'tanh': return tanh('v');
    case 'gelu':
      return a.approximate === 'tanh'
        ? `(0.5 * v * (1.0 + ${tanh('0.7978845608028654 * (v + 0.044715 * v * v * v)')}))`
        : '(0.5 * v * (1.0 + tl.erf(v * 0.7071067811865476)))';
    case 'silu': return '(v * tl.sigmoid(v))';
    case 'elu': return `tl.where(v > 0.0, v, ${arg(a, 'alpha', 1)} * (tl.exp(v) - 1.0))`;
    case 'selu': return '(1.0507009873554805 * tl.where(v > 0.0, v, 1.6732632423543772 * (tl.exp(v) - 1.0)))';
    case 'hardtanh': return `tl.minimum(tl.maximum(v, ${arg(a, 'min_val', -1)}), ${arg(a, 'max_val', 1)})`;
    case 'relu6': return 'tl.minimum(tl.maximum(v, 0.0), 6.0)';
    case 'softplus': {
      const beta = arg(a, 'beta', 1);
      return `tl.where(v * ${beta} > ${arg(a, 'threshold', 20)}, v, tl.log(1.0 + tl.exp(v * ${beta})) / ${beta})`;
    }
    case 'softsign': return '(v / (1.0 + tl.abs(v)))';
    case 'hardsigmoid': return '(tl.minimum(tl.maximum(v + 3.0, 0.0), 6.0) / 6.0)';
    case 'hardswish': return '(v * tl.minimum(tl.maximum(v + 3.0, 0.0), 6.0) / 6.0)';
    case 'mish': return `(v * ${tanh('tl.where(v > 20.0, v, tl.log(1.0 + tl.exp(v)))')})`;
    case 'exp': return 'tl.exp(v)';
    case 'abs': return 'tl.abs(v)';
    case 'neg': return '(-v)';
    default: throw new UnsupportedOpError(`activation ${info.op} is not in the builtin Triton catalogue`);
  }
}

export function tritonBinaryExpr(op: string): string {
  const ops: Record<string, string> = { add: '(a + b)', sub: '(a - b)', mul: '(a * b)', div: '(a / b)', maximum: 'tl.maximum(a, b)', minimum: 'tl.minimum(a, b)' };
  const e = ops[op];
  if (!e) throw new UnsupportedOpError(`binary op ${op} is not in the builtin Triton catalogue`);
  return e;
}

export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
