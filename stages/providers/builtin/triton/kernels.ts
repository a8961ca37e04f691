/**
 * The builtin Triton templates: elementwise (unary, same-shape binary), softmax / log_softmax over the
 * last dim (online or two-pass, looped over the row: KernelBench's rows reach 393216 elements), layer
 * norm (per-chunk mean and M2, combined exactly by Chan's formula, then a normalise pass: long rows
 * fill the GPU), reductions over any dim (tiles along the contiguous inner dim), and matmul / linear
 * with tl.dot (fp32 accumulation; input_precision="ieee" at fp32, so no TF32).
 */
import type { SupportedAnalysis } from '../analysis.ts';
import { matmulShape } from '../matmul-shape.ts';
import { type Params, TemplateError, normDim, num, str } from '../kernel-parts.ts';
import { type TritonParts, nextPow2, tritonBinaryExpr, tritonUnaryExpr } from './parts.ts';

const PID64 = 'tl.program_id(0).to(tl.int64)';

export function tritonElementwise(analysis: SupportedAnalysis, params: Params): TritonParts {
  const op = analysis.op;
  const block = num(params, 'block');
  const warps = num(params, 'warps');
  if (op.family === 'unary') {
    return {
      label: op.op, init: [], inputs: 1,
      kernels: `
@triton.jit
def kf_unary(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = ${PID64} * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    v = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
    tl.store(y_ptr + offs, ${tritonUnaryExpr({ op: op.op, args: op.args })}, mask=mask)
`,
      forward: ['x = x0.contiguous()', 'y = torch.empty_like(x)', 'n = x.numel()',
        `kf_unary[(triton.cdiv(n, ${block}),)](x, y, n, BLOCK=${block}, num_warps=${warps})`, 'return y'],
    };
  }
  if (op.family !== 'binary') throw new TemplateError('tritonElementwise needs an elementwise problem');
  const [a, b] = analysis.inputs;
  if (!a || !b || JSON.stringify(a.shape) !== JSON.stringify(b.shape)) {
    throw new TemplateError('the builtin Triton binary template needs two inputs of one shape (no broadcasting)');
  }
  return {
    label: op.op, init: [], inputs: 2,
    kernels: `
@triton.jit
def kf_binary(a_ptr, b_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = ${PID64} * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    a = tl.load(a_ptr + offs, mask=mask).to(tl.float32)
    b = tl.load(b_ptr + offs, mask=mask).to(tl.float32)
    tl.store(y_ptr + offs, ${tritonBinaryExpr(op.op)}, mask=mask)
`,
    forward: ['a = x0.contiguous()', 'b = x1.contiguous()', 'y = torch.empty_like(a)', 'n = a.numel()',
      `kf_binary[(triton.cdiv(n, ${block}),)](a, b, y, n, BLOCK=${block}, num_warps=${warps})`, 'return y'],
  };
}

export function tritonSoftmax(analysis: SupportedAnalysis, params: Params): TritonParts {
  const op = analysis.op;
  if (op.family !== 'softmax') throw new TemplateError('tritonSoftmax needs a softmax problem');
  const shape = analysis.inputs[0]!.shape;
  if (normDim(op.dim, shape.length) !== shape.length - 1) throw new TemplateError('the builtin Triton softmax reduces the last dim only');
  const ncols = shape[shape.length - 1]!;
  const block = Math.min(num(params, 'block'), nextPow2(ncols));
  const online = str(params, 'strategy') === 'online';
  const out = op.op === 'log_softmax' ? 'v - M - tl.log(S)' : 'tl.exp(v - M) / S';
  const stats = online
    ? `    m = tl.full([BLOCK], float("-inf"), tl.float32)
    s = tl.zeros([BLOCK], tl.float32)
    for start in range(0, ncols, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        v = tl.load(x_ptr + base + offs, mask=offs < ncols, other=float("-inf")).to(tl.float32)
        m_new = tl.maximum(m, v)
        # lanes that have seen only padding stay (-inf, 0) instead of exp(-inf - -inf) = NaN
        alive = m_new > float("-inf")
        s = tl.where(alive, s * tl.exp(m - m_new) + tl.exp(v - m_new), 0.0)
        m = m_new
    M = tl.max(m, 0)
    S = tl.sum(s * tl.exp(m - M), 0)`
    : `    m = tl.full([BLOCK], float("-inf"), tl.float32)
    for start in range(0, ncols, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        m = tl.maximum(m, tl.load(x_ptr + base + offs, mask=offs < ncols, other=float("-inf")).to(tl.float32))
    M = tl.max(m, 0)
    s = tl.zeros([BLOCK], tl.float32)
    for start in range(0, ncols, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        v = tl.load(x_ptr + base + offs, mask=offs < ncols, other=float("-inf")).to(tl.float32)
        s += tl.exp(v - M)
    S = tl.sum(s, 0)`;
  return {
    label: op.op, init: [], inputs: 1,
    kernels: `
@triton.jit
def kf_softmax(x_ptr, y_ptr, ncols, BLOCK: tl.constexpr):
    base = ${PID64} * ncols
${stats}
    for start in range(0, ncols, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        mask = offs < ncols
        v = tl.load(x_ptr + base + offs, mask=mask, other=0.0).to(tl.float32)
        tl.store(y_ptr + base + offs, ${out}, mask=mask)
`,
    forward: ['x = x0.contiguous()', 'y = torch.empty_like(x)', `rows = x.numel() // ${ncols}`,
      `kf_softmax[(rows,)](x, y, ${ncols}, BLOCK=${block}, num_warps=${num(params, 'warps')})`, 'return y'],
  };
}

