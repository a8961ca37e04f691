/**
 * CPU sum / mean / max / min over one dimension, viewed as (outer, R, inner).
 * inner == 1: each output is a contiguous row reduction with `accs` independent accumulators
 * (breaks the add dependency chain so the loop vectorises and pipelines).
 * inner > 1: rows of the reduced dim are added into an output row, `tile` columns at a time, so
 * the accumulator tile stays in L1 and every read is contiguous.
 */
import type { SupportedAnalysis } from '../analysis.ts';
import { CPU_FLAGS, CPU_HEADER, type KernelParts, type Params, TemplateError, oneInputParts, flag, normDim, num } from '../kernel-parts.ts';

export function reductionShapes(analysis: SupportedAnalysis): { dim: number; outShape: number[] } {
  const op = analysis.op;
  if (op.family !== 'reduction') throw new TemplateError('needs a reduction problem');
  const shape = analysis.inputs[0]!.shape;
  const dim = normDim(op.dim, shape.length);
  const outShape = shape.flatMap((s, i) => (i === dim ? (op.keepdim ? [1] : []) : [s]));
  return { dim, outShape };
}

export function reduceOps(op: string, cpu = false): { init: string; combine: (a: string, b: string) => string; ompOp: string } {
  switch (op) {
    case 'max':
      return { init: cpu ? '-FLT_MAX' : '-INFINITY', combine: (a, b) => `fmaxf(${a}, ${b})`, ompOp: 'max' };
    case 'min':
      return { init: cpu ? 'FLT_MAX' : 'INFINITY', combine: (a, b) => `fminf(${a}, ${b})`, ompOp: 'min' };
    default:
      return { init: '0.0f', combine: (a, b) => `(${a} + ${b})`, ompOp: '+' };
  }
}

export function cpuReduction(analysis: SupportedAnalysis, params: Params): KernelParts {
  const op = analysis.op;
  if (op.family !== 'reduction') throw new TemplateError('cpuReduction needs a reduction problem');
  const { dim, outShape } = reductionShapes(analysis);
  const r = reduceOps(op.op, true);
  const accs = num(params, 'accs');
  const tile = num(params, 'tile');
  const scale = op.op === 'mean' ? ' / (float)R' : '';
  const simd = flag(params, 'simd') ? '#pragma omp simd' : '';
  const source = `${CPU_HEADER}
torch::Tensor kf_forward(torch::Tensor x0) {
  TORCH_CHECK(x0.scalar_type() == at::kFloat, "float32 expected");
  auto xc = x0.contiguous();
  const int64_t R = xc.size(${dim});
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < ${dim}; ++d) outer *= xc.size(d);
  for (int64_t d = ${dim} + 1; d < xc.dim(); ++d) inner *= xc.size(d);
  auto y = torch::empty({${outShape.join(', ')}}, xc.options());
  const float* __restrict__ in = xc.data_ptr<float>();
  float* __restrict__ out = y.data_ptr<float>();
  if (inner == 1) {
#pragma omp parallel for schedule(static)
    for (int64_t o = 0; o < outer; ++o) {
      const float* __restrict__ x = in + o * R;
      float acc[${accs}];
      for (int k = 0; k < ${accs}; ++k) acc[k] = ${r.init};
      int64_t i = 0;
      for (; i + ${accs} <= R; i += ${accs}) {
${simd}
        for (int k = 0; k < ${accs}; ++k) acc[k] = ${r.combine('acc[k]', 'x[i + k]')};
      }
      float t = ${r.init};
      for (; i < R; ++i) t = ${r.combine('t', 'x[i]')};
      for (int k = 0; k < ${accs}; ++k) t = ${r.combine('t', 'acc[k]')};
      out[o] = t${scale};
    }
    return y;
  }
  const int64_t tiles = (inner + ${tile} - 1) / ${tile};
#pragma omp parallel for schedule(static)
  for (int64_t w = 0; w < outer * tiles; ++w) {
    const int64_t o = w / tiles;
    const int64_t j0 = (w % tiles) * ${tile};
    const int64_t jn = std::min(inner, j0 + (int64_t)${tile});
    float acc[${tile}];
    for (int64_t j = 0; j < jn - j0; ++j) acc[j] = ${r.init};
    const float* __restrict__ x = in + o * R * inner + j0;
    for (int64_t i = 0; i < R; ++i) {
      const float* __restrict__ row = x + i * inner;
${simd}
      for (int64_t j = 0; j < jn - j0; ++j) acc[j] = ${r.combine('acc[j]', 'row[j]')};
    }
    float* __restrict__ dst = out + o * inner + j0;
    for (int64_t j = 0; j < jn - j0; ++j) dst[j] = acc[j]${scale};
  }
  return y;
}
`;
  return oneInputParts('cpu', op.op, source, flag(params, 'fastMath') ? [...CPU_FLAGS, '-ffast-math'] : [...CPU_FLAGS], []);
}
