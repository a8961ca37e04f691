/**
 * Scalar C expressions of the elementwise activations and binary ops, shared by the cpu (C++) and
 * cuda templates. `fast` swaps exp for the CUDA intrinsic __expf (a precision idea): its error stays
 * within a few ulp for the inputs KernelBench draws, far inside the 1e-4 tolerance.
 */
import type { UnaryOpInfo } from './analysis.ts';

export class UnsupportedOpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedOpError';
  }
}

/** Print a number as a C float literal. */
export function f32(value: number): string {
  if (!Number.isFinite(value)) throw new UnsupportedOpError(`non-finite constant ${value}`);
  const s = String(value);
  return /[.eE]/.test(s) ? `${s}f` : `${s}.0f`;
}

function num(args: UnaryOpInfo['args'], name: string, fallback: number): number {
  const v = args[name];
  return typeof v === 'number' ? v : fallback;
}

/** Ops whose cost is a transcendental call: only these gain from fast-math intrinsics. */
export const TRANSCENDENTAL = new Set(['sigmoid', 'tanh', 'gelu', 'silu', 'elu', 'selu', 'softplus', 'mish', 'exp']);

export const UNARY_OPS = [
  'relu', 'leaky_relu', 'sigmoid', 'tanh', 'gelu', 'silu', 'elu', 'selu', 'hardtanh', 'relu6',
  'softplus', 'softsign', 'hardsigmoid', 'hardswish', 'mish', 'exp', 'abs', 'neg',
];

/** The activation applied to the float variable `v`. */
export function unaryExpr(info: UnaryOpInfo, fast = false): string {
  const exp = fast ? '__expf' : 'expf';
  const a = info.args;
  switch (info.op) {
    case 'relu':
      return '(v > 0.0f ? v : 0.0f)';
    case 'leaky_relu':
      return `(v > 0.0f ? v : v * ${f32(num(a, 'negative_slope', 0.01))})`;
    case 'sigmoid':
      return `(1.0f / (1.0f + ${exp}(-v)))`;
    case 'tanh':
      return 'tanhf(v)';
    case 'gelu':
      return a.approximate === 'tanh'
        ? '(0.5f * v * (1.0f + tanhf(0.7978845608028654f * (v + 0.044715f * v * v * v))))'
        : '(0.5f * v * (1.0f + erff(v * 0.7071067811865476f)))';
    case 'silu':
      return `(v / (1.0f + ${exp}(-v)))`;
    case 'elu':
      return `(v > 0.0f ? v : ${f32(num(a, 'alpha', 1))} * expm1f(v))`;
    case 'selu':
      return '(1.0507009873554805f * (v > 0.0f ? v : 1.6732632423543772f * expm1f(v)))';
    case 'hardtanh':
      return `fminf(fmaxf(v, ${f32(num(a, 'min_val', -1))}), ${f32(num(a, 'max_val', 1))})`;
    case 'relu6':
      return 'fminf(fmaxf(v, 0.0f), 6.0f)';
    case 'softplus': {
      const beta = f32(num(a, 'beta', 1));
      const th = f32(num(a, 'threshold', 20));
      return `(v * ${beta} > ${th} ? v : log1pf(${exp}(v * ${beta})) / ${beta})`;
    }
    case 'softsign':
      return '(v / (1.0f + fabsf(v)))';
    case 'hardsigmoid':
      return '(fminf(fmaxf(v + 3.0f, 0.0f), 6.0f) / 6.0f)';
    case 'hardswish':
      return '(v * fminf(fmaxf(v + 3.0f, 0.0f), 6.0f) / 6.0f)';
    case 'mish':
      return `(v * tanhf(v > 20.0f ? v : log1pf(${exp}(v))))`;
    case 'exp':
      return `${exp}(v)`;
    case 'abs':
      return 'fabsf(v)';
    case 'neg':
      return '(-v)';
    default:
      throw new UnsupportedOpError(`activation ${info.op} is not in the builtin catalogue`);
  }
}

/** The binary op on floats `a` and `b`. */
export function binaryExpr(op: string): string {
  switch (op) {
    case 'add':
      return '(a + b)';
    case 'sub':
      return '(a - b)';
    case 'mul':
      return '(a * b)';
    case 'div':
      return '(a / b)';
    case 'maximum':
      return 'fmaxf(a, b)';
    case 'minimum':
      return 'fminf(a, b)';
    default:
      throw new UnsupportedOpError(`binary op ${op} is not in the builtin catalogue`);
  }
}