export function tritonLayerNorm(analysis: SupportedAnalysis, params: Params): TritonParts {
  const op = analysis.op;
  if (op.family !== 'layernorm') throw new TemplateError('tritonLayerNorm needs a layernorm problem');
  const n = op.normalized_shape.reduce((x, y) => x * y, 1);
  const block = Math.min(num(params, 'block'), nextPow2(n));
  const chunks = Math.ceil(n / block);
  const warps = num(params, 'warps');
  const m = op.module;
  const affine = op.affine
    ? '\n    y = y * tl.load(w_ptr + offs, mask=mask, other=0.0).to(tl.float32) + tl.load(b_ptr + offs, mask=mask, other=0.0).to(tl.float32)'
    : '';
  return {
    label: 'layernorm', inputs: 1,
    init: [`self.${m} = nn.LayerNorm(${JSON.stringify(op.normalized_shape)}, eps=${op.eps}, elementwise_affine=${op.affine ? 'True' : 'False'})`],
    kernels: `
@triton.jit
def kf_ln_stats(x_ptr, mean_ptr, m2_ptr, n, nchunks, BLOCK: tl.constexpr):
    row = ${PID64}
    c = tl.program_id(1)
    offs = c * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    v = tl.load(x_ptr + row * n + offs, mask=mask, other=0.0).to(tl.float32)
    cnt = tl.minimum(n - c * BLOCK, BLOCK).to(tl.float32)
    mu = tl.sum(v, 0) / cnt
    d = tl.where(mask, v - mu, 0.0)
    tl.store(mean_ptr + row * nchunks + c, mu)
    tl.store(m2_ptr + row * nchunks + c, tl.sum(d * d, 0))


@triton.jit
def kf_ln_apply(x_ptr, w_ptr, b_ptr, y_ptr, mean_ptr, m2_ptr, n, nchunks, eps, BLOCK: tl.constexpr, NC: tl.constexpr):
    row = ${PID64}
    c = tl.program_id(1)
    # Chan's combination of the chunks' (count, mean, M2): exact, no E[x^2] - E[x]^2 cancellation.
    ci = tl.arange(0, NC)
    cm = ci < nchunks
    mus = tl.load(mean_ptr + row * nchunks + ci, mask=cm, other=0.0)
    m2s = tl.load(m2_ptr + row * nchunks + ci, mask=cm, other=0.0)
    cnts = tl.where(cm, tl.minimum(n - ci * BLOCK, BLOCK).to(tl.float32), 0.0)
    mean = tl.sum(mus * cnts, 0) / n
    dm = mus - mean
    var = (tl.sum(m2s, 0) + tl.sum(cnts * dm * dm, 0)) / n
    rstd = 1.0 / tl.sqrt(var + eps)
    offs = c * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    v = tl.load(x_ptr + row * n + offs, mask=mask, other=0.0).to(tl.float32)
    y = (v - mean) * rstd${affine}
    tl.store(y_ptr + row * n + offs, y, mask=mask)
`,
    forward: [
      'x = x0.contiguous()', 'y = torch.empty_like(x)', `rows = x.numel() // ${n}`,
      `mean = torch.empty((rows, ${chunks}), device=x.device, dtype=torch.float32)`, 'm2 = torch.empty_like(mean)',
      `kf_ln_stats[(rows, ${chunks})](x, mean, m2, ${n}, ${chunks}, BLOCK=${block}, num_warps=${warps})`,
      op.affine ? `w, b = self.${m}.weight, self.${m}.bias` : 'w, b = x, x',
      `kf_ln_apply[(rows, ${chunks})](x, w, b, y, mean, m2, ${n}, ${chunks}, ${op.eps}, BLOCK=${block}, NC=${nextPow2(chunks)}, num_warps=${warps})`,
      'return y',
    ],
  };
}

