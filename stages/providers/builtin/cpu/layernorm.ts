/**
 * CPU layer norm over the trailing normalized_shape, one row per normalised group.
 * stats: 'two_pass' (mean, then centred variance: the most accurate), 'welford' (one read, running
 * mean and M2), 'sumsq' (one read of sum and sum of squares accumulated in double).
 * The weight and bias come from an nn.LayerNorm created under the reference's attribute name.
 */
import type { SupportedAnalysis } from '../analysis.ts';
import { CPU_FLAGS, CPU_HEADER, type KernelParts, type Params, TemplateError, flag, layerNormParts, str } from '../kernel-parts.ts';

function stats(kind: string, simd: string): string {
  if (kind === 'welford') {
    return `    double mean = 0.0, m2 = 0.0;
    for (int64_t i = 0; i < N; ++i) {
      const double v = x[i];
      const double d = v - mean;
      mean += d / (double)(i + 1);
      m2 += d * (v - mean);
    }
    const double var = m2 / (double)N;`;
  }
  if (kind === 'sumsq') {
    return `    double s = 0.0, ss = 0.0;
${simd.replace('simd', 'simd reduction(+:s,ss)')}
    for (int64_t i = 0; i < N; ++i) { const double v = x[i]; s += v; ss += v * v; }
    const double mean = s / (double)N;
    const double var = std::max(0.0, ss / (double)N - mean * mean);`;
  }
  return `    double s = 0.0;
${simd.replace('simd', 'simd reduction(+:s)')}
    for (int64_t i = 0; i < N; ++i) s += x[i];
    const double mean = s / (double)N;
    const float mf = (float)mean;
    double ss = 0.0;
${simd.replace('simd', 'simd reduction(+:ss)')}
    for (int64_t i = 0; i < N; ++i) { const float d = x[i] - mf; ss += (double)(d * d); }
    const double var = ss / (double)N;`;
}

export function cpuLayerNorm(analysis: SupportedAnalysis, params: Params): KernelParts {
  const op = analysis.op;
  if (op.family !== 'layernorm') throw new TemplateError('cpuLayerNorm needs a layernorm problem');
  const simd = flag(params, 'simd') ? '#pragma omp simd' : '';
  const n = op.normalized_shape.reduce((a, b) => a * b, 1);
  const affine = op.affine;
  const source = `${CPU_HEADER}
torch::Tensor kf_forward(torch::Tensor x0, torch::Tensor w0, torch::Tensor b0) {
  TORCH_CHECK(x0.scalar_type() == at::kFloat, "float32 expected");
  auto xc = x0.contiguous();
  auto y = torch::empty_like(xc);
  const int64_t N = ${n};
  const int64_t rows = xc.numel() / N;
  const float* __restrict__ in = xc.data_ptr<float>();
  float* __restrict__ out = y.data_ptr<float>();
${affine ? '  auto wc = w0.contiguous(); auto bc = b0.contiguous();\n  const float* __restrict__ w = wc.data_ptr<float>();\n  const float* __restrict__ b = bc.data_ptr<float>();' : ''}
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* __restrict__ x = in + r * N;
    float* __restrict__ o = out + r * N;
${stats(str(params, 'stats'), simd)}
    const float rstd = (float)(1.0 / std::sqrt(var + ${op.eps}));
    const float mu = (float)mean;
${simd}
    for (int64_t i = 0; i < N; ++i) o[i] = (x[i] - mu) * rstd${affine ? ' * w[i] + b[i]' : ''};
  }
  return y;
}
`;
  return layerNormParts('cpu', op, source, flag(params, 'fastMath') ? [...CPU_FLAGS, '-ffast-math'] : [...CPU_FLAGS], []);
}
