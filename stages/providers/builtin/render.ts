/** Render a catalogue idea into a full ModelNew module source. */
import type { SupportedAnalysis } from './analysis.ts';
import type { CatalogueIdea } from './catalogue.ts';
import { type KernelParts, type Params, TemplateError } from './kernel-parts.ts';
import { renderModule } from './module.ts';
import { cpuBinary, cpuUnary } from './cpu/elementwise.ts';
import { cpuSoftmax } from './cpu/softmax.ts';
import { cpuLayerNorm } from './cpu/layernorm.ts';
import { cpuReduction } from './cpu/reduction.ts';
import { cpuMatmul } from './cpu/matmul.ts';
import { cudaBinary, cudaUnary } from './cuda/elementwise.ts';
import { cudaSoftmax } from './cuda/softmax.ts';
import { cudaLayerNorm } from './cuda/layernorm.ts';
import { cudaReduction } from './cuda/reduction.ts';
import { cudaMatmul } from './cuda/matmul.ts';
import { cudaHalfReduction, cudaHalfSoftmax, cudaHalfUnary, type HalfPrecision } from './cuda/half.ts';
import { cudaHalfLayerNorm } from './cuda/half-layernorm.ts';
import { cudaHalfMatmul } from './cuda/half-matmul.ts';
import { renderTritonModule, type TritonParts } from './triton/parts.ts';
import { tritonElementwise, tritonLayerNorm, tritonMatmul, tritonReduction, tritonSoftmax } from './triton/kernels.ts';
import type { Precision } from '../../verify/protocol.ts';

type Template = (analysis: SupportedAnalysis, params: Params) => KernelParts;
type PrecisionTemplate = (analysis: SupportedAnalysis, params: Params, precision: Precision) => KernelParts;
type TritonTemplate = (analysis: SupportedAnalysis, params: Params, precision: Precision) => TritonParts;

function half(template: (a: SupportedAnalysis, p: Params, precision: HalfPrecision) => KernelParts): PrecisionTemplate {
  return (a, p, precision) => {
    if (precision === 'fp32') throw new TemplateError('cuda-half templates need fp16 or bf16');
    return template(a, p, precision);
  };
}

const HALF_TEMPLATES: Record<string, PrecisionTemplate> = {
  'cuda-half/elementwise_unary': half(cudaHalfUnary),
  'cuda-half/softmax': half(cudaHalfSoftmax),
  'cuda-half/reduction': half(cudaHalfReduction),
  'cuda-half/layernorm': half(cudaHalfLayerNorm),
  'cuda-half/matmul': half(cudaHalfMatmul),
};

const TRITON_TEMPLATES: Record<string, TritonTemplate> = {
  'triton/elementwise': tritonElementwise,
  'triton/softmax': tritonSoftmax,
  'triton/layernorm': tritonLayerNorm,
  'triton/reduction': tritonReduction,
  'triton/matmul': tritonMatmul,
};

const TEMPLATES: Record<string, Template> = {
  'cpu/elementwise_unary': cpuUnary,
  'cpu/elementwise_binary': cpuBinary,
  'cpu/softmax': cpuSoftmax,
  'cpu/layernorm': cpuLayerNorm,
  'cpu/reduction': cpuReduction,
  'cpu/matmul': cpuMatmul,
  'cuda/elementwise_unary': cudaUnary,
  'cuda/elementwise_binary': cudaBinary,
  'cuda/softmax': cudaSoftmax,
  'cuda/layernorm': cudaLayerNorm,
  'cuda/reduction': cudaReduction,
  'cuda/matmul': cudaMatmul,
};

export interface Rendered {
  source: string;
  /** The template and the exact parameters used: the Generation prompt of a builtin record. */
  description: { template: string; params: Params; catalogue: string; precision: Precision };
}

/** Parameters of an idea for one implementation index: the idea's base, overridden by a variant. */
export function paramsFor(idea: CatalogueIdea, implIndex: number): Params {
  const variants = idea.implVariants.length > 0 ? idea.implVariants : [{}];
  return { ...idea.params, ...variants[implIndex % variants.length] };
}

export function renderIdea(analysis: SupportedAnalysis, idea: CatalogueIdea, implIndex: number, catalogue: string,
  precision: Precision = 'fp32'): Rendered {
  const params = paramsFor(idea, implIndex);
  // fp32 keeps the header (and so the source and its cached verdicts) it had before precision existed.
  const header = `kernelforge builtin template ${idea.template}${precision === 'fp32' ? '' : ` ${precision}`} ${JSON.stringify(params)}`;
  const description = { template: idea.template, params, catalogue, precision };
  const triton = TRITON_TEMPLATES[idea.template];
  if (triton) return { source: renderTritonModule(triton(analysis, params, precision), header), description };
  const half = HALF_TEMPLATES[idea.template];
  const template = TEMPLATES[idea.template];
  if (!template && !half) throw new TemplateError(`no template ${idea.template}`);
  const parts = half ? half(analysis, params, precision) : template!(analysis, params);
  return { source: renderModule(parts, header), description };
}
