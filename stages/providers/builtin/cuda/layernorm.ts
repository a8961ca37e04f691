/**
 * CUDA layer norm over the trailing normalized_shape (N elements per row).
 * Short rows (N <= 32768): one block per row; float4 loads; sum and sum of squares per thread,
 * block reduction in double; optionally the row stays in shared memory between the two passes.
 * Long rows (KernelBench level 1 problem 40: 16 rows of 4M elements, where one block per row leaves
 * most SMs idle): each row is split over G blocks; a partial kernel writes (sum, sumsq) per block in
 * double, and the apply kernel re-reduces a row's G partials (cheap) before normalising its chunk.
 * G fills the GPU: SMs x (2048 / threads) x waves blocks in all.
 */
import type { SupportedAnalysis } from '../analysis.ts';
import { CUDA_HEADER, type KernelParts, type Params, TemplateError, flag, layerNormParts, num, str } from '../kernel-parts.ts';
import { CUDA_COMMON } from './common.ts';

export const LAYERNORM_SPLIT_THRESHOLD = 32768;

export function cudaLayerNorm(analysis: SupportedAnalysis, params: Params): KernelParts {
  const op = analysis.op;
  if (op.family !== 'layernorm') throw new TemplateError('cudaLayerNorm needs a layernorm problem');
  const n = op.normalized_shape.reduce((a, b) => a * b, 1);
  const threads = num(params, 'threads');
  const acc = str(params, 'acc') === 'double' ? 'double' : 'float';
  const fma = flag(params, 'fma');
  const smemCache = flag(params, 'smemCache') && n <= 12288; // 48 KB static limit
  const bpr = num(params, 'blocksPerRow');
  const waves = bpr < 0 ? -bpr : 2;
  const affine = op.affine;
  const normalise = (v: string, w: string, b: string) =>
    affine
      ? fma
        ? `fmaf(${v}, ${w} * rstd, ${b} - mean * rstd * ${w})`
        : `(${v} - mean) * rstd * ${w} + ${b}`
      : `(${v} - mean) * rstd`;
  const apply4 = (dst: string, v: string, wv: string, bv: string) =>
    ['x', 'y', 'z', 'w'].map((c) => `${dst}.${c} = ${normalise(`${v}.${c}`, `${wv}.${c}`, `${bv}.${c}`)};`).join(' ');
  const wload = affine ? 'const float4 wv = __ldg(w4 + i); const float4 bv = __ldg(b4 + i);' : 'const float4 wv = v, bv = v;';
  const wloadS = affine ? 'const float wv = __ldg(w + i); const float bv = __ldg(b + i);' : 'const float wv = 0.f, bv = 0.f;';
  const source = `${CUDA_HEADER}${CUDA_COMMON}
// Per-thread partial (sum, sumsq) over elements [lo, hi) of row xr; VEC: float4 path.
template <bool VEC>
__device__ __forceinline__ void kf_partial(const float* __restrict__ xr, int64_t lo, int64_t hi, ${acc}& s, ${acc}& ss) {
  if (VEC) {
    const float4* x4 = reinterpret_cast<const float4*>(xr);
    for (int64_t i = lo / 4 + threadIdx.x; i < hi / 4; i += blockDim.x) {
      const float4 v = __ldg(x4 + i);
      s += (${acc})v.x + (${acc})v.y + (${acc})v.z + (${acc})v.w;
      ss += (${acc})v.x * v.x + (${acc})v.y * v.y + (${acc})v.z * v.z + (${acc})v.w * v.w;
    }
  } else {
    for (int64_t i = lo + threadIdx.x; i < hi; i += blockDim.x) { const ${acc} v = xr[i]; s += v; ss += v * v; }
  }
}

template <bool VEC>
__device__ __forceinline__ void kf_apply(const float* __restrict__ xr, float* __restrict__ yr, const float* __restrict__ w,
                                         const float* __restrict__ b, int64_t lo, int64_t hi, float mean, float rstd) {
  if (VEC) {
    const float4* x4 = reinterpret_cast<const float4*>(xr);
    const float4* w4 = reinterpret_cast<const float4*>(w);
    const float4* b4 = reinterpret_cast<const float4*>(b);
    float4* y4 = reinterpret_cast<float4*>(yr);
    (void)w4; (void)b4;
    for (int64_t i = lo / 4 + threadIdx.x; i < hi / 4; i += blockDim.x) {
      const float4 v = __ldg(x4 + i);
      ${wload}
      float4 r;
      ${apply4('r', 'v', 'wv', 'bv')}
      y4[i] = r;
    }
  } else {
    for (int64_t i = lo + threadIdx.x; i < hi; i += blockDim.x) {
      const float v = xr[i];
      ${wloadS}
      yr[i] = ${normalise('v', 'wv', 'bv')};
    }
  }
}

template <bool VEC>
__global__ void __launch_bounds__(${threads}) kf_ln_row(const float* __restrict__ x, float* __restrict__ y, const float* __restrict__ w,
                                                     const float* __restrict__ b, int64_t N, float eps) {
  __shared__ double scratch[32];
  const float* xr = x + blockIdx.x * N;
  float* yr = y + blockIdx.x * N;
  ${acc} s = 0, ss = 0;
${smemCache ? `  __shared__ float4 cache[${Math.ceil(n / 4)}];
  if (VEC) {
    const float4* x4 = reinterpret_cast<const float4*>(xr);
    for (int64_t i = threadIdx.x; i < N / 4; i += blockDim.x) {
      const float4 v = __ldg(x4 + i);
      cache[i] = v;
      s += (${acc})v.x + (${acc})v.y + (${acc})v.z + (${acc})v.w;
      ss += (${acc})v.x * v.x + (${acc})v.y * v.y + (${acc})v.z * v.z + (${acc})v.w * v.w;
    }
  } else kf_partial<false>(xr, 0, N, s, ss);` : '  kf_partial<VEC>(xr, 0, N, s, ss);'}
  const double ts = kf_block_reduce((double)s, scratch, kf_warp_sum_d, 0.0);
  const double tss = kf_block_reduce((double)ss, scratch, kf_warp_sum_d, 0.0);
  const double dmean = ts / (double)N;
  const float mean = (float)dmean;
  const float rstd = (float)(1.0 / sqrt(fmax(tss / (double)N - dmean * dmean, 0.0) + (double)eps));
${smemCache ? `  if (VEC) {
    const float4* w4 = reinterpret_cast<const float4*>(w);
    const float4* b4 = reinterpret_cast<const float4*>(b);
    float4* y4 = reinterpret_cast<float4*>(yr);
    (void)w4; (void)b4;
    for (int64_t i = threadIdx.x; i < N / 4; i += blockDim.x) {
      const float4 v = cache[i];
      ${wload}
      float4 r;
      ${apply4('r', 'v', 'wv', 'bv')}
      y4[i] = r;
    }
  } else kf_apply<false>(xr, yr, w, b, 0, N, mean, rstd);` : '  kf_apply<VEC>(xr, yr, w, b, 0, N, mean, rstd);'}
}

${layerNormSplitKernelsCpp(threads, 'float', acc)}torch::Tensor kf_forward(torch::Tensor x0, torch::Tensor w0, torch::Tensor b0) {
  TORCH_CHECK(x0.is_cuda() && x0.scalar_type() == at::kFloat, "float32 CUDA tensor expected");
  auto xc = x0.contiguous();
  auto out = torch::empty_like(xc);
  const int64_t N = ${n};
  const int64_t rows = xc.numel() / N;
  if (rows == 0) return out;
  const float* x = xc.data_ptr<float>();
  float* y = out.data_ptr<float>();
  auto wc = w0.contiguous();
  auto bc = b0.contiguous();
  const float* w = ${affine ? 'wc.data_ptr<float>()' : 'nullptr'};
  const float* b = ${affine ? 'bc.data_ptr<float>()' : 'nullptr'};
  const float eps = ${op.eps};
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
${layerNormLaunchCpp(threads, waves, 4)}`;
  return layerNormParts('cuda', op, source, ['-O3'], ['-O3', '-lineinfo']);
}

