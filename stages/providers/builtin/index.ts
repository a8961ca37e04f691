/**
 * The builtin provider: no network. It analyses a problem through analyze.py, proposes ideas from the
 * catalogue (those not yet tried according to the request's history) and implements each idea by
 * rendering a parameterised kernel template for the cpu, cuda or triton backend at the run's precision
 * (a family/backend/precision the templates do not cover is skipped with the reason).
 */
import type { Problem } from '../../../kernelbench/problem.ts';
import type { Backend, Precision } from '../../verify/protocol.ts';
import type {
  Generation,
  Idea,
  IdeaRequest,
  IdeaResponse,
  Implementation,
  ImplementRequest,
  Provider,
} from '../../provider.ts';
import { type Analysis, ProblemAnalyser, type SupportedAnalysis } from './analysis.ts';
import { CATALOGUE_VERSION, type CatalogueIdea, catalogueFor, unsupportedCombination } from './catalogue.ts';
import { TemplateError } from './kernel-parts.ts';
import { UnsupportedOpError } from './ops.ts';
import { renderIdea } from './render.ts';
import { findPython } from '../../verify/python.ts';
import { emptyGeneration, ideaId } from '../../ideas.ts';

export { CATALOGUE_VERSION } from './catalogue.ts';

export interface BuiltinProviderOptions {
  /** Python interpreter with torch for the analysis; found automatically when absent. */
  python?: string;
}

export const BUILTIN_MODEL = 'builtin-templates-v1';

function generation(prompt: string | null): Generation {
  return { ...emptyGeneration(), prompt };
}

export class BuiltinProvider implements Provider {
  readonly name = 'builtin';
  readonly model = BUILTIN_MODEL;
  readonly promptVersion = CATALOGUE_VERSION;
  private readonly analyser: ProblemAnalyser;

  constructor(options: BuiltinProviderOptions = {}) {
    const python = options.python;
    this.analyser = new ProblemAnalyser({ python: python ? async () => python : () => findPython() });
  }

  analyse(problem: Problem): Promise<Analysis> {
    return this.analyser.analyse(problem);
  }

  async unsupportedReason(problem: Problem, backend: Backend, precision: Precision = 'fp32'): Promise<string | null> {
    const analysis = await this.analyser.analyse(problem);
    if (!analysis.ok) return analysis.reason;
    const combination = unsupportedCombination(analysis.op.family, backend, precision);
    if (combination) return combination;
    const first = catalogueFor(analysis, backend, precision)[0];
    if (!first) return `no ${backend} ideas for family ${analysis.op.family}`;
    try {
      // Template preconditions (e.g. a 3-D right matmul operand) show up when rendering.
      renderIdea(analysis, first, 0, CATALOGUE_VERSION, precision);
    } catch (error) {
      if (error instanceof TemplateError || error instanceof UnsupportedOpError) return error.message;
      throw error;
    }
    return null;
  }

  /** The catalogue entries for a supported problem, for tools that sweep every idea. */
  async catalogue(problem: Problem, backend: Backend, precision: Precision = 'fp32'): Promise<CatalogueIdea[]> {
    const analysis = await this.analyser.analyse(problem);
    return analysis.ok ? catalogueFor(analysis, backend, precision) : [];
  }

  async proposeIdeas(request: IdeaRequest): Promise<IdeaResponse> {
    const reason = await this.unsupportedReason(request.problem, request.backend, request.precision);
    if (reason !== null) return { ideas: [], generation: generation(null), failure: reason };
    const analysis = (await this.analyser.analyse(request.problem)) as SupportedAnalysis;
    const tried = new Set(request.history.map((h) => h.text));
    const fresh = catalogueFor(analysis, request.backend, request.precision).filter((c) => !tried.has(c.text));
    const chosen = fresh.slice(0, Math.max(0, request.count));
    const ideas: Idea[] = chosen.map((c) => ({
      id: ideaId(request.problem.key, request.round, c.text),
      round: request.round,
      text: c.text,
      category: c.category,
    }));
    const prompt = JSON.stringify({
      catalogue: CATALOGUE_VERSION,
      family: analysis.op.family,
      backend: request.backend,
      precision: request.precision,
      ideas: chosen.map((c) => ({ template: c.template, params: c.params, category: c.category })),
    });
    const failure = ideas.length === 0 && request.count > 0 ? 'the builtin catalogue has no untried ideas left for this problem' : null;
    return { ideas, generation: generation(prompt), failure };
  }

  async implement(request: ImplementRequest): Promise<Implementation> {
    const analysis = await this.analyser.analyse(request.problem);
    if (!analysis.ok) return { source: null, failure: analysis.reason, generation: generation(null) };
    const idea = catalogueFor(analysis, request.backend, request.precision).find((c) => c.text === request.idea.text);
    if (!idea) {
      return { source: null, failure: 'idea is not in the builtin catalogue', generation: generation(null) };
    }
    try {
      const rendered = renderIdea(analysis, idea, request.implIndex, CATALOGUE_VERSION, request.precision);
      return { source: rendered.source, failure: null, generation: generation(JSON.stringify(rendered.description)) };
    } catch (error) {
      if (error instanceof TemplateError || error instanceof UnsupportedOpError) {
        return { source: null, failure: error.message, generation: generation(null) };
      }
      throw error;
    }
  }
}

export function createBuiltinProvider(options: BuiltinProviderOptions = {}): Provider & BuiltinProvider {
  return new BuiltinProvider(options);
}