const REDUCE: Record<string, { ident: string; combine: (a: string, b: string) => string; final: string }> = {
  sum: { ident: '0.0', combine: (a, b) => `${a} + ${b}`, final: 'tl.sum' },
  mean: { ident: '0.0', combine: (a, b) => `${a} + ${b}`, final: 'tl.sum' },
  max: { ident: 'float("-inf")', combine: (a, b) => `tl.maximum(${a}, ${b})`, final: 'tl.max' },
  min: { ident: 'float("inf")', combine: (a, b) => `tl.minimum(${a}, ${b})`, final: 'tl.min' },
};

export function tritonReduction(analysis: SupportedAnalysis, params: Params): TritonParts {
  const op = analysis.op;
  if (op.family !== 'reduction') throw new TemplateError('tritonReduction needs a reduction problem');
  const shape = analysis.inputs[0]!.shape;
  const d = normDim(op.dim, shape.length);
  const outer = shape.slice(0, d).reduce((a, b) => a * b, 1);
  const r = shape[d]!;
  const inner = shape.slice(d + 1).reduce((a, b) => a * b, 1);
  const red = REDUCE[op.op]!;
  const scale = op.op === 'mean' ? ` / ${r}` : '';
  const outShape = shape.map((s, i) => (i === d ? 1 : s)).filter((_, i) => op.keepdim || i !== d);
  const warps = num(params, 'warps');
  const br = num(params, 'blockR');
  let kernels: string;
  let launch: string;
  if (inner === 1) {
    // Reducing the contiguous dim: one program per output, a 1-D tile along the row.
    const block = Math.min(nextPow2(r), br * num(params, 'blockN'));
    kernels = `
@triton.jit
def kf_reduce(x_ptr, y_ptr, R, BLOCK: tl.constexpr):
    o = ${PID64}
    acc = tl.full([BLOCK], ${red.ident}, tl.float32)
    for r0 in range(0, R, BLOCK):
        rows = r0 + tl.arange(0, BLOCK)
        v = tl.load(x_ptr + o * R + rows, mask=rows < R, other=${red.ident}).to(tl.float32)
        acc = ${red.combine('acc', 'v')}
    tl.store(y_ptr + o, ${red.final}(acc, 0)${scale})
`;
    launch = `kf_reduce[(${outer},)](x, y, ${r}, BLOCK=${block}, num_warps=${warps})`;
  } else {
    ({ kernels, launch } = middleDimReduction(red, scale, outer, r, inner, br, num(params, 'blockN'), warps,
      typeof params.split === 'number' ? params.split : 1));
  }
  return {
    label: op.op, init: [], inputs: 1, kernels,
    forward: ['x = x0.contiguous()', `y = torch.empty(${JSON.stringify(outShape)}, device=x.device, dtype=x.dtype)`, ...launch.split('\n'), 'return y'],
  };
}

/** The programs a split middle-dim reduction aims for: ~62 per SM of an H200 (132 SMs), enough to hide
 * DRAM latency, where outer x column tiles alone are fewer. */
const SPLIT_TARGET_PROGRAMS = 8192;

/**
 * Reducing a middle dim (inner > 1). Session 8 on the H200: the first form (outer on grid axis 0, int64
 * offsets recomputed per tile) ran Sum over dim 1 of (128, 4096, 4095) at 0.87x eager in fp32 and 0.90x
 * in fp16/bf16. Column tiles now vary fastest across programs, so programs resident together read
 * neighbouring stretches of the same rows; the tile's pointers advance by one add; the row mask is
 * dropped where the tiles divide R (shapes are fixed per problem: R and the inner size are compile-time
 * constants). With split > 1 (an upper bound: no more programs than SPLIT_TARGET_PROGRAMS need, and at
 * least 4 row tiles each), the reduced dim is cut into that many slices whose fp32 partials a second
 * kernel combines in a fixed order (deterministic, unlike atomics).
 */