/**
 * The end of kf_forward shared by the fp32 and fp16/bf16 layer norms (same kernel names and signatures):
 * the vector test, one block per row for short rows, else the split over G blocks per row. `width` is
 * the elements per 16-byte vector (4 floats, 8 halves).
 */
export function layerNormLaunchCpp(threads: number, waves: number, width: number): string {
  return `  const uintptr_t bits = reinterpret_cast<uintptr_t>(x) | reinterpret_cast<uintptr_t>(y) |
                         reinterpret_cast<uintptr_t>(w) | reinterpret_cast<uintptr_t>(b);
  const bool vec = N % ${width} == 0 && (bits & 15) == 0;
  if (N <= ${LAYERNORM_SPLIT_THRESHOLD}) {
    if (vec) kf_ln_row<true><<<(unsigned)rows, ${threads}, 0, stream>>>(x, y, w, b, N, eps);
    else kf_ln_row<false><<<(unsigned)rows, ${threads}, 0, stream>>>(x, y, w, b, N, eps);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
    return out;
  }
  const int64_t target = (int64_t)kf_sm_count() * ${Math.max(1, Math.floor(2048 / threads))} * ${waves};
  int64_t G = std::max<int64_t>(1, (target + rows - 1) / rows);
  G = std::min<int64_t>(G, std::max<int64_t>(1, N / (${threads} * ${width})));
  G = std::min<int64_t>(G, 65535);
  int64_t chunk = (N + G - 1) / G;
  chunk = (chunk + ${width - 1}) / ${width} * ${width};  // chunk boundaries stay ${width === 4 ? 'float4-aligned' : 'on 16-byte vectors'}
  G = (N + chunk - 1) / chunk;
  auto partials = torch::empty({rows * G * 2}, xc.options().dtype(at::kDouble));
  double2* p = reinterpret_cast<double2*>(partials.data_ptr<double>());
  TORCH_CHECK(rows <= 65535, "too many rows for the split layer norm");
  const dim3 grid((unsigned)G, (unsigned)rows);
  if (vec) {
    kf_ln_partial<true><<<grid, ${threads}, 0, stream>>>(x, p, N, chunk);
    kf_ln_apply<true><<<grid, ${threads}, 0, stream>>>(x, y, w, b, p, N, chunk, eps);
  } else {
    kf_ln_partial<false><<<grid, ${threads}, 0, stream>>>(x, p, N, chunk);
    kf_ln_apply<false><<<grid, ${threads}, 0, stream>>>(x, y, w, b, p, N, chunk, eps);
  }
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return out;
}
`;
}

