/**
 * CUDA softmax / log-softmax. Rows (softmax over the last dim): one block of `threads` per row.
 * strategy 'online': one float4 pass keeps a per-thread running (max, sum) updated once per vector,
 * combined across the block with warp shuffles; then one write pass. 'two_pass': max pass, then sum
 * pass. 'smem_cache': the row is staged in dynamic shared memory on the first read when it fits
 * (opt-in up to the device limit), otherwise falls back to 'online'. `ilp` float4s are loaded before
 * any update. Softmax over an inner dim uses a column kernel (one thread per output column).
 */
import type { SupportedAnalysis } from '../analysis.ts';
import { CUDA_HEADER, type KernelParts, type Params, TemplateError, oneInputParts, flag, normDim, num, str } from '../kernel-parts.ts';
import { CUDA_COMMON } from './common.ts';

export function cudaSoftmax(analysis: SupportedAnalysis, params: Params): KernelParts {
  const op = analysis.op;
  if (op.family !== 'softmax') throw new TemplateError('cudaSoftmax needs a softmax problem');
  const dim = normDim(op.dim, analysis.inputs[0]!.shape.length);
  const log = op.op === 'log_softmax';
  const threads = num(params, 'threads');
  const ilp = num(params, 'ilp');
  const strategy = str(params, 'strategy');
  const EXP = flag(params, 'fast') ? '__expf' : 'expf';
  const writeExpr = (v: string) => (log ? `(${v} - lse)` : `${EXP}(${v} - m) * inv`);
  const source = `${CUDA_HEADER}${CUDA_COMMON}
#define KF_EXP ${EXP}

// Merge two (max, sum) pairs; an empty pair has max -inf and sum 0.
__device__ __forceinline__ void kf_merge(float& m, float& s, float om, float os) {
  const float nm = fmaxf(m, om);
  if (nm == -INFINITY) return;
  s = (m == -INFINITY ? 0.0f : s * KF_EXP(m - nm)) + (om == -INFINITY ? 0.0f : os * KF_EXP(om - nm));
  m = nm;
}

__device__ __forceinline__ void kf_add4(float& m, float& s, float4 v) {
  const float nm = fmaxf(fmaxf(fmaxf(v.x, v.y), fmaxf(v.z, v.w)), m);
  s = (m == -INFINITY ? 0.0f : s * KF_EXP(m - nm)) + KF_EXP(v.x - nm) + KF_EXP(v.y - nm) + KF_EXP(v.z - nm) + KF_EXP(v.w - nm);
  m = nm;
}

// Block-wide (max, sum) combine; every thread receives the row's pair.
__device__ __forceinline__ void kf_block_merge(float& m, float& s) {
  __shared__ float sm[32], ss[32];
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    const float om = __shfl_xor_sync(0xffffffffu, m, o), os = __shfl_xor_sync(0xffffffffu, s, o);
    kf_merge(m, s, om, os);
  }
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  __syncthreads();
  if (lane == 0) { sm[warp] = m; ss[warp] = s; }
  __syncthreads();
  m = lane < (int)(blockDim.x >> 5) ? sm[lane] : -INFINITY;
  s = lane < (int)(blockDim.x >> 5) ? ss[lane] : 0.0f;
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    const float om = __shfl_xor_sync(0xffffffffu, m, o), os = __shfl_xor_sync(0xffffffffu, s, o);
    kf_merge(m, s, om, os);
  }
}

// MODE 0: online, 1: two_pass, 2: online with the row staged in shared memory.
template <int MODE>
__global__ void __launch_bounds__(${threads}) kf_softmax_rows(const float* __restrict__ x, float* __restrict__ y, int64_t D) {
  extern __shared__ float4 cache[];
  __shared__ float scratch[32];
  const int64_t row = blockIdx.x;
  const float4* xr = reinterpret_cast<const float4*>(x + row * D);
  float4* yr = reinterpret_cast<float4*>(y + row * D);
  const int nv = (int)(D / 4);
  const int tid = threadIdx.x;
  float m = -INFINITY, s = 0.0f;
  if (MODE == 1) {
    float mx = -INFINITY;
    for (int i = tid; i < nv; i += ${threads}) { const float4 v = __ldg(xr + i); mx = fmaxf(mx, fmaxf(fmaxf(v.x, v.y), fmaxf(v.z, v.w))); }
    m = kf_block_reduce(mx, scratch, kf_warp_max, -INFINITY);
    float acc = 0.0f;
    for (int i = tid; i < nv; i += ${threads}) { const float4 v = __ldg(xr + i); acc += KF_EXP(v.x - m) + KF_EXP(v.y - m) + KF_EXP(v.z - m) + KF_EXP(v.w - m); }
    s = kf_block_reduce(acc, scratch, kf_warp_sum, 0.0f);
  } else {
    int i = tid;
    for (; i + ${(ilp - 1) * threads} < nv; i += ${ilp * threads}) {
      float4 v[${ilp}];
#pragma unroll
      for (int u = 0; u < ${ilp}; ++u) v[u] = __ldg(xr + i + u * ${threads});
#pragma unroll
      for (int u = 0; u < ${ilp}; ++u) { if (MODE == 2) cache[i + u * ${threads}] = v[u]; kf_add4(m, s, v[u]); }
    }
    for (; i < nv; i += ${threads}) { const float4 v = __ldg(xr + i); if (MODE == 2) cache[i] = v; kf_add4(m, s, v); }
    kf_block_merge(m, s);
  }
  const float inv = 1.0f / s;
  const float lse = m + logf(s);
  (void)inv; (void)lse;
  for (int i = tid; i < nv; i += ${threads}) {
    const float4 v = MODE == 2 ? cache[i] : __ldg(xr + i);
    float4 r;
    r.x = ${writeExpr('v.x')}; r.y = ${writeExpr('v.y')}; r.z = ${writeExpr('v.z')}; r.w = ${writeExpr('v.w')};
    yr[i] = r;
  }
}

// Any D, any alignment, and softmax over a non-last dim: one thread per (outer, inner) column.
__global__ void kf_softmax_cols(const float* __restrict__ x, float* __restrict__ y, int64_t outer, int64_t D, int64_t inner) {
  const int64_t c = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= outer * inner) return;
  const int64_t o = c / inner, j = c % inner;
  const float* xp = x + o * D * inner + j;
  float* yp = y + o * D * inner + j;
  float m = -INFINITY;
  for (int64_t d = 0; d < D; ++d) m = fmaxf(m, xp[d * inner]);
  float s = 0.0f;
  for (int64_t d = 0; d < D; ++d) s += KF_EXP(xp[d * inner] - m);
  const float inv = 1.0f / s;
  const float lse = m + logf(s);
  (void)inv; (void)lse;
  for (int64_t d = 0; d < D; ++d) yp[d * inner] = ${writeExpr('xp[d * inner]')};
}

torch::Tensor kf_forward(torch::Tensor x0) {
  TORCH_CHECK(x0.is_cuda() && x0.scalar_type() == at::kFloat, "float32 CUDA tensor expected");
  auto xc = x0.contiguous();
  auto out = torch::empty_like(xc);
  if (xc.numel() == 0) return out;
  const int64_t D = xc.size(${dim});
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < ${dim}; ++d) outer *= xc.size(d);
  for (int64_t d = ${dim} + 1; d < xc.dim(); ++d) inner *= xc.size(d);
  const float* x = xc.data_ptr<float>();
  float* y = out.data_ptr<float>();
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const bool aligned = ((reinterpret_cast<uintptr_t>(x) | reinterpret_cast<uintptr_t>(y)) & 15) == 0;
  if (inner == 1 && D % 4 == 0 && aligned && outer <= 2147483647LL && D / 4 <= 2147483647LL) {
    int mode = ${strategy === 'two_pass' ? 1 : strategy === 'smem_cache' ? 2 : 0};
    size_t smem = 0;
    if (mode == 2) {
      int dev = 0, optin = 0;
      cudaGetDevice(&dev);
      cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev);
      smem = (size_t)D * sizeof(float);
      if (smem + 1024 > (size_t)optin) { mode = 0; smem = 0; }
      else C10_CUDA_CHECK(cudaFuncSetAttribute(kf_softmax_rows<2>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem));
    }
    if (mode == 0) kf_softmax_rows<0><<<(unsigned)outer, ${threads}, 0, stream>>>(x, y, D);
    else if (mode == 1) kf_softmax_rows<1><<<(unsigned)outer, ${threads}, 0, stream>>>(x, y, D);
    else kf_softmax_rows<2><<<(unsigned)outer, ${threads}, smem, stream>>>(x, y, D);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
    return out;
  }
  const int64_t cols = outer * inner;
  kf_softmax_cols<<<(unsigned)((cols + 255) / 256), 256, 0, stream>>>(x, y, outer, D, inner);
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return out;
}
`;
  return oneInputParts('cuda', op.op, source, ['-O3'], ['-O3', '-lineinfo']);
}
