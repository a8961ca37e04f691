/**
 * CUDA templates for fp16 and bf16 runs. Elementwise: 16-byte loads of 8 elements, unpacked as four
 * half2 / __nv_bfloat162 pairs and converted to float2, the activation computed in fp32, packed back
 * with round-to-nearest. Softmax (last dim): one block per row, 16-byte loads when the row allows,
 * online (max, sum) per thread in fp32, then a write pass with the same 16-byte accesses. Reductions: fp32 accumulators, a 128 x 4
 * block along the contiguous inner dim (or one block per output when the reduced dim is innermost).
 * torch's nvcc flags disable the implicit half conversions (__CUDA_NO_HALF_CONVERSIONS__), so every
 * conversion is an explicit intrinsic.
 */
import type { SupportedAnalysis } from '../analysis.ts';
import { unaryExpr } from '../ops.ts';
import { CUDA_HEADER, type KernelParts, type Params, TemplateError, normDim, num, oneInputParts, str } from '../kernel-parts.ts';
import { CUDA_COMMON } from './common.ts';

export type HalfPrecision = 'fp16' | 'bf16';

const TYPES: Record<HalfPrecision, { t: string; t2: string; to2: string; from2: string; to1: string; from1: string; at: string }> = {
  fp16: { t: '__half', t2: '__half2', to2: '__half22float2', from2: '__floats2half2_rn', to1: '__half2float', from1: '__float2half_rn', at: 'at::kHalf' },
  bf16: { t: '__nv_bfloat16', t2: '__nv_bfloat162', to2: '__bfloat1622float2', from2: '__floats2bfloat162_rn', to1: '__bfloat162float', from1: '__float2bfloat16_rn', at: 'at::kBFloat16' },
};

export function cudaHalfUnary(analysis: SupportedAnalysis, params: Params, precision: HalfPrecision): KernelParts {
  const op = analysis.op;
  if (op.family !== 'unary') throw new TemplateError('cudaHalfUnary needs a unary problem');
  const T = TYPES[precision];
  const block = num(params, 'block');
  const need = `(nvec + ${block - 1}) / ${block}`;
  const blocks = str(params, 'grid') === 'exact'
    ? `std::max<int64_t>(1, std::min<int64_t>(${need}, 2147483647LL))`
    : `std::max<int64_t>(1, std::min<int64_t>(${need}, (int64_t)kf_sm_count() * ${Math.max(1, Math.floor(2048 / block)) * num(params, 'waves')}))`;
  const source = `${CUDA_HEADER}#include <cuda_fp16.h>
#include <cuda_bf16.h>
${CUDA_COMMON}
typedef ${T.t} kf_t;
typedef ${T.t2} kf_t2;
__device__ __forceinline__ float kf_op(float v) { return ${unaryExpr({ op: op.op, args: op.args })}; }

// 8 elements per 16-byte load; fp32 arithmetic in between.
__global__ void __launch_bounds__(${block}) kf_unary_vec(const uint4* __restrict__ x, uint4* __restrict__ y, int64_t nvec) {
  const int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < nvec; i += stride) {
    uint4 raw = __ldg(x + i);
    kf_t2* h = reinterpret_cast<kf_t2*>(&raw);
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      float2 f = ${T.to2}(h[k]);
      h[k] = ${T.from2}(kf_op(f.x), kf_op(f.y));
    }
    y[i] = raw;
  }
}

__global__ void kf_unary_tail(const kf_t* __restrict__ x, kf_t* __restrict__ y, int64_t start, int64_t n) {
  const int64_t i = start + (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = ${T.from1}(kf_op(${T.to1}(x[i])));
}

torch::Tensor kf_forward(torch::Tensor x0) {
  TORCH_CHECK(x0.is_cuda() && x0.scalar_type() == ${T.at}, "${precision} CUDA tensor expected");
  auto xc = x0.contiguous();
  auto out = torch::empty_like(xc);
  const int64_t n = xc.numel();
  if (n == 0) return out;
  const kf_t* x = reinterpret_cast<const kf_t*>(xc.data_ptr());
  kf_t* y = reinterpret_cast<kf_t*>(out.data_ptr());
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const bool aligned = ((reinterpret_cast<uintptr_t>(x) | reinterpret_cast<uintptr_t>(y)) & 15) == 0;
  int64_t done = 0;
  if (aligned && n >= 8) {
    const int64_t nvec = n / 8;
    const int64_t blocks = ${blocks};
    kf_unary_vec<<<(unsigned)blocks, ${block}, 0, stream>>>(reinterpret_cast<const uint4*>(x), reinterpret_cast<uint4*>(y), nvec);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
    done = nvec * 8;
  }
  if (done < n) {
    kf_unary_tail<<<(unsigned)((n - done + 255) / 256), 256, 0, stream>>>(x, y, done, n);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  }
  return out;
}
`;
  return oneInputParts('cuda', `${op.op}_${precision}`, source, ['-O3'], ['-O3', '-lineinfo']);
}