/**
 * The split path's two kernels, shared by the fp32 and fp16/bf16 layer norms: per-block (sum, sumsq)
 * partials in double, then each block re-reduces its row's partials and normalises its chunk. `elem`
 * is the storage type, `acc` the per-thread accumulator; kf_partial and kf_apply come from the caller.
 */
export function layerNormSplitKernelsCpp(threads: number, elem: string, acc: string): string {
  return `template <bool VEC>
__global__ void __launch_bounds__(${threads}) kf_ln_partial(const ${elem}* __restrict__ x, double2* __restrict__ partials, int64_t N, int64_t chunk) {
  __shared__ double scratch[32];
  const int64_t row = blockIdx.y, g = blockIdx.x;
  const int64_t lo = g * chunk, hi = min(N, lo + chunk);
  ${acc} s = 0, ss = 0;
  kf_partial<VEC>(x + row * N, lo, hi, s, ss);
  const double ts = kf_block_reduce((double)s, scratch, kf_warp_sum_d, 0.0);
  const double tss = kf_block_reduce((double)ss, scratch, kf_warp_sum_d, 0.0);
  if (threadIdx.x == 0) partials[row * gridDim.x + g] = make_double2(ts, tss);
}

template <bool VEC>
__global__ void __launch_bounds__(${threads}) kf_ln_apply(const ${elem}* __restrict__ x, ${elem}* __restrict__ y, const ${elem}* __restrict__ w,
                                                       const ${elem}* __restrict__ b, const double2* __restrict__ partials,
                                                       int64_t N, int64_t chunk, float eps) {
  __shared__ double scratch[32];
  const int64_t row = blockIdx.y, g = blockIdx.x, G = gridDim.x;
  double s = 0, ss = 0;
  for (int64_t i = threadIdx.x; i < G; i += blockDim.x) { const double2 p = partials[row * G + i]; s += p.x; ss += p.y; }
  const double ts = kf_block_reduce(s, scratch, kf_warp_sum_d, 0.0);
  const double tss = kf_block_reduce(ss, scratch, kf_warp_sum_d, 0.0);
  const double dmean = ts / (double)N;
  const float mean = (float)dmean;
  const float rstd = (float)(1.0 / sqrt(fmax(tss / (double)N - dmean * dmean, 0.0) + (double)eps));
  const int64_t lo = g * chunk, hi = min(N, lo + chunk);
  kf_apply<VEC>(x + row * N, y + row * N, w, b, lo, hi, mean, rstd);
}

`;
}
