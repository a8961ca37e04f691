/**
 * CUDA elementwise (unary) template for fp16 and bf16 runs: 16-byte loads of 8 elements, unpacked as
 * four half2 / __nv_bfloat162 pairs and converted to float2, the activation computed in fp32, packed
 * back with round-to-nearest. torch's nvcc flags disable the implicit half conversions
 * (__CUDA_NO_HALF_CONVERSIONS__), so every conversion is an explicit intrinsic.
 */
import type { SupportedAnalysis } from '../analysis.ts';
import { unaryExpr } from '../ops.ts';
import { CUDA_HEADER, type KernelParts, type Params, TemplateError, num, oneInputParts, str } from '../kernel-parts.ts';
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
