/**
 * CPU softmax / log-softmax over one dimension, viewed as (outer, D, inner).
 * strategy: 'three_pass' (max, sum of exp, write), 'online' (running max and rescaled sum in one
 * read, then write), 'store_exp' (write exp(x - max) while summing, then scale in place: the second
 * pass touches only the output, which is still in cache for rows that fit).
 * Rows with inner > 1 use per-column accumulators so the inner loop stays contiguous.
 */
import type { SupportedAnalysis } from '../analysis.ts';
import { CPU_FLAGS, CPU_HEADER, type KernelParts, type Params, TemplateError, oneInputParts, flag, normDim, str } from '../kernel-parts.ts';

function rowBody(strategy: string, log: boolean, simd: string): string {
  const finish = log
    ? `    const float lse = m + logf(s);\n${simd}\n    for (int64_t i = 0; i < D; ++i) o[i] = x[i] - lse;`
    : `    const float inv = 1.0f / s;\n${simd}\n    for (int64_t i = 0; i < D; ++i) o[i] = kf_exp(x[i] - m) * inv;`;
  if (strategy === 'online') {
    return `    float m = -FLT_MAX, s = 0.0f;
    for (int64_t i = 0; i < D; ++i) {
      const float v = x[i];
      if (v > m) { s = s * kf_exp(m - v) + 1.0f; m = v; } else { s += kf_exp(v - m); }
    }
${finish}`;
  }
  const maxLoop = `    float m = -FLT_MAX;
${simd.replace('simd', 'simd reduction(max:m)')}
    for (int64_t i = 0; i < D; ++i) m = std::max(m, x[i]);`;
  if (strategy === 'store_exp' && !log) {
    return `${maxLoop}
    float s = 0.0f;
${simd.replace('simd', 'simd reduction(+:s)')}
    for (int64_t i = 0; i < D; ++i) { const float e = kf_exp(x[i] - m); o[i] = e; s += e; }
    const float inv = 1.0f / s;
${simd}
    for (int64_t i = 0; i < D; ++i) o[i] *= inv;`;
  }
  return `${maxLoop}
    float s = 0.0f;
${simd.replace('simd', 'simd reduction(+:s)')}
    for (int64_t i = 0; i < D; ++i) s += kf_exp(x[i] - m);
${finish}`;
}

export function cpuSoftmax(analysis: SupportedAnalysis, params: Params): KernelParts {
  const op = analysis.op;
  if (op.family !== 'softmax') throw new TemplateError('cpuSoftmax needs a softmax problem');
  const rank = analysis.inputs[0]!.shape.length;
  const dim = normDim(op.dim, rank);
  const log = op.op === 'log_softmax';
  const simd = flag(params, 'simd') ? '#pragma omp simd' : '';
  const source = `${CPU_HEADER}
torch::Tensor kf_forward(torch::Tensor x0) {
  TORCH_CHECK(x0.scalar_type() == at::kFloat, "float32 expected");
  auto xc = x0.contiguous();
  auto y = torch::empty_like(xc);
  const int64_t D = xc.size(${dim});
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < ${dim}; ++d) outer *= xc.size(d);
  for (int64_t d = ${dim} + 1; d < xc.dim(); ++d) inner *= xc.size(d);
  const float* __restrict__ in = xc.data_ptr<float>();
  float* __restrict__ out = y.data_ptr<float>();
  if (inner == 1) {
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < outer; ++r) {
    const float* __restrict__ x = in + r * D;
    float* __restrict__ o = out + r * D;
${rowBody(str(params, 'strategy'), log, simd)}
    }
    return y;
  }
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < outer; ++r) {
    const float* __restrict__ x = in + r * D * inner;
    float* __restrict__ o = out + r * D * inner;
    std::vector<float> m(inner, -FLT_MAX), s(inner, 0.0f);
    for (int64_t d = 0; d < D; ++d)
      for (int64_t j = 0; j < inner; ++j) m[j] = std::max(m[j], x[d * inner + j]);
    for (int64_t d = 0; d < D; ++d)
      for (int64_t j = 0; j < inner; ++j) s[j] += kf_exp(x[d * inner + j] - m[j]);
    for (int64_t d = 0; d < D; ++d)
      for (int64_t j = 0; j < inner; ++j)
        o[d * inner + j] = ${log ? 'x[d * inner + j] - m[j] - logf(s[j])' : 'kf_exp(x[d * inner + j] - m[j]) / s[j]'};
  }
  return y;
}
`;
  return oneInputParts('cpu', op.op, source, flag(params, 'fastMath') ? [...CPU_FLAGS, '-ffast-math'] : [...CPU_FLAGS], []);
}
