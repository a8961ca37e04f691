/**
 * What the matmul templates (cpu and cuda) need to know about a matmul or linear problem: which
 * inputs are A and B, whether each is stored transposed, and the fused epilogue (bias, activation).
 * A linear layer is A = x, B = weight stored (N, K), i.e. transposed.
 */
import type { SupportedAnalysis, UnaryOpInfo } from './analysis.ts';
import type { Backend } from '../../verify/protocol.ts';
import { type KernelParts, TemplateError } from './kernel-parts.ts';

export interface MatmulShape {
  /** Python expressions for A, B and the bias tensor passed to kf_forward. */
  a: string;
  b: string;
  bias: string | null;
  transA: boolean;
  transB: boolean;
  activation: UnaryOpInfo | null;
  init: string[];
  inputs: number;
  label: string;
}

export function matmulShape(analysis: SupportedAnalysis): MatmulShape {
  const op = analysis.op;
  if (op.family === 'matmul') {
    const a = analysis.inputs[op.a_input]!.shape;
    const b = analysis.inputs[op.b_input]!.shape;
    if (b.length !== 2) throw new TemplateError(`matmul with a ${b.length}-D right operand is not in the builtin catalogue`);
    if (a.length < 2 || (op.trans_a && a.length !== 2)) {
      throw new TemplateError(`matmul with a ${a.length}-D left operand is not in the builtin catalogue`);
    }
    return {
      a: `x${op.a_input}`,
      b: `x${op.b_input}`,
      bias: null,
      transA: op.trans_a,
      transB: op.trans_b,
      activation: null,
      init: [],
      inputs: analysis.inputs.length,
      label: 'matmul',
    };
  }
  if (op.family === 'linear') {
    const m = op.module;
    return {
      a: 'x0',
      b: `self.${m}.weight`,
      bias: op.bias ? `self.${m}.bias` : null,
      transA: false,
      transB: true,
      activation: op.activation,
      init: [`self.${m} = nn.Linear(${op.in_features}, ${op.out_features}, bias=${op.bias ? 'True' : 'False'})`],
      inputs: 1,
      label: op.activation ? `linear_${op.activation.op}` : 'linear',
    };
  }
  throw new TemplateError('needs a matmul or linear problem');
}

/** The kf_forward call: the bias slot gets an empty tensor when there is none. */
export function matmulCall(s: MatmulShape): string {
  return `_ext.kf_forward(${s.a}, ${s.b}, ${s.bias ?? `${s.a}.new_empty(0)`})`;
}

/** The parts of a matmul kernel of either backend: kf_forward(a0, b0, bias0), see matmulCall. */
export function matmulParts(backend: Backend, s: MatmulShape, source: string, extraCflags: string[], extraCudaCflags: string[]): KernelParts {
  return {
    backend,
    label: s.label,
    source,
    declaration: 'torch::Tensor kf_forward(torch::Tensor a0, torch::Tensor b0, torch::Tensor bias0);',
    init: s.init,
    inputs: s.inputs,
    call: matmulCall(s),
    extraCflags,
    extraCudaCflags,
  };
}

/**
 * C++ lines both matmul templates open kf_forward(a0, b0, ...) with: contiguous A and B, M, K and N
 * read from how each is stored, and `out` shaped as the reference's result (A's leading dims kept).
 */
export function matmulOperandsCpp(s: MatmulShape): string {
  return `  auto A = a0.contiguous();
  auto B = b0.contiguous();
  const bool TA = ${s.transA}, TB = ${s.transB};
  const int64_t K = TA ? A.size(0) : A.size(A.dim() - 1);
  const int64_t M = TA ? A.size(1) : A.numel() / K;
  const int64_t N = TB ? B.size(0) : B.size(1);
  TORCH_CHECK((TB ? B.size(1) : B.size(0)) == K, "inner dimensions differ");
  std::vector<int64_t> shape;
  if (TA) { shape = {M, N}; } else { for (int64_t d = 0; d + 1 < A.dim(); ++d) shape.push_back(A.size(d)); shape.push_back(N); }
  auto out = torch::empty(shape, A.options());
`;
}
