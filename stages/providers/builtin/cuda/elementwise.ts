/**
 * CUDA elementwise templates. Unary: float4 (vec 4) or scalar loads, ilp independent vectors in
 * flight per thread, a grid-stride loop over a 'persistent' grid (SMs x blocks per SM x waves) or an
 * 'exact' grid, optional streaming stores (__stcs) and the __expf intrinsic (fast). A misaligned
 * view falls back to the scalar kernel at run time. Binary: float4 fast path for equal contiguous
 * shapes, otherwise a broadcast kernel that decomposes the output index against per-input strides.
 */
import type { SupportedAnalysis } from '../analysis.ts';
import { binaryExpr, unaryExpr } from '../ops.ts';
import { CUDA_HEADER, type KernelParts, type Params, TemplateError, binaryParts, oneInputParts, flag, num, str } from '../kernel-parts.ts';
import { CUDA_COMMON } from './common.ts';

function cudaFlags(params: Params): string[] {
  return ['-O3', '-lineinfo'];
}

function launchBlocks(params: Params, work: string): string {
  const block = num(params, 'block');
  const ilp = num(params, 'ilp');
  const need = `((${work}) + (int64_t)${block * ilp} - 1) / ${block * ilp}`;
  if (str(params, 'grid') === 'exact') return `std::max<int64_t>(1, std::min<int64_t>(${need}, 2147483647LL))`;
  const perSm = Math.max(1, Math.floor(2048 / block)) * num(params, 'waves');
  return `std::max<int64_t>(1, std::min<int64_t>(${need}, (int64_t)kf_sm_count() * ${perSm}))`;
}

function vecKernel(name: string, params: Params, inputs: string[], body: (v: string[]) => string): string {
  const ilp = num(params, 'ilp');
  const store = flag(params, 'streaming') ? '__stcs(y + k, r);' : 'y[k] = r;';
  const ptrs = inputs.map((p) => `const float4* __restrict__ ${p}`).join(', ');
  const loads = (k: string) => inputs.map((p) => `__ldg(${p} + ${k})`);
  return `
__global__ void __launch_bounds__(${num(params, 'block')}) ${name}(${ptrs}, float4* __restrict__ y, int64_t nvec) {
  const int64_t stride = (int64_t)gridDim.x * blockDim.x;
  int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  for (; i + ${ilp - 1} * stride < nvec; i += ${ilp} * stride) {
${inputs.map((p) => `    float4 v_${p}[${ilp}];`).join('\n')}
#pragma unroll
    for (int u = 0; u < ${ilp}; ++u) { ${inputs.map((p) => `v_${p}[u] = __ldg(${p} + i + u * stride);`).join(' ')} }
#pragma unroll
    for (int u = 0; u < ${ilp}; ++u) {
      const int64_t k = i + u * stride;
      float4 r;
      ${['x', 'y', 'z', 'w'].map((c) => `r.${c} = ${body(inputs.map((p) => `v_${p}[u].${c}`))};`).join(' ')}
      ${store}
    }
  }
  for (; i < nvec; i += stride) {
    const int64_t k = i;
${inputs.map((p, j) => `    const float4 w_${p} = ${loads('i')[j]};`).join('\n')}
    float4 r;
    ${['x', 'y', 'z', 'w'].map((c) => `r.${c} = ${body(inputs.map((p) => `w_${p}.${c}`))};`).join(' ')}
    ${store}
  }
}
`;
}

export function cudaUnary(analysis: SupportedAnalysis, params: Params): KernelParts {
  const op = analysis.op;
  if (op.family !== 'unary') throw new TemplateError('cudaUnary needs a unary problem');
  const expr = unaryExpr({ op: op.op, args: op.args }, flag(params, 'fast'));
  const block = num(params, 'block');
  const vec = num(params, 'vec') === 4;
  const source = `${CUDA_HEADER}${CUDA_COMMON}
__device__ __forceinline__ float kf_op(float v) { return ${expr}; }
${vecKernel('kf_unary_vec', params, ['x'], (v) => `kf_op(${v[0]})`)}
__global__ void kf_unary_scalar(const float* __restrict__ x, float* __restrict__ y, int64_t start, int64_t n) {
  const int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t i = start + (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) y[i] = kf_op(__ldg(x + i));
}

torch::Tensor kf_forward(torch::Tensor x0) {
  TORCH_CHECK(x0.is_cuda() && x0.scalar_type() == at::kFloat, "float32 CUDA tensor expected");
  auto xc = x0.contiguous();
  auto out = torch::empty_like(xc);
  const int64_t n = xc.numel();
  if (n == 0) return out;
  const float* x = xc.data_ptr<float>();
  float* y = out.data_ptr<float>();
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  const bool aligned = ((reinterpret_cast<uintptr_t>(x) | reinterpret_cast<uintptr_t>(y)) & 15) == 0;
  int64_t done = 0;
  if (${vec} && aligned && n >= 4) {
    const int64_t nvec = n / 4;
    const int64_t blocks = ${launchBlocks(params, 'nvec')};
    kf_unary_vec<<<(unsigned)blocks, ${block}, 0, stream>>>(reinterpret_cast<const float4*>(x), reinterpret_cast<float4*>(y), nvec);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
    done = nvec * 4;
  }
  if (done < n) {
    const int64_t blocks = ${launchBlocks({ ...params, ilp: 1 }, 'n - done')};
    kf_unary_scalar<<<(unsigned)blocks, ${block}, 0, stream>>>(x, y, done, n);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  }
  return out;
}
`;
  return oneInputParts('cuda', op.op, source, ['-O3'], cudaFlags(params));
}

