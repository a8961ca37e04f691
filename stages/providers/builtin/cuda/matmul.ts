/**
 * CUDA fp32 SIMT matmul C = A @ B (+ bias, activation): shared-memory tiles BM x BK of A and BK x BN
 * of B, each thread computes a TM x TN register micro-tile whose rows and columns are strided by the
 * thread grid (conflict-free shared-memory reads, coalesced stores). A is stored k-major in shared
 * memory (padded by 4 to spread the transposing stores over banks). Transposed operands (A stored
 * (K, M), B stored (N, K), e.g. nn.Linear's weight) only change the load index mapping so that
 * global loads stay coalesced. db: register-staged double buffering, one barrier per k-tile.
 */
import type { SupportedAnalysis } from '../analysis.ts';
import { unaryExpr } from '../ops.ts';
import { matmulOperandsCpp, matmulParts, matmulShape } from '../matmul-shape.ts';
import { CUDA_HEADER, type KernelParts, type Params, TemplateError, flag, num } from '../kernel-parts.ts';
import { CUDA_COMMON } from './common.ts';

export function cudaMatmul(analysis: SupportedAnalysis, params: Params): KernelParts {
  const s = matmulShape(analysis);
  const [bm, bn, bk, tm, tn] = ['bm', 'bn', 'bk', 'tm', 'tn'].map((k) => num(params, k)) as [number, number, number, number, number];
  const threads = (bm / tm) * (bn / tn);
  if (threads > 1024 || (bm * bk) % threads !== 0 || (bk * bn) % threads !== 0) {
    throw new TemplateError(`matmul tile ${bm}x${bn}x${bk}/${tm}x${tn} does not divide into ${threads} threads`);
  }
  const db = flag(params, 'db');
  const la = (bm * bk) / threads;
  const lb = (bk * bn) / threads;
  const act = s.activation ? unaryExpr(s.activation) : 'v';
  // Load index mapping per layout: l is the flat index in the tile; (r, c) = (m or k row, k or n col).
  const aIndex = s.transA
    ? `const int c = l / ${bm}, r = l % ${bm}; const int64_t gm = m0 + r, gk = k0 + c;
        v = (gm < M && gk < K) ? A[gk * M + gm] : 0.0f;`
    : `const int r = l / ${bk}, c = l % ${bk}; const int64_t gm = m0 + r, gk = k0 + c;
        v = (gm < M && gk < K) ? A[gm * K + gk] : 0.0f;`;
  const bIndex = s.transB
    ? `const int c = l / ${bk}, r = l % ${bk}; const int64_t gk = k0 + r, gn = n0 + c;
        v = (gk < K && gn < N) ? B[gn * K + gk] : 0.0f;`
    : `const int r = l / ${bn}, c = l % ${bn}; const int64_t gk = k0 + r, gn = n0 + c;
        v = (gk < K && gn < N) ? B[gk * N + gn] : 0.0f;`;
  const aStore = s.transA ? `const int c = l / ${bm}, r = l % ${bm};` : `const int r = l / ${bk}, c = l % ${bk};`;
  const bStore = s.transB ? `const int c = l / ${bk}, r = l % ${bk};` : `const int r = l / ${bn}, c = l % ${bn};`;
  const nbuf = db ? 2 : 1;
  const source = `${CUDA_HEADER}${CUDA_COMMON}
__device__ __forceinline__ float kf_act(float v) { return ${act}; }

__global__ void __launch_bounds__(${threads}) kf_matmul(const float* __restrict__ A, const float* __restrict__ B,
    const float* __restrict__ bias, float* __restrict__ C, int64_t M, int64_t N, int64_t K) {
  __shared__ float As[${nbuf}][${bk}][${bm + 4}];
  __shared__ float Bs[${nbuf}][${bk}][${bn + 4}];
  const int tid = threadIdx.x;
  const int tx = tid % ${bn / tn}, ty = tid / ${bn / tn};
  const int64_t m0 = (int64_t)blockIdx.y * ${bm}, n0 = (int64_t)blockIdx.x * ${bn};
  float acc[${tm}][${tn}];
#pragma unroll
  for (int i = 0; i < ${tm}; ++i)
#pragma unroll
    for (int j = 0; j < ${tn}; ++j) acc[i][j] = 0.0f;
  float ra[${la}], rb[${lb}];
  const int ktiles = (int)((K + ${bk - 1}) / ${bk});

  auto load = [&](int kt) {
    const int64_t k0 = (int64_t)kt * ${bk};
#pragma unroll
    for (int q = 0; q < ${la}; ++q) { const int l = tid + q * ${threads}; float v; ${aIndex} ra[q] = v; }
#pragma unroll
    for (int q = 0; q < ${lb}; ++q) { const int l = tid + q * ${threads}; float v; ${bIndex} rb[q] = v; }
  };
  auto store = [&](int buf) {
#pragma unroll
    for (int q = 0; q < ${la}; ++q) { const int l = tid + q * ${threads}; ${aStore} As[buf][c][r] = ra[q]; }
#pragma unroll
    for (int q = 0; q < ${lb}; ++q) { const int l = tid + q * ${threads}; ${bStore} Bs[buf][r][c] = rb[q]; }
  };
  auto compute = [&](int buf) {
#pragma unroll
    for (int kk = 0; kk < ${bk}; ++kk) {
      float a[${tm}], b[${tn}];
#pragma unroll
      for (int i = 0; i < ${tm}; ++i) a[i] = As[buf][kk][ty + i * ${bm / tm}];
#pragma unroll
      for (int j = 0; j < ${tn}; ++j) b[j] = Bs[buf][kk][tx + j * ${bn / tn}];
#pragma unroll
      for (int i = 0; i < ${tm}; ++i)
#pragma unroll
        for (int j = 0; j < ${tn}; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
  };

${db ? `  if (ktiles > 0) { load(0); store(0); }
  __syncthreads();
  for (int kt = 0; kt < ktiles; ++kt) {
    const int cur = kt & 1;
    if (kt + 1 < ktiles) load(kt + 1);
    compute(cur);
    if (kt + 1 < ktiles) store(cur ^ 1);
    __syncthreads();
  }` : `  for (int kt = 0; kt < ktiles; ++kt) {
    load(kt);
    store(0);
    __syncthreads();
    compute(0);
    __syncthreads();
  }`}
#pragma unroll
  for (int i = 0; i < ${tm}; ++i) {
    const int64_t row = m0 + ty + i * ${bm / tm};
    if (row >= M) continue;
#pragma unroll
    for (int j = 0; j < ${tn}; ++j) {
      const int64_t col = n0 + tx + j * ${bn / tn};
      if (col < N) C[row * N + col] = kf_act(acc[i][j] + (bias ? __ldg(bias + col) : 0.0f));
    }
  }
}

torch::Tensor kf_forward(torch::Tensor a0, torch::Tensor b0, torch::Tensor bias0) {
  TORCH_CHECK(a0.is_cuda() && b0.is_cuda(), "CUDA tensors expected");
  TORCH_CHECK(a0.scalar_type() == at::kFloat && b0.scalar_type() == at::kFloat, "float32 expected");
${matmulOperandsCpp(s)}  if (out.numel() == 0) return out;
  auto biasc = bias0.contiguous();
  const float* bias = biasc.numel() > 0 ? biasc.data_ptr<float>() : nullptr;
  TORCH_CHECK((M + ${bm - 1}) / ${bm} <= 65535, "M too large for the grid");
  const dim3 grid((unsigned)((N + ${bn - 1}) / ${bn}), (unsigned)((M + ${bm - 1}) / ${bm}));
  kf_matmul<<<grid, ${threads}, 0, c10::cuda::getCurrentCUDAStream()>>>(A.data_ptr<float>(), B.data_ptr<float>(), bias,
                                                                     out.data_ptr<float>(), M, N, K);
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return out;
}
`;
  return matmulParts('cuda', s, source, ['-O3'], ['-O3', '-lineinfo']);
}