export function halfPrelude(precision: HalfPrecision): string {
  const T = TYPES[precision];
  return `${CUDA_HEADER}#include <cuda_fp16.h>
#include <cuda_bf16.h>
${CUDA_COMMON}
typedef ${T.t} kf_t;
typedef ${T.t2} kf_t2;
__device__ __forceinline__ float kf_f(kf_t v) { return ${T.to1}(v); }
__device__ __forceinline__ kf_t kf_h(float v) { return ${T.from1}(v); }
__device__ __forceinline__ float2 kf_f2(kf_t2 v) { return ${T.to2}(v); }
__device__ __forceinline__ kf_t2 kf_h2(float a, float b) { return ${T.from2}(a, b); }
`;
}

export const inputCheck = (precision: HalfPrecision) =>
  `TORCH_CHECK(x0.is_cuda() && x0.scalar_type() == ${TYPES[precision].at}, "${precision} CUDA tensor expected");`;

export function cudaHalfSoftmax(analysis: SupportedAnalysis, params: Params, precision: HalfPrecision): KernelParts {
  const op = analysis.op;
  if (op.family !== 'softmax') throw new TemplateError('cudaHalfSoftmax needs a softmax problem');
  const shape = analysis.inputs[0]!.shape;
  if (normDim(op.dim, shape.length) !== shape.length - 1) throw new TemplateError('the builtin fp16/bf16 CUDA softmax reduces the last dim only');
  const threads = num(params, 'threads');
  const out = op.op === 'log_softmax' ? 'v - M - logf(S)' : '__expf(v - M) * inv';
  const source = `${halfPrelude(precision)}
__device__ __forceinline__ void kf_online(float v, float& m, float& s) {
  if (v > m) { s = s * __expf(m - v) + 1.0f; m = v; } else { s += __expf(v - m); }
}

__global__ void __launch_bounds__(${threads}) kf_softmax(const kf_t* __restrict__ x, kf_t* __restrict__ y, int64_t ncols, bool vec) {
  __shared__ float scratch[32];
  const kf_t* xr = x + (int64_t)blockIdx.x * ncols;
  kf_t* yr = y + (int64_t)blockIdx.x * ncols;
  float m = -FLT_MAX, s = 0.0f;
  if (vec) {
    const uint4* xv = reinterpret_cast<const uint4*>(xr);
    for (int64_t i = threadIdx.x; i < ncols / 8; i += blockDim.x) {
      uint4 raw = __ldg(xv + i);
      const kf_t2* h = reinterpret_cast<const kf_t2*>(&raw);
#pragma unroll
      for (int k = 0; k < 4; ++k) { float2 f = kf_f2(h[k]); kf_online(f.x, m, s); kf_online(f.y, m, s); }
    }
  } else {
    for (int64_t i = threadIdx.x; i < ncols; i += blockDim.x) kf_online(kf_f(xr[i]), m, s);
  }
  // Block max, then every thread rescales its partial sum to it before the block sum.
  const float M = kf_block_reduce(m, scratch, kf_warp_max, -FLT_MAX);
  const float S = kf_block_reduce(s * __expf(m - M), scratch, kf_warp_sum, 0.0f);
  const float inv = 1.0f / S;
  (void)inv;
  // The write pass is 2/3 of the traffic: the same 16-byte accesses as the first pass where they fit.
  if (vec) {
    const uint4* xv = reinterpret_cast<const uint4*>(xr);
    uint4* yv = reinterpret_cast<uint4*>(yr);
    for (int64_t i = threadIdx.x; i < ncols / 8; i += blockDim.x) {
      uint4 raw = __ldg(xv + i);
      kf_t2* h = reinterpret_cast<kf_t2*>(&raw);
#pragma unroll
      for (int k = 0; k < 4; ++k) {
        const float2 f = kf_f2(h[k]);
        float v = f.x;
        const float a = ${out};
        v = f.y;
        h[k] = kf_h2(a, ${out});
      }
      yv[i] = raw;
    }
  } else {
    for (int64_t i = threadIdx.x; i < ncols; i += blockDim.x) { const float v = kf_f(xr[i]); yr[i] = kf_h(${out}); }
  }
}

torch::Tensor kf_forward(torch::Tensor x0) {
  ${inputCheck(precision)}
  auto xc = x0.contiguous();
  auto out = torch::empty_like(xc);
  const int64_t ncols = xc.size(xc.dim() - 1);
  const int64_t rows = ncols ? xc.numel() / ncols : 0;
  if (rows == 0) return out;
  TORCH_CHECK(rows <= 2147483647LL, "too many rows for the grid");
  const bool vec = ncols % 8 == 0 &&
                   ((reinterpret_cast<uintptr_t>(xc.data_ptr()) | reinterpret_cast<uintptr_t>(out.data_ptr())) & 15) == 0;
  kf_softmax<<<(unsigned)rows, ${threads}, 0, c10::cuda::getCurrentCUDAStream()>>>(
      reinterpret_cast<const kf_t*>(xc.data_ptr()), reinterpret_cast<kf_t*>(out.data_ptr()), ncols, vec);
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return out;
}
`;
  return oneInputParts('cuda', `${op.op}_${precision}`, source, ['-O3'], ['-O3', '-lineinfo']);
}

