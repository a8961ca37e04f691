/**
 * What a template renders: the native source holding `kf_forward`, and the Python glue of the
 * ModelNew module around it. module.ts turns this into the full KernelBench candidate.
 */
import type { Backend } from '../../verify/protocol.ts';

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

/** -march=native is safe: load_inline builds on the machine that runs the kernel. */
export const CPU_FLAGS = ['-O3', '-march=native', '-fopenmp'];
export const CPU_HEADER = `#include <torch/extension.h>
#include <algorithm>
#include <cmath>
#include <vector>
`;
export const CUDA_HEADER = `#include <torch/extension.h>
#include <cuda_runtime.h>
#include <c10/cuda/CUDAStream.h>
#include <cfloat>
#include <cstdint>
`;