function middleDimReduction(red: (typeof REDUCE)[string], scale: string, outer: number, r: number, inner: number,
  br: number, blockN: number, warps: number, maxSplit: number): { kernels: string; launch: string } {
  const bn = Math.min(blockN, nextPow2(inner));
  const tiles = outer * Math.ceil(inner / bn);
  const split = Math.max(1, Math.min(maxSplit, Math.ceil(SPLIT_TARGET_PROGRAMS / tiles), Math.floor(r / (4 * br))));
  const rowsPer = Math.ceil(Math.ceil(r / split) / br) * br; // a whole number of row tiles per slice
  const exact = rowsPer * split === r;
  const head = `    ncol = (INNER + BLOCK_N - 1) // BLOCK_N  # a compile-time constant
    pid = ${PID64}
    o = pid // ncol
    cols = (pid % ncol) * BLOCK_N + tl.arange(0, BLOCK_N)
    cmask = cols < INNER
    rows = tl.arange(0, BLOCK_R)`;
  if (split === 1) {
    const mask = r % br === 0 ? 'cmask[None, :]' : '((r0 + rows)[:, None] < R) & cmask[None, :]';
    return {
      kernels: `
@triton.jit
def kf_reduce(x_ptr, y_ptr, R: tl.constexpr, INNER: tl.constexpr, BLOCK_R: tl.constexpr, BLOCK_N: tl.constexpr):
${head}
    ptrs = x_ptr + o * (R * INNER) + rows[:, None] * INNER + cols[None, :]
    acc = tl.full([BLOCK_R, BLOCK_N], ${red.ident}, tl.float32)
    for r0 in range(0, R, BLOCK_R):
        v = tl.load(ptrs, mask=${mask}, other=${red.ident}).to(tl.float32)
        acc = ${red.combine('acc', 'v')}
        ptrs += BLOCK_R * INNER
    tl.store(y_ptr + o * INNER + cols, ${red.final}(acc, 0)${scale}, mask=cmask)
`,
      launch: `kf_reduce[(${tiles},)](x, y, ${r}, ${inner}, BLOCK_R=${br}, BLOCK_N=${bn}, num_warps=${warps})`,
    };
  }
  const mask = exact ? 'cmask[None, :]' : '((first + r0 + rows)[:, None] < R) & cmask[None, :]';
  // Row offsets in int32 where they fit: with the cast to int64 on every slice the H200 ran this kernel
  // 20% slower (session 9, reduction-sweep-run2: 2.45 against 2.05 ms at fp32).
  const wide = r * inner >= 2 ** 31 ? '.to(tl.int64)' : '';
  return {
    kernels: `
@triton.jit
def kf_reduce_part(x_ptr, part_ptr, R: tl.constexpr, INNER: tl.constexpr, ROWS: tl.constexpr, OUTER: tl.constexpr,
                   BLOCK_R: tl.constexpr, BLOCK_N: tl.constexpr):
${head}
    s = tl.program_id(1)
    first = s * ROWS
    ptrs = x_ptr + o * (R * INNER) + (first + rows)[:, None]${wide} * INNER + cols[None, :]
    acc = tl.full([BLOCK_R, BLOCK_N], ${red.ident}, tl.float32)
    for r0 in range(0, ROWS, BLOCK_R):
        v = tl.load(ptrs, mask=${mask}, other=${red.ident}).to(tl.float32)
        acc = ${red.combine('acc', 'v')}
        ptrs += BLOCK_R * INNER
    tl.store(part_ptr + (s * OUTER + o) * INNER + cols, ${red.final}(acc, 0), mask=cmask)


@triton.jit
def kf_reduce_combine(part_ptr, y_ptr, N: tl.constexpr, SPLIT: tl.constexpr, BLOCK: tl.constexpr):
    offs = ${PID64} * BLOCK + tl.arange(0, BLOCK)
    mask = offs < N
    acc = tl.load(part_ptr + offs, mask=mask, other=${red.ident})
    for s in range(1, SPLIT):
        v = tl.load(part_ptr + s * N + offs, mask=mask, other=${red.ident})
        acc = ${red.combine('acc', 'v')}
    tl.store(y_ptr + offs, acc${scale}, mask=mask)
`,
    launch: [
      `part = torch.empty((${split}, ${outer * inner}), device=x.device, dtype=torch.float32)`,
      `kf_reduce_part[(${tiles}, ${split})](x, part, ${r}, ${inner}, ${rowsPer}, ${outer}, BLOCK_R=${br}, BLOCK_N=${bn}, num_warps=${warps})`,
      `kf_reduce_combine[(triton.cdiv(${outer * inner}, 1024),)](part, y, ${outer * inner}, ${split}, BLOCK=1024, num_warps=4)`,
    ].join('\n'),
  };
}