const REDUCE_C: Record<string, { ident: string; combine: string; warp: string }> = {
  sum: { ident: '0.0f', combine: 'a + b', warp: 'kf_warp_sum' },
  mean: { ident: '0.0f', combine: 'a + b', warp: 'kf_warp_sum' },
  max: { ident: '-FLT_MAX', combine: 'fmaxf(a, b)', warp: 'kf_warp_max' },
  min: { ident: 'FLT_MAX', combine: 'fminf(a, b)', warp: 'kf_warp_min' },
};

export function cudaHalfReduction(analysis: SupportedAnalysis, params: Params, precision: HalfPrecision): KernelParts {
  const op = analysis.op;
  if (op.family !== 'reduction') throw new TemplateError('cudaHalfReduction needs a reduction problem');
  const shape = analysis.inputs[0]!.shape;
  const d = normDim(op.dim, shape.length);
  const outShape = shape.map((v, i) => (i === d ? 1 : v)).filter((_, i) => op.keepdim || i !== d);
  const red = REDUCE_C[op.op]!;
  const scale = op.op === 'mean' ? ' / (float)R' : '';
  const splitY = num(params, 'splitY');
  const source = `${halfPrelude(precision)}
__device__ __forceinline__ float kf_combine(float a, float b) { return ${red.combine}; }

// The reduced dim is not innermost: threadIdx.x runs along the contiguous inner dim, threadIdx.y
// splits the reduced dim, partials combined in shared memory. Four loads in flight per thread.
__global__ void __launch_bounds__(${128 * splitY}) kf_reduce_cols(const kf_t* __restrict__ x, kf_t* __restrict__ y, int64_t R, int64_t inner) {
  __shared__ float part[${splitY}][128];
  const int64_t col = (int64_t)blockIdx.x * 128 + threadIdx.x;
  const kf_t* base = x + (int64_t)blockIdx.y * R * inner + col;
  float acc[4] = {${red.ident}, ${red.ident}, ${red.ident}, ${red.ident}};
  if (col < inner) {
    int64_t r = threadIdx.y;
    for (; r + 3 * ${splitY} < R; r += 4 * ${splitY}) {
#pragma unroll
      for (int u = 0; u < 4; ++u) acc[u] = kf_combine(acc[u], kf_f(base[(r + u * ${splitY}) * inner]));
    }
    for (; r < R; r += ${splitY}) acc[0] = kf_combine(acc[0], kf_f(base[r * inner]));
  }
  part[threadIdx.y][threadIdx.x] = kf_combine(kf_combine(acc[0], acc[1]), kf_combine(acc[2], acc[3]));
  __syncthreads();
  if (threadIdx.y == 0 && col < inner) {
    float v = part[0][threadIdx.x];
#pragma unroll
    for (int k = 1; k < ${splitY}; ++k) v = kf_combine(v, part[k][threadIdx.x]);
    y[(int64_t)blockIdx.y * inner + col] = kf_h(v${scale});
  }
}

// The reduced dim is innermost: one block per output.
__global__ void __launch_bounds__(256) kf_reduce_rows(const kf_t* __restrict__ x, kf_t* __restrict__ y, int64_t R) {
  __shared__ float scratch[32];
  const kf_t* row = x + (int64_t)blockIdx.x * R;
  float acc = ${red.ident};
  for (int64_t r = threadIdx.x; r < R; r += blockDim.x) acc = kf_combine(acc, kf_f(row[r]));
  acc = kf_block_reduce(acc, scratch, ${red.warp}, ${red.ident});
  if (threadIdx.x == 0) y[blockIdx.x] = kf_h(acc${scale});
}

torch::Tensor kf_forward(torch::Tensor x0) {
  ${inputCheck(precision)}
  auto xc = x0.contiguous();
  const int64_t d = ${d};
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < d; ++i) outer *= xc.size(i);
  for (int64_t i = d + 1; i < xc.dim(); ++i) inner *= xc.size(i);
  const int64_t R = xc.size(d);
  auto out = torch::empty(${JSON.stringify(outShape).replace('[', '{').replace(']', '}')}, xc.options());
  if (out.numel() == 0) return out;
  const kf_t* x = reinterpret_cast<const kf_t*>(xc.data_ptr());
  kf_t* y = reinterpret_cast<kf_t*>(out.data_ptr());
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  if (inner == 1) {
    kf_reduce_rows<<<(unsigned)outer, 256, 0, stream>>>(x, y, R);
  } else {
    TORCH_CHECK(outer <= 65535, "too many outer rows for the grid");
    kf_reduce_cols<<<dim3((unsigned)((inner + 127) / 128), (unsigned)outer), dim3(128, ${splitY}), 0, stream>>>(x, y, R, inner);
  }
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return out;
}
`;
  return oneInputParts('cuda', `${op.op}_${precision}`, source, ['-O3'], ['-O3', '-lineinfo']);
}
