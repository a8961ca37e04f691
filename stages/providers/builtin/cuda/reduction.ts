/**
 * CUDA sum / mean / max / min over one dimension, viewed as (outer, R, inner).
 * inner == 1 (contiguous rows): one block of threadsRow threads per output, float4 loads when
 * aligned, warp-shuffle block reduction.
 * inner > 1: threads run along the contiguous inner dim (coalesced) and walk the reduced dim with
 * `unroll` independent accumulators; splitY > 1 splits the reduced dim across the y threads of a
 * (block / splitY) x splitY block, combined in shared memory. Blocks are numbered flat, so any
 * outer size fits the grid.
 */
import type { SupportedAnalysis } from '../analysis.ts';
import { CUDA_HEADER, type KernelParts, type Params, TemplateError, oneInputParts, num } from '../kernel-parts.ts';
import { reduceOps, reductionShapes } from '../cpu/reduction.ts';
import { CUDA_COMMON } from './common.ts';

export function cudaReduction(analysis: SupportedAnalysis, params: Params): KernelParts {
  const op = analysis.op;
  if (op.family !== 'reduction') throw new TemplateError('cudaReduction needs a reduction problem');
  const { dim, outShape } = reductionShapes(analysis);
  const r = reduceOps(op.op);
  const block = num(params, 'block');
  const splitY = Math.min(num(params, 'splitY'), block / 32);
  const bx = block / splitY;
  const unroll = num(params, 'unroll');
  const threadsRow = num(params, 'threadsRow');
  const warpOp = op.op === 'max' ? 'kf_warp_max' : op.op === 'min' ? 'kf_warp_min' : 'kf_warp_sum';
  const finish = (v: string) => (op.op === 'mean' ? `${v} / (float)R` : v);
  const source = `${CUDA_HEADER}${CUDA_COMMON}
__device__ __forceinline__ float kf_comb(float a, float b) { return ${r.combine('a', 'b')}; }

template <bool VEC>
__global__ void __launch_bounds__(${threadsRow}) kf_reduce_rows(const float* __restrict__ x, float* __restrict__ y, int64_t R) {
  __shared__ float scratch[32];
  const float* xr = x + (int64_t)blockIdx.x * R;
  float acc = ${r.init};
  if (VEC) {
    const float4* x4 = reinterpret_cast<const float4*>(xr);
    for (int64_t i = threadIdx.x; i < R / 4; i += ${threadsRow}) {
      const float4 v = __ldg(x4 + i);
      acc = kf_comb(acc, kf_comb(kf_comb(v.x, v.y), kf_comb(v.z, v.w)));
    }
  } else {
    for (int64_t i = threadIdx.x; i < R; i += ${threadsRow}) acc = kf_comb(acc, __ldg(xr + i));
  }
  acc = kf_block_reduce(acc, scratch, ${warpOp}, ${r.init});
  if (threadIdx.x == 0) y[blockIdx.x] = ${finish('acc')};
}

__global__ void __launch_bounds__(${block}) kf_reduce_cols(const float* __restrict__ x, float* __restrict__ y,
                                                         int64_t outer, int64_t R, int64_t inner, int64_t tiles) {
  const int64_t o = blockIdx.x / tiles;
  const int64_t j = (blockIdx.x % tiles) * ${bx} + threadIdx.x;
  const int ty = threadIdx.y;
  float acc[${unroll}];
#pragma unroll
  for (int u = 0; u < ${unroll}; ++u) acc[u] = ${r.init};
  if (j < inner) {
    const float* p = x + o * R * inner + j;
    int64_t i = ty;
    for (; i + ${(unroll - 1) * splitY} < R; i += ${unroll * splitY}) {
      float v[${unroll}];
#pragma unroll
      for (int u = 0; u < ${unroll}; ++u) v[u] = __ldg(p + (i + u * ${splitY}) * inner);
#pragma unroll
      for (int u = 0; u < ${unroll}; ++u) acc[u] = kf_comb(acc[u], v[u]);
    }
    for (; i < R; i += ${splitY}) acc[0] = kf_comb(acc[0], __ldg(p + i * inner));
  }
  float t = acc[0];
#pragma unroll
  for (int u = 1; u < ${unroll}; ++u) t = kf_comb(t, acc[u]);
${splitY > 1 ? `  __shared__ float part[${splitY}][${bx}];
  part[ty][threadIdx.x] = t;
  __syncthreads();
  if (ty != 0) return;
#pragma unroll
  for (int k = 1; k < ${splitY}; ++k) t = kf_comb(t, part[k][threadIdx.x]);` : ''}
  if (j < inner) y[o * inner + j] = ${finish('t')};
}

torch::Tensor kf_forward(torch::Tensor x0) {
  TORCH_CHECK(x0.is_cuda() && x0.scalar_type() == at::kFloat, "float32 CUDA tensor expected");
  auto xc = x0.contiguous();
  const int64_t R = xc.size(${dim});
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < ${dim}; ++d) outer *= xc.size(d);
  for (int64_t d = ${dim} + 1; d < xc.dim(); ++d) inner *= xc.size(d);
  auto out = torch::empty({${outShape.join(', ')}}, xc.options());
  if (out.numel() == 0) return out;
  const float* x = xc.data_ptr<float>();
  float* y = out.data_ptr<float>();
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  if (inner == 1) {
    const bool vec = R % 4 == 0 && (reinterpret_cast<uintptr_t>(x) & 15) == 0;
    if (vec) kf_reduce_rows<true><<<(unsigned)outer, ${threadsRow}, 0, stream>>>(x, y, R);
    else kf_reduce_rows<false><<<(unsigned)outer, ${threadsRow}, 0, stream>>>(x, y, R);
  } else {
    const int64_t tiles = (inner + ${bx} - 1) / ${bx};
    kf_reduce_cols<<<(unsigned)(outer * tiles), dim3(${bx}, ${splitY}), 0, stream>>>(x, y, outer, R, inner, tiles);
  }
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return out;
}
`;
  return oneInputParts('cuda', op.op, source, ['-O3'], ['-O3', '-lineinfo']);
}
