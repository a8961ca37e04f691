/**
 * CUDA fp16/bf16 matmul C = A @ B (+ bias, activation) on the tensor cores through WMMA
 * (16x16x16 fragments, fp32 accumulators). A block of 4 warps computes a 64 x 64 tile of C, each warp
 * 32 x 32 (2 x 2 fragments), over k-tiles of 32. Each operand's tile is copied into shared memory in
 * the layout it has in global memory (16-byte vectors of 8 elements where the row allows), so global
 * loads stay coalesced for every layout; a transposed operand (A stored (K, M), B stored (N, K) as
 * nn.Linear's weight) is read as a column-major fragment instead of being transposed. The epilogue
 * stages the accumulators through shared memory, adds the bias and applies the activation in fp32,
 * and rounds once to the output dtype. Needs sm_80 or newer for bf16 fragments.
 */
import type { SupportedAnalysis } from '../analysis.ts';
import { unaryExpr } from '../ops.ts';
import { matmulOperandsCpp, matmulParts, matmulShape } from '../matmul-shape.ts';
import { type KernelParts, type Params, num } from '../kernel-parts.ts';
import { type HalfPrecision, halfPrelude } from './half.ts';

const AT: Record<HalfPrecision, string> = { fp16: 'at::kHalf', bf16: 'at::kBFloat16' };

