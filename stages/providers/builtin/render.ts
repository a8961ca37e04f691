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

type Template = (analysis: SupportedAnalysis, params: Params) => KernelParts;

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
  description: { template: string; params: Params; catalogue: string };
}

/** Parameters of an idea for one implementation index: the idea's base, overridden by a variant. */
export function paramsFor(idea: CatalogueIdea, implIndex: number): Params {
  const variants = idea.implVariants.length > 0 ? idea.implVariants : [{}];
  return { ...idea.params, ...variants[implIndex % variants.length] };
}

export function renderIdea(analysis: SupportedAnalysis, idea: CatalogueIdea, implIndex: number, catalogue: string): Rendered {
  const template = TEMPLATES[idea.template];
  if (!template) throw new TemplateError(`no template ${idea.template}`);
  const params = paramsFor(idea, implIndex);
  const parts = template(analysis, params);
  const header = `kernelforge builtin template ${idea.template} ${JSON.stringify(params)}`;
  return { source: renderModule(parts, header), description: { template: idea.template, params, catalogue } };
}