export function cudaBinary(analysis: SupportedAnalysis, params: Params): KernelParts {
  const op = analysis.op;
  if (op.family !== 'binary') throw new TemplateError('cudaBinary needs a binary problem');
  const block = num(params, 'block');
  const source = `${CUDA_HEADER}${CUDA_COMMON}
__device__ __forceinline__ float kf_op(float a, float b) { return ${binaryExpr(op.op)}; }
${vecKernel('kf_binary_vec', params, ['a', 'b'], (v) => `kf_op(${v[0]}, ${v[1]})`)}
struct KfStrides { int64_t size[8]; int64_t sa[8]; int64_t sb[8]; int nd; };

__global__ void kf_binary_bcast(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ y,
                                int64_t start, int64_t n, KfStrides s) {
  const int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t i = start + (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    int64_t rem = i, oa = 0, ob = 0;
    for (int d = s.nd - 1; d >= 0; --d) {
      const int64_t idx = rem % s.size[d];
      rem /= s.size[d];
      oa += idx * s.sa[d];
      ob += idx * s.sb[d];
    }
    y[i] = kf_op(__ldg(a + oa), __ldg(b + ob));
  }
}

torch::Tensor kf_forward(torch::Tensor a0, torch::Tensor b0) {
  TORCH_CHECK(a0.is_cuda() && b0.is_cuda(), "CUDA tensors expected");
  TORCH_CHECK(a0.scalar_type() == at::kFloat && b0.scalar_type() == at::kFloat, "float32 expected");
  auto shape = at::infer_size(a0.sizes(), b0.sizes());
  TORCH_CHECK(shape.size() <= 8, "at most 8 dims");
  auto out = torch::empty(shape, a0.options());
  const int64_t n = out.numel();
  if (n == 0) return out;
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  float* y = out.data_ptr<float>();
  int64_t done = 0;
  if (a0.sizes() == b0.sizes() && a0.is_contiguous() && b0.is_contiguous()) {
    const float* a = a0.data_ptr<float>();
    const float* b = b0.data_ptr<float>();
    const bool aligned = ((reinterpret_cast<uintptr_t>(a) | reinterpret_cast<uintptr_t>(b) | reinterpret_cast<uintptr_t>(y)) & 15) == 0;
    if (${num(params, 'vec') === 4} && aligned && n >= 4) {
      const int64_t nvec = n / 4;
      const int64_t blocks = ${launchBlocks(params, 'nvec')};
      kf_binary_vec<<<(unsigned)blocks, ${block}, 0, stream>>>(reinterpret_cast<const float4*>(a), reinterpret_cast<const float4*>(b),
                                                        reinterpret_cast<float4*>(y), nvec);
      C10_CUDA_KERNEL_LAUNCH_CHECK();
      done = nvec * 4;
    }
  }
  if (done < n) {
    auto ae = a0.expand(shape);
    auto be = b0.expand(shape);
    KfStrides s;
    s.nd = (int)shape.size();
    for (int d = 0; d < s.nd; ++d) { s.size[d] = shape[d]; s.sa[d] = ae.stride(d); s.sb[d] = be.stride(d); }
    const int64_t blocks = ${launchBlocks({ ...params, ilp: 1 }, 'n - done')};
    kf_binary_bcast<<<(unsigned)blocks, ${block}, 0, stream>>>(ae.data_ptr<float>(), be.data_ptr<float>(), y, done, n, s);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  }
  return out;
}
`;
  return binaryParts('cuda', op.op, source, ['-O3'], cudaFlags(params));
}
