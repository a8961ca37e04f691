/**
 * What a template renders: the native source holding `kf_forward`, and the Python glue of the
 * ModelNew module around it. module.ts turns this into the full KernelBench candidate.
 */
import type { Backend } from '../../verify/protocol.ts';
import type { OpInfo } from './analysis.ts';

export type ParamValue = number | string | boolean;
export type Params = Readonly<Record<string, ParamValue>>;

export interface KernelParts {
  backend: Backend;
  /** Short name used in the extension name, e.g. 'relu'. */
  label: string;
  /** C++ (cpu) or CUDA (cuda) source defining `torch::Tensor kf_forward(...)`. */
  source: string;
  /** The C++ declaration of kf_forward (the cuda backend compiles it as the cpp source). */
  declaration: string;
  /** Python lines of ModelNew.__init__ after super().__init__(), e.g. parameter-owning submodules. */
  init: string[];
  /** Number of tensor inputs of forward. */
  inputs: number;
  /** Python expression computing the output from x0, x1, ... and self; `_ext` is the extension. */
  call: string;
  extraCflags: string[];
  extraCudaCflags: string[];
}

/**
 * The parts of a kernel whose forward takes one tensor and owns no parameters (unary, reduction,
 * softmax templates): ModelNew.forward(x0) is kf_forward(x0).
 */
export function oneInputParts(
  backend: Backend, label: string, source: string, extraCflags: string[], extraCudaCflags: string[],
): KernelParts {
  return {
    backend,
    label,
    source,
    declaration: 'torch::Tensor kf_forward(torch::Tensor x0);',
    init: [],
    inputs: 1,
    call: '_ext.kf_forward(x0)',
    extraCflags,
    extraCudaCflags,
  };
}

/** The parts of a binary elementwise kernel: ModelNew.forward(x0, x1) is kf_forward(x0, x1). */
export function binaryParts(
  backend: Backend, label: string, source: string, extraCflags: string[], extraCudaCflags: string[],
): KernelParts {
  return {
    ...oneInputParts(backend, label, source, extraCflags, extraCudaCflags),
    declaration: 'torch::Tensor kf_forward(torch::Tensor a0, torch::Tensor b0);',
    inputs: 2,
    call: '_ext.kf_forward(x0, x1)',
  };
}

/**
 * The parts of a layer norm kernel: ModelNew owns the nn.LayerNorm (so its weight and bias are the
 * model's parameters) and passes them, or empty tensors when it is not affine.
 */
export function layerNormParts(
  backend: Backend, op: Extract<OpInfo, { family: 'layernorm' }>, source: string, extraCflags: string[], extraCudaCflags: string[],
): KernelParts {
  const m = op.module;
  return {
    backend,
    label: 'layernorm',
    source,
    declaration: 'torch::Tensor kf_forward(torch::Tensor x0, torch::Tensor w0, torch::Tensor b0);',
    init: [
      `self.${m} = nn.LayerNorm(${JSON.stringify(op.normalized_shape)}, eps=${op.eps}, elementwise_affine=${op.affine ? 'True' : 'False'})`,
    ],
    inputs: 1,
    call: op.affine
      ? `_ext.kf_forward(x0, self.${m}.weight, self.${m}.bias)`
      : `_ext.kf_forward(x0, x0.new_empty(0), x0.new_empty(0))`,
    extraCflags,
    extraCudaCflags,
  };
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

export function num(params: Params, name: string): number {
  const v = params[name];
  if (typeof v !== 'number') throw new TemplateError(`template parameter ${name} must be a number`);
  return v;
}

export function flag(params: Params, name: string): boolean {
  return params[name] === true;
}

export function str(params: Params, name: string): string {
  const v = params[name];
  if (typeof v !== 'string') throw new TemplateError(`template parameter ${name} must be a string`);
  return v;
}

/** Normalise a possibly negative dim against a rank. */
export function normDim(dim: number, rank: number): number {
  const d = dim < 0 ? dim + rank : dim;
  if (d < 0 || d >= rank) throw new TemplateError(`dim ${dim} out of range for rank ${rank}`);
  return d;
}

/**
 * -march=native is safe: load_inline builds on the machine that runs the kernel. -fno-trapping-math
 * changes no result; without it GCC will not if-convert float compares, so loops with a clamp or a
 * max (softmax, most activations) stay scalar.
 */
export const CPU_FLAGS = ['-O3', '-march=native', '-fno-trapping-math', '-fopenmp'];
export const CPU_HEADER = `#include <torch/extension.h>
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

// expf as plain arithmetic (Cephes polynomial, about 2 ulp) so that simd loops vectorise it without
// -ffast-math. The magic constant rounds to nearest with SSE2 only, and its low mantissa bits hold n,
// so there is no float-to-int conversion. Needs -fno-trapping-math to if-convert the clamp.
static inline float kf_exp(float x) {
#ifdef __FAST_MATH__
  // -ffast-math would fold the rounding trick away; it also lets glibc's libmvec vectorise expf.
  return expf(x);
#endif
  x = x < -87.3f ? -87.3f : (x > 88.7f ? 88.7f : x);
  const float big = x * 1.44269504088896341f + 12582912.0f;
  const float n = big - 12582912.0f;
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e = p * r * r + r + 1.0f;
  int32_t bits;
  std::memcpy(&bits, &big, sizeof bits);
  bits = (bits - 0x4B400000 + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return e * scale;
}
`;
export const CUDA_HEADER = `#include <torch/extension.h>
#include <cuda_runtime.h>
#include <c10/cuda/CUDAStream.h>
#include <cfloat>
#include <cstdint>
`;
