/**
 * CUDA fp16/bf16 layer norm over the trailing normalized_shape (N elements per row), the fp32
 * template's plan (cuda/layernorm.ts) in the low-precision types: 16-byte loads of 8 elements as four
 * half2 / bf162 pairs, per-thread (sum, sumsq) in fp32, block combine in double, normalise in fp32,
 * round-to-nearest stores. Weight and bias are the module's, in the run's dtype.
 * Short rows: one block per row. Long rows (KernelBench level 1 problem 40: 16 rows of 4M elements):
 * each row split over G blocks that fill the GPU; a partial kernel writes (sum, sumsq) per block in
 * double and the apply kernel re-reduces its row's G partials before normalising its chunk.
 */
import type { SupportedAnalysis } from '../analysis.ts';
import { type KernelParts, type Params, TemplateError, layerNormParts, num } from '../kernel-parts.ts';
import { layerNormLaunchCpp, layerNormSplitKernelsCpp } from './layernorm.ts';
import { type HalfPrecision, halfPrelude, inputCheck } from './half.ts';

export function cudaHalfLayerNorm(analysis: SupportedAnalysis, params: Params, precision: HalfPrecision): KernelParts {
  const op = analysis.op;
  if (op.family !== 'layernorm') throw new TemplateError('cudaHalfLayerNorm needs a layernorm problem');
  const n = op.normalized_shape.reduce((a, b) => a * b, 1);
  const threads = num(params, 'threads');
  const waves = num(params, 'waves');
  const affine = op.affine;
  const norm = (v: string, w: string, b: string) => (affine ? `(${v} - mean) * rstd * ${w} + ${b}` : `(${v} - mean) * rstd`);
  const source = `${halfPrelude(precision)}
// Per-thread partial (sum, sumsq) over elements [lo, hi) of row xr (lo, hi multiples of 8 when VEC).
template <bool VEC>
__device__ __forceinline__ void kf_partial(const kf_t* __restrict__ xr, int64_t lo, int64_t hi, float& s, float& ss) {
  if (VEC) {
    const uint4* x8 = reinterpret_cast<const uint4*>(xr);
    for (int64_t i = lo / 8 + threadIdx.x; i < hi / 8; i += blockDim.x) {
      const uint4 raw = __ldg(x8 + i);
      const kf_t2* h = reinterpret_cast<const kf_t2*>(&raw);
#pragma unroll
      for (int k = 0; k < 4; ++k) { const float2 f = kf_f2(h[k]); s += f.x + f.y; ss += f.x * f.x + f.y * f.y; }
    }
  } else {
    for (int64_t i = lo + threadIdx.x; i < hi; i += blockDim.x) { const float v = kf_f(xr[i]); s += v; ss += v * v; }
  }
}

template <bool VEC>
__device__ __forceinline__ void kf_apply(const kf_t* __restrict__ xr, kf_t* __restrict__ yr, const kf_t* __restrict__ w,
                                         const kf_t* __restrict__ b, int64_t lo, int64_t hi, float mean, float rstd) {
  if (VEC) {
    const uint4* x8 = reinterpret_cast<const uint4*>(xr);
    uint4* y8 = reinterpret_cast<uint4*>(yr);
    for (int64_t i = lo / 8 + threadIdx.x; i < hi / 8; i += blockDim.x) {
      uint4 raw = __ldg(x8 + i);
      kf_t2* h = reinterpret_cast<kf_t2*>(&raw);
${affine ? `      const uint4 wraw = __ldg(reinterpret_cast<const uint4*>(w) + i), braw = __ldg(reinterpret_cast<const uint4*>(b) + i);
      const kf_t2* wh = reinterpret_cast<const kf_t2*>(&wraw);
      const kf_t2* bh = reinterpret_cast<const kf_t2*>(&braw);` : '      (void)w; (void)b;'}
#pragma unroll
      for (int k = 0; k < 4; ++k) {
        const float2 f = kf_f2(h[k]);
${affine ? '        const float2 wf = kf_f2(wh[k]), bf = kf_f2(bh[k]);' : ''}
        h[k] = kf_h2(${norm('f.x', 'wf.x', 'bf.x')}, ${norm('f.y', 'wf.y', 'bf.y')});
      }
      y8[i] = raw;
    }
  } else {
    for (int64_t i = lo + threadIdx.x; i < hi; i += blockDim.x) {
      const float v = kf_f(xr[i]);
      yr[i] = kf_h(${affine ? norm('v', 'kf_f(w[i])', 'kf_f(b[i])') : norm('v', '', '')});
    }
  }
}

__device__ __forceinline__ void kf_stats(double ts, double tss, int64_t N, float eps, float& mean, float& rstd) {
  const double dmean = ts / (double)N;
  mean = (float)dmean;
  rstd = (float)(1.0 / sqrt(fmax(tss / (double)N - dmean * dmean, 0.0) + (double)eps));
}

template <bool VEC>
__global__ void __launch_bounds__(${threads}) kf_ln_row(const kf_t* __restrict__ x, kf_t* __restrict__ y, const kf_t* __restrict__ w,
                                                     const kf_t* __restrict__ b, int64_t N, float eps) {
  __shared__ double scratch[32];
  const kf_t* xr = x + (int64_t)blockIdx.x * N;
  float s = 0.f, ss = 0.f, mean, rstd;
  kf_partial<VEC>(xr, 0, N, s, ss);
  const double ts = kf_block_reduce((double)s, scratch, kf_warp_sum_d, 0.0);
  const double tss = kf_block_reduce((double)ss, scratch, kf_warp_sum_d, 0.0);
  kf_stats(ts, tss, N, eps, mean, rstd);
  kf_apply<VEC>(xr, y + (int64_t)blockIdx.x * N, w, b, 0, N, mean, rstd);
}

${layerNormSplitKernelsCpp(threads, 'kf_t', 'float')}torch::Tensor kf_forward(torch::Tensor x0, torch::Tensor w0, torch::Tensor b0) {
  ${inputCheck(precision)}
  auto xc = x0.contiguous();
  auto out = torch::empty_like(xc);
  const int64_t N = ${n};
  const int64_t rows = xc.numel() / N;
  if (rows == 0) return out;
  auto wc = w0.contiguous();
  auto bc = b0.contiguous();
  ${affine ? 'TORCH_CHECK(wc.scalar_type() == xc.scalar_type() && bc.scalar_type() == xc.scalar_type(), "weight and bias in the input dtype expected");' : ''}
  const kf_t* x = reinterpret_cast<const kf_t*>(xc.data_ptr());
  kf_t* y = reinterpret_cast<kf_t*>(out.data_ptr());
  const kf_t* w = ${affine ? 'reinterpret_cast<const kf_t*>(wc.data_ptr())' : 'nullptr'};
  const kf_t* b = ${affine ? 'reinterpret_cast<const kf_t*>(bc.data_ptr())' : 'nullptr'};
  const float eps = ${op.eps};
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
${layerNormLaunchCpp(threads, waves, 8)}`;
  return layerNormParts('cuda', op, source, ['-O3'], ['-O3', '-lineinfo']);
}
