/**
 * CPU elementwise templates: a unary activation over a contiguous buffer, and a binary op with
 * broadcasting (the innermost dimension is a strided loop, outer rows are split across threads).
 * Parameters: chunk (elements per OpenMP work item), simd (omp simd on the inner loop), unroll
 * (GCC unroll pragma), prefetch (software prefetch of the next chunk), fastMath (-ffast-math).
 */
import type { SupportedAnalysis } from '../analysis.ts';
import { binaryExpr, unaryExpr } from '../ops.ts';
import { CPU_FLAGS, CPU_HEADER, type KernelParts, type Params, TemplateError, binaryParts, flag, num } from '../kernel-parts.ts';

function innerPragmas(params: Params): string {
  const unroll = num(params, 'unroll');
  // omp simd must sit right on its loop, so with unrolling the vectorisation hint is GCC's ivdep.
  if (unroll > 1) return `${flag(params, 'simd') ? '#pragma GCC ivdep\n' : ''}#pragma GCC unroll ${unroll}`;
  return flag(params, 'simd') ? '#pragma omp simd' : '';
}

function flags(params: Params): string[] {
  return flag(params, 'fastMath') ? [...CPU_FLAGS, '-ffast-math'] : [...CPU_FLAGS];
}

export function cpuUnary(analysis: SupportedAnalysis, params: Params): KernelParts {
  const op = analysis.op;
  if (op.family !== 'unary') throw new TemplateError('cpuUnary needs a unary problem');
  const expr = unaryExpr({ op: op.op, args: op.args }).replace(/\b(__)?expf\(/g, 'kf_exp(');
  const chunk = num(params, 'chunk');
  const prefetch = flag(params, 'prefetch')
    ? `    if (c + ${chunk} < n) { for (int64_t p = c + ${chunk}; p < std::min(n, c + 2 * ${chunk}); p += 16) __builtin_prefetch(in + p, 0, 0); }\n`
    : '';
  const source = `${CPU_HEADER}
static inline float kf_op(float v) { return ${expr}; }

torch::Tensor kf_forward(torch::Tensor x) {
  TORCH_CHECK(x.scalar_type() == at::kFloat, "float32 expected");
  auto xc = x.contiguous();
  auto y = torch::empty_like(xc);
  const float* __restrict__ in = xc.data_ptr<float>();
  float* __restrict__ out = y.data_ptr<float>();
  const int64_t n = xc.numel();
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < n; c += ${chunk}) {
    const int64_t end = std::min(n, c + (int64_t)${chunk});
${prefetch}${innerPragmas(params)}
    for (int64_t i = c; i < end; ++i) out[i] = kf_op(in[i]);
  }
  return y;
}
`;
  return {
    backend: 'cpu',
    label: op.op,
    source,
    declaration: 'torch::Tensor kf_forward(torch::Tensor x);',
    init: [],
    inputs: 1,
    call: '_ext.kf_forward(x0)',
    extraCflags: flags(params),
    extraCudaCflags: [],
  };
}

export function cpuBinary(analysis: SupportedAnalysis, params: Params): KernelParts {
  const op = analysis.op;
  if (op.family !== 'binary') throw new TemplateError('cpuBinary needs a binary problem');
  const source = `${CPU_HEADER}
static inline float kf_op(float a, float b) { return ${binaryExpr(op.op)}; }

torch::Tensor kf_forward(torch::Tensor a0, torch::Tensor b0) {
  TORCH_CHECK(a0.scalar_type() == at::kFloat && b0.scalar_type() == at::kFloat, "float32 expected");
  auto shape = at::infer_size(a0.sizes(), b0.sizes());
  auto out_t = torch::empty(shape, a0.options());
  const int64_t n = out_t.numel();
  if (n == 0) return out_t;
  float* __restrict__ out = out_t.data_ptr<float>();
  if (a0.sizes() == b0.sizes() && a0.is_contiguous() && b0.is_contiguous()) {
    const float* __restrict__ a = a0.data_ptr<float>();
    const float* __restrict__ b = b0.data_ptr<float>();
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < n; c += ${num(params, 'chunk')}) {
      const int64_t end = std::min(n, c + (int64_t)${num(params, 'chunk')});
${innerPragmas(params)}
      for (int64_t i = c; i < end; ++i) out[i] = kf_op(a[i], b[i]);
    }
    return out_t;
  }
  // Broadcast: expanded views have stride 0 along broadcast dims.
  auto a = a0.expand(shape);
  auto b = b0.expand(shape);
  const int64_t nd = (int64_t)shape.size();
  const int64_t inner = shape[nd - 1];
  const int64_t rows = n / inner;
  const int64_t sa = a.stride(nd - 1), sb = b.stride(nd - 1);
  const float* pa = a.data_ptr<float>();
  const float* pb = b.data_ptr<float>();
  std::vector<int64_t> sizes(shape.begin(), shape.end());
  std::vector<int64_t> sta(a.strides().begin(), a.strides().end()), stb(b.strides().begin(), b.strides().end());
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    int64_t rem = r, oa = 0, ob = 0;
    for (int64_t d = nd - 2; d >= 0; --d) {
      const int64_t idx = rem % sizes[d];
      rem /= sizes[d];
      oa += idx * sta[d];
      ob += idx * stb[d];
    }
    float* o = out + r * inner;
${innerPragmas(params)}
    for (int64_t i = 0; i < inner; ++i) o[i] = kf_op(pa[oa + i * sa], pb[ob + i * sb]);
  }
  return out_t;
}
`;
  return binaryParts('cpu', op.op, source, flags(params), []);
}