export function tritonMatmul(analysis: SupportedAnalysis, params: Params, precision: string): TritonParts {
  const s = matmulShape(analysis);
  const [bm, bn, bk] = [num(params, 'bm'), num(params, 'bn'), num(params, 'bk')];
  const act = s.activation ? `\n    v = acc\n    acc = ${tritonUnaryExpr(s.activation)}` : '';
  // fp32 without TF32 keeps the 1e-4 tolerance; fp16/bf16 operands go to the tensor cores as they are.
  const dot = precision === 'fp32' ? 'tl.dot(a, b, acc, input_precision="ieee")' : 'tl.dot(a, b, acc)';
  return {
    label: s.label, init: s.init, inputs: s.inputs,
    kernels: `
@triton.jit
def kf_matmul(a_ptr, b_ptr, bias_ptr, c_ptr, M, N, K, sam, sak, sbk, sbn,
              HAS_BIAS: tl.constexpr, BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr, GROUP: tl.constexpr):
    # Grouped launch order: GROUP row-blocks share their B column-blocks in L2.
    pid = tl.program_id(0)
    num_m = tl.cdiv(M, BM)
    num_n = tl.cdiv(N, BN)
    per_group = GROUP * num_n
    first = (pid // per_group) * GROUP
    size = tl.minimum(num_m - first, GROUP)
    pm = first + (pid % per_group) % size
    pn = (pid % per_group) // size
    rm = pm * BM + tl.arange(0, BM)
    rn = pn * BN + tl.arange(0, BN)
    rk = tl.arange(0, BK)
    a_ptrs = a_ptr + rm[:, None].to(tl.int64) * sam + rk[None, :] * sak
    b_ptrs = b_ptr + rk[:, None].to(tl.int64) * sbk + rn[None, :] * sbn
    acc = tl.zeros((BM, BN), dtype=tl.float32)
    for k0 in range(0, K, BK):
        a = tl.load(a_ptrs, mask=(rm[:, None] < M) & (rk[None, :] < K - k0), other=0.0)
        b = tl.load(b_ptrs, mask=(rk[:, None] < K - k0) & (rn[None, :] < N), other=0.0)
        acc = ${dot}
        a_ptrs += BK * sak
        b_ptrs += BK * sbk
    if HAS_BIAS:
        acc += tl.load(bias_ptr + rn, mask=rn < N, other=0.0).to(tl.float32)[None, :]${act}
    tl.store(c_ptr + rm[:, None].to(tl.int64) * N + rn[None, :], acc, mask=(rm[:, None] < M) & (rn[None, :] < N))
`,
    forward: [
      `A = ${s.a}${s.transA ? '.t()' : ''}`,
      `B = ${s.b}${s.transB ? '.t()' : ''}`,
      'A2 = A.reshape(-1, A.shape[-1])',
      'M, K = A2.shape',
      'N = B.shape[1]',
      'c = torch.empty((M, N), device=A2.device, dtype=A2.dtype)',
      `grid = (triton.cdiv(M, ${bm}) * triton.cdiv(N, ${bn}),)`,
      `kf_matmul[grid](A2, B, ${s.bias ?? 'A2'}, c, M, N, K, A2.stride(0), A2.stride(1), B.stride(0), B.stride(1),`,
      `                HAS_BIAS=${s.bias ? 'True' : 'False'}, BM=${bm}, BN=${bn}, BK=${bk}, GROUP=8, num_warps=${num(params, 'warps')}, num_stages=${num(params, 'stages')})`,
      'return c.view(*A.shape[:-1], N)',
    ],
  };
}
