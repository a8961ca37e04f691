/**
 * CPU matmul C = A @ B (+ bias, activation), cache-blocked: OpenMP over blocks of `mb` rows; within
 * a block, `nb`-wide column tiles and `kb`-deep k-slices so the C tile and the B panel stay in cache;
 * `mr` rows of C are updated per pass over a B row (register blocking: one load of B feeds mr FMAs).
 * Transposed operands are packed once into row-major buffers so the inner loop is contiguous.
 * The epilogue (bias + activation) is fused into the last k-slice of each tile.
 */
import type { SupportedAnalysis } from '../analysis.ts';
import { unaryExpr } from '../ops.ts';
import { matmulOperandsCpp, matmulParts, matmulShape } from '../matmul-shape.ts';
import { CPU_FLAGS, CPU_HEADER, type KernelParts, type Params, flag, num } from '../kernel-parts.ts';

export function cpuMatmul(analysis: SupportedAnalysis, params: Params): KernelParts {
  const s = matmulShape(analysis);
  const mb = num(params, 'mb');
  const nb = num(params, 'nb');
  const kb = num(params, 'kb');
  const mr = num(params, 'mr');
  const simd = flag(params, 'simd') ? '#pragma omp simd' : '';
  const act = s.activation ? unaryExpr(s.activation).replace(/__expf/g, 'expf') : 'v';
  const rowsUpdate = Array.from({ length: mr }, (_, r) => `c${r}[j] += a${r} * bk[j];`).join(' ');
  const rowsLoad = Array.from({ length: mr }, (_, r) => `const float a${r} = Ap[(i + ${r}) * K + k];`).join(' ');
  const rowsPtr = Array.from({ length: mr }, (_, r) => `float* __restrict__ c${r} = C + (i + ${r}) * N;`).join(' ');
  const source = `${CPU_HEADER}
static inline float kf_act(float v) { return ${act}; }

torch::Tensor kf_forward(torch::Tensor a0, torch::Tensor b0, torch::Tensor bias0) {
  TORCH_CHECK(a0.scalar_type() == at::kFloat && b0.scalar_type() == at::kFloat, "float32 expected");
${matmulOperandsCpp(s)}  const float* Ap = A.data_ptr<float>();
  const float* Bp = B.data_ptr<float>();
  std::vector<float> packA, packB;
  if (TA) {  // A stored (K, M): pack to (M, K)
    packA.resize((size_t)(M * K));
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < M; ++i) for (int64_t k = 0; k < K; ++k) packA[i * K + k] = Ap[k * M + i];
    Ap = packA.data();
  }
  if (TB) {  // B stored (N, K): pack to (K, N)
    packB.resize((size_t)(K * N));
#pragma omp parallel for schedule(static)
    for (int64_t k = 0; k < K; ++k) for (int64_t j = 0; j < N; ++j) packB[k * N + j] = Bp[j * K + k];
    Bp = packB.data();
  }
  const float* bias = bias0.numel() > 0 ? bias0.data_ptr<float>() : nullptr;
  float* __restrict__ Cbase = out.data_ptr<float>();
  const int64_t mblocks = (M + ${mb} - 1) / ${mb};
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t ib = 0; ib < mblocks; ++ib) {
    const int64_t i0 = ib * ${mb}, i1 = std::min(M, i0 + (int64_t)${mb});
    for (int64_t j0 = 0; j0 < N; j0 += ${nb}) {
      const int64_t jn = std::min(N, j0 + (int64_t)${nb}) - j0;
      float* __restrict__ C = Cbase + j0;
      for (int64_t i = i0; i < i1; ++i) for (int64_t j = 0; j < jn; ++j) C[i * N + j] = 0.0f;
      for (int64_t k0 = 0; k0 < K; k0 += ${kb}) {
        const int64_t k1 = std::min(K, k0 + (int64_t)${kb});
        int64_t i = i0;
        for (; i + ${mr} <= i1; i += ${mr}) {
          ${rowsPtr}
          for (int64_t k = k0; k < k1; ++k) {
            ${rowsLoad}
            const float* __restrict__ bk = Bp + k * N + j0;
${simd}
            for (int64_t j = 0; j < jn; ++j) { ${rowsUpdate} }
          }
        }
        for (; i < i1; ++i) {
          float* __restrict__ c0 = C + i * N;
          for (int64_t k = k0; k < k1; ++k) {
            const float a = Ap[i * K + k];
            const float* __restrict__ bk = Bp + k * N + j0;
${simd}
            for (int64_t j = 0; j < jn; ++j) c0[j] += a * bk[j];
          }
        }
      }
      for (int64_t i = i0; i < i1; ++i) {
        float* __restrict__ c = C + i * N;
        for (int64_t j = 0; j < jn; ++j) { float v = c[j] + (bias ? bias[j0 + j] : 0.0f); c[j] = kf_act(v); }
      }
    }
  }
  return out;
}
`;
  return matmulParts('cpu', s, source, flag(params, 'fastMath') ? [...CPU_FLAGS, '-ffast-math'] : [...CPU_FLAGS], []);
}
