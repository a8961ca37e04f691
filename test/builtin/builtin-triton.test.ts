/**
 * The builtin provider's Triton and fp16/bf16 templates. Every rendered module is valid Python (ast),
 * in KernelBench's Triton format (@triton.jit kernels, a ModelNew launching them), and the harness's
 * static check finds no precision lowered at the run's precision; the fp16/bf16 CUDA templates render for every
 * family but binary elementwise. Where Triton is importable (setup.sh
 * installs it), the Triton candidates of the six builtin problems run in Triton's CPU interpreter
 * against the reference at fp32 and fp16. A combination the templates cannot do is skipped with the reason.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemKey, type Problem } from '../../kernelbench/problem.ts';
import { createBuiltinProvider } from '../../stages/providers/builtin/index.ts';
import type { Backend, Precision } from '../../stages/verify/protocol.ts';
import { findPython } from '../../stages/verify/python.ts';
import { REPO_ROOT } from '../support/paths.ts';

const CHECK = fileURLToPath(new URL('./check_triton.py', import.meta.url));
const HARNESS = join(REPO_ROOT, 'stages/verify/harness');
const scratch = mkdtempSync(join(tmpdir(), 'kf-builtin-triton-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const PROBLEMS: Problem[] = ['level1', 'level2'].flatMap((level) =>
  readdirSync(join(REPO_ROOT, 'kernelbench/builtin', level)).sort().map((f) => {
    const code = readFileSync(join(REPO_ROOT, 'kernelbench/builtin', level, f), 'utf8');
    return { key: problemKey(code), source: 'builtin', file: f, level: Number(level.slice(5)), problemId: 0, name: f.replace('.py', ''), code };
  }));

interface Rendered { problem: Problem; precision: Precision; backend: Backend; file: string; source: string }

const provider = createBuiltinProvider({});

async function renderFirst(problem: Problem, backend: Backend, precision: Precision, idea = 0): Promise<Rendered> {
  const ideas = await provider.proposeIdeas({ problem, backend, precision, round: 1, count: idea + 1, history: [] });
  expect(ideas.failure, `${problem.name} ${backend} ${precision}`).toBeNull();
  const impl = await provider.implement({ problem, backend, precision, idea: ideas.ideas[idea]!, implIndex: 0, seeds: [] });
  expect(impl.failure).toBeNull();
  const file = join(scratch, `${problem.name}_${backend}_${precision}${idea ? `_idea${idea}` : ''}.py`);
  writeFileSync(file, impl.source!);
  writeFileSync(file.replace(/\.py$/, '.problem.py'), problem.code);
  return { problem, precision, backend, file, source: impl.source! };
}

/** The harness's own static check of each file at its precision, and whether the file parses. */
async function pythonFacts(python: string, items: Rendered[]): Promise<Array<{ parses: boolean; findings: string[] }>> {
  const script = `import ast, json, sys
sys.path.insert(0, ${JSON.stringify(HARNESS)})
from kforge_harness.static_check import check_source
for line in sys.stdin:
    c = json.loads(line)
    src = open(c["file"]).read()
    try:
        ast.parse(src); parses = True
    except SyntaxError:
        parses = False
    print(json.dumps({"parses": parses, "findings": check_source(src, c["backend"], c["precision"])}))`;
  const r = await execa(python, ['-c', script], { input: items.map((i) => JSON.stringify(i)).join('\n') });
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

describe('builtin Triton and fp16/bf16 templates', () => {
  let python: string;
  const triton: Rendered[] = [];
  beforeAll(async () => {
    python = await findPython();
    for (const problem of PROBLEMS) for (const precision of ['fp32', 'fp16', 'bf16'] as const) triton.push(await renderFirst(problem, 'triton', precision));
  });

  it('renders every family as a KernelBench Triton module: parses, no load_inline, precision not lowered', async () => {
    expect(triton).toHaveLength(PROBLEMS.length * 3);
    const facts = await pythonFacts(python, triton);
    for (const [i, r] of triton.entries()) {
      expect(facts[i]!.parses, r.file).toBe(true);
      expect(r.source).toMatch(/^@triton\.jit$/m);
      expect(r.source).toMatch(/^class ModelNew\(nn\.Module\):$/m);
      expect(r.source).not.toContain('load_inline');
      expect(facts[i]!.findings, r.file).not.toContain('precision_lowered');
    }
    const matmul = triton.filter((r) => r.source.includes('tl.dot('));
    expect(matmul.map((r) => r.precision)).toEqual(['fp32', 'fp16', 'bf16', 'fp32', 'fp16', 'bf16']); // 1005 and level 2
    expect(matmul.filter((r) => r.source.includes('input_precision="ieee"')).map((r) => r.precision)).toEqual(['fp32', 'fp32']);
  });

  it('renders fp16/bf16 CUDA elementwise, softmax and reductions with half2/bf162 loads and fp32 arithmetic', async () => {
    const find = (name: string) => PROBLEMS.find((p) => p.name === name)!;
    const relu = find('1001_ReLU');
    const items = [await renderFirst(relu, 'cuda', 'bf16'), await renderFirst(relu, 'cuda', 'fp16')];
    const more = [await renderFirst(find('1002_Softmax'), 'cuda', 'bf16'), await renderFirst(find('1004_Sum_reduction_over_a_dimension'), 'cuda', 'fp16')];
    expect(more[0]!.source).toMatch(/typedef __nv_bfloat16 kf_t;[\s\S]*float m = -FLT_MAX, s = 0\.0f;/);
    expect(more[1]!.source).toMatch(/typedef __half kf_t;[\s\S]*float acc\[4\]/);
    expect((await pythonFacts(python, more)).map((f) => [f.parses, f.findings.includes('precision_lowered')])).toEqual([[true, false], [true, false]]);
    expect(items[0]!.source).toMatch(/__nv_bfloat162[\s\S]*__bfloat1622float2[\s\S]*__floats2bfloat162_rn/);
    expect(items[1]!.source).toMatch(/__half2[\s\S]*__half22float2[\s\S]*__floats2half2_rn/);
    const facts = await pythonFacts(python, items);
    expect(facts.map((f) => f.parses)).toEqual([true, true]);
    expect(facts.map((f) => f.findings.includes('precision_lowered'))).toEqual([false, false]);
    // The same bf16 kernel in an fp16 run computes below the run's precision.
    expect((await pythonFacts(python, [{ ...items[0]!, precision: 'fp16' }]))[0]!.findings).toContain('precision_lowered');
  });

  it('renders fp16/bf16 CUDA layer norm (16-byte loads, split rows) and matmul/linear on the tensor cores (WMMA, fp32 accumulators)', async () => {
    const find = (name: string) => PROBLEMS.find((p) => p.name === name)!;
    const ln = [await renderFirst(find('1003_LayerNorm'), 'cuda', 'fp16'), await renderFirst(find('1003_LayerNorm'), 'cuda', 'bf16')];
    for (const r of ln) expect(r.source).toMatch(/kf_ln_partial<true>[\s\S]*kf_ln_apply<true>/);
    expect(ln[0]!.source).toMatch(/typedef __half kf_t;[\s\S]*__floats2half2_rn/);
    expect(ln[1]!.source).toMatch(/typedef __nv_bfloat16 kf_t;[\s\S]*__floats2bfloat162_rn/);
    const mm = PROBLEMS.filter((p) => /matrix_multiplication|Gemm|Linear|Matmul/i.test(p.name));
    expect(mm.length).toBeGreaterThanOrEqual(2); // 1005 and the level-2 linear problem
    const items = [];
    for (const p of mm) for (const precision of ['fp16', 'bf16'] as const) items.push(await renderFirst(p, 'cuda', precision));
    for (const r of items) {
      expect(r.source).toMatch(/wmma::fragment<wmma::accumulator, 16, 16, 16, float>/);
      expect(r.source).toMatch(/wmma::mma_sync/);
    }
    // nn.Linear's weight is stored (N, K): read as a column-major fragment, not transposed.
    expect(items.filter((r) => r.source.includes('constexpr bool TA = false, TB = true;')).length).toBeGreaterThanOrEqual(2);
    const facts = await pythonFacts(python, [...ln, ...items]);
    expect(facts.map((f) => f.parses)).toEqual([...ln, ...items].map(() => true));
    expect(facts.map((f) => f.findings.includes('precision_lowered'))).toEqual([...ln, ...items].map(() => false));
  });

  it('skips a backend/precision combination it cannot do, saying why', async () => {
    const softmax = PROBLEMS.find((p) => p.name === '1002_Softmax')!;
    expect(await provider.unsupportedReason(softmax, 'cpu', 'bf16')).toMatch(/cpu templates compute fp32 only/);
    const code = ['import torch', 'import torch.nn as nn', '', 'class Model(nn.Module):', '    def __init__(self):',
      '        super().__init__()', '', '    def forward(self, a, b):', '        return a * b', '', 'def get_inputs():',
      '    return [torch.randn(64, 64), torch.randn(64, 64)]', '', 'def get_init_inputs():', '    return []', ''].join('\n');
    const binary: Problem = { key: problemKey(code), source: 'builtin', file: 'mul.py', level: 1, problemId: 0, name: 'mul', code };
    expect(await provider.unsupportedReason(binary, 'cuda', 'bf16')).toMatch(/no builtin bf16 CUDA template for family binary/);
    expect(await provider.unsupportedReason(softmax, 'triton', 'bf16')).toBeNull();
    const ideas = await provider.proposeIdeas({ problem: softmax, backend: 'cpu', precision: 'fp16', round: 1, count: 2, history: [] });
    expect([ideas.ideas.length, ideas.failure]).toEqual([0, expect.stringMatching(/no fp16 C\+\+ template/)]);
  });

  it('runs the Triton candidates in the interpreter: fp32 at 1e-4, fp16 at 1e-2', async (ctx) => {
    const has = await execa(python, ['-c', 'import triton'], { reject: false });
    if (has.exitCode !== 0) ctx.skip(); // scripts/setup.sh installs triton 3.2.0 for this
    // The builtin problems reduce the last dim only; KernelBench's (47: dim 1 of 128x4096x4095) reduce a
    // middle one: a reduced size the row tiles do not divide (masked rows) and one they do (no row mask),
    // split in two slices combined by a second kernel (idea 1) and in one pass (idea 2).
    const middle = [['sum', '2, 300, 37', 'x.sum(dim=1, keepdim=True)'], ['max', '2, 256, 33', 'torch.amax(x, dim=1)']].map(([op, shape, expr]) => {
      const code = ['import torch', 'import torch.nn as nn', '', 'class Model(nn.Module):', '    def __init__(self):',
        '        super().__init__()', '', '    def forward(self, x):', `        return ${expr}`, '', 'def get_inputs():',
        `    return [torch.randn(${shape})]`, '', 'def get_init_inputs():', '    return []', ''].join('\n');
      const p: Problem = { key: problemKey(code), source: 'builtin', file: `${op}_mid.py`, level: 1, problemId: 0, name: `${op}_over_dim1`, code };
      return p;
    });
    const mid: Rendered[] = [];
    for (const p of middle) for (const idea of [0, 1]) for (const precision of ['fp32', 'fp16'] as const) mid.push(await renderFirst(p, 'triton', precision, idea));
    for (const r of mid) expect(r.source, r.file).toMatch(/ptrs \+= BLOCK_R \* INNER/);
    expect(mid.map((r) => /kf_reduce_part\[\(\d+, 2\)\][\s\S]*kf_reduce_combine\[/.test(r.source))).toEqual([true, true, false, false, true, true, false, false]);
    expect(mid.map((r) => /r0 \+ rows\)\[:, None\] < R/.test(r.source))).toEqual([true, true, true, true, false, false, false, false]);
    const cases = [...triton, ...mid].filter((r) => r.precision !== 'bf16')
      .map((r) => ({ problem: r.file.replace(/\.py$/, '.problem.py'), candidate: r.file, precision: r.precision }));
    const out = await execa(python, [CHECK], { input: JSON.stringify(cases), env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    const lines = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as { ok: boolean; candidate: string });
    expect(lines).toHaveLength(cases.length);
    for (const l of lines) expect(l.ok, JSON.stringify(l)).toBe(true);
  });
});