export function cudaHalfMatmul(analysis: SupportedAnalysis, params: Params, precision: HalfPrecision): KernelParts {
  const s = matmulShape(analysis);
  const bk = num(params, 'bk');
  const act = s.activation ? unaryExpr(s.activation) : 'v';
  // A's shared tile: [64 m][bk k] row-major, or [bk k][64 m] when A is stored (K, M); B's: [bk k][64 n],
  // or [64 n][bk k] when B is stored (N, K). 8 elements of padding per row keep fragment rows 32-byte
  // aligned and spread the banks.
  const [aRows, aCols] = s.transA ? [bk, 64] : [64, bk];
  const [bRows, bCols] = s.transB ? [64, bk] : [bk, 64];
  const source = `${halfPrelude(precision)}#include <mma.h>
#include <type_traits>
using namespace nvcuda;

__device__ __forceinline__ float kf_act(float v) { return ${act}; }

// Copy a ROWS x COLS tile at (r0, c0) of a row-major rows x cols matrix into shared memory (row
// stride SLD), zero outside the matrix; 16-byte vectors when VEC (cols % 8 == 0, 16-byte aligned).
template <int ROWS, int COLS, int SLD>
__device__ __forceinline__ void kf_tile(kf_t (*sm)[SLD], const kf_t* __restrict__ g, int64_t rows, int64_t cols,
                                        int64_t r0, int64_t c0, bool vec) {
  if (vec) {
    for (int v = threadIdx.x; v < ROWS * COLS / 8; v += blockDim.x) {
      const int r = v / (COLS / 8), c = (v % (COLS / 8)) * 8;
      const int64_t gr = r0 + r, gc = c0 + c;
      uint4 raw = make_uint4(0u, 0u, 0u, 0u);  // all-zero bits: +0 in fp16 and bf16
      if (gr < rows && gc + 8 <= cols) {
        raw = __ldg(reinterpret_cast<const uint4*>(g + gr * cols + gc));
      } else if (gr < rows) {
        __align__(16) kf_t part[8];
#pragma unroll
        for (int k = 0; k < 8; ++k) part[k] = gc + k < cols ? g[gr * cols + gc + k] : kf_h(0.0f);
        raw = *reinterpret_cast<const uint4*>(part);
      }
      *reinterpret_cast<uint4*>(&sm[r][c]) = raw;
    }
  } else {
    for (int l = threadIdx.x; l < ROWS * COLS; l += blockDim.x) {
      const int r = l / COLS, c = l % COLS;
      const int64_t gr = r0 + r, gc = c0 + c;
      sm[r][c] = (gr < rows && gc < cols) ? g[gr * cols + gc] : kf_h(0.0f);
    }
  }
}

__global__ void __launch_bounds__(128) kf_matmul(const kf_t* __restrict__ A, const kf_t* __restrict__ B,
    const kf_t* __restrict__ bias, kf_t* __restrict__ C, int64_t M, int64_t N, int64_t K, bool va, bool vb) {
  constexpr bool TA = ${s.transA}, TB = ${s.transB};
  __shared__ __align__(32) kf_t As[${aRows}][${aCols + 8}];
  __shared__ __align__(32) kf_t Bs[${bRows}][${bCols + 8}];
  __shared__ __align__(32) float Cs[64][68];
  using LA = typename std::conditional<TA, wmma::col_major, wmma::row_major>::type;
  using LB = typename std::conditional<TB, wmma::col_major, wmma::row_major>::type;
  const int warp = threadIdx.x / 32, wm = warp / 2, wn = warp % 2;
  const int64_t m0 = (int64_t)blockIdx.y * 64, n0 = (int64_t)blockIdx.x * 64;
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[2][2];
#pragma unroll
  for (int i = 0; i < 2; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.0f);

  for (int64_t k0 = 0; k0 < K; k0 += ${bk}) {
    if constexpr (TA) kf_tile<${aRows}, ${aCols}, ${aCols + 8}>(As, A, K, M, k0, m0, va);
    else kf_tile<${aRows}, ${aCols}, ${aCols + 8}>(As, A, M, K, m0, k0, va);
    if constexpr (TB) kf_tile<${bRows}, ${bCols}, ${bCols + 8}>(Bs, B, N, K, n0, k0, vb);
    else kf_tile<${bRows}, ${bCols}, ${bCols + 8}>(Bs, B, K, N, k0, n0, vb);
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < ${bk}; kk += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, kf_t, LA> a[2];
      wmma::fragment<wmma::matrix_b, 16, 16, 16, kf_t, LB> b[2];
#pragma unroll
      for (int i = 0; i < 2; ++i) {
        const int m = wm * 32 + i * 16;
        if constexpr (TA) wmma::load_matrix_sync(a[i], &As[kk][m], ${aCols + 8});
        else wmma::load_matrix_sync(a[i], &As[m][kk], ${aCols + 8});
      }
#pragma unroll
      for (int j = 0; j < 2; ++j) {
        const int n = wn * 32 + j * 16;
        if constexpr (TB) wmma::load_matrix_sync(b[j], &Bs[n][kk], ${bCols + 8});
        else wmma::load_matrix_sync(b[j], &Bs[kk][n], ${bCols + 8});
      }
#pragma unroll
      for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 2; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j) wmma::store_matrix_sync(&Cs[wm * 32 + i * 16][wn * 32 + j * 16], acc[i][j], 68, wmma::mem_row_major);
  __syncthreads();
  for (int l = threadIdx.x; l < 64 * 64; l += blockDim.x) {
    const int r = l / 64, c = l % 64;
    const int64_t gm = m0 + r, gn = n0 + c;
    if (gm < M && gn < N) C[gm * N + gn] = kf_h(kf_act(Cs[r][c] + (bias ? kf_f(bias[gn]) : 0.0f)));
  }
}

torch::Tensor kf_forward(torch::Tensor a0, torch::Tensor b0, torch::Tensor bias0) {
  TORCH_CHECK(a0.is_cuda() && b0.is_cuda(), "CUDA tensors expected");
  TORCH_CHECK(a0.scalar_type() == ${AT[precision]} && b0.scalar_type() == ${AT[precision]}, "${precision} tensors expected");
${matmulOperandsCpp(s)}  if (out.numel() == 0) return out;
  auto biasc = bias0.contiguous();
  TORCH_CHECK(biasc.numel() == 0 || biasc.scalar_type() == ${AT[precision]}, "${precision} bias expected");
  const kf_t* bias = biasc.numel() > 0 ? reinterpret_cast<const kf_t*>(biasc.data_ptr()) : nullptr;
  const kf_t* a = reinterpret_cast<const kf_t*>(A.data_ptr());
  const kf_t* b = reinterpret_cast<const kf_t*>(B.data_ptr());
  const bool va = (TA ? M : K) % 8 == 0 && (reinterpret_cast<uintptr_t>(a) & 15) == 0;
  const bool vb = (TB ? K : N) % 8 == 0 && (reinterpret_cast<uintptr_t>(b) & 15) == 0;
  TORCH_CHECK((M + 63) / 64 <= 65535, "M too large for the grid");
  const dim3 grid((unsigned)((N + 63) / 64), (unsigned)((M + 63) / 64));
  kf_matmul<<<grid, 128, 0, c10::cuda::getCurrentCUDAStream()>>>(a, b, bias, reinterpret_cast<kf_t*>(out.data_ptr()), M, N, K, va, vb);
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return out;
}
`;
  return matmulParts('cuda', s, source, ['-O3'], ['-O3', '-lineinfo']);
}
