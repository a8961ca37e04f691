/**
 * The cpu templates on the families and code paths the six builtin problems do not reach:
 * broadcasting binary ops, log-softmax over a non-last dim, mean/max reductions (max returning a
 * tuple), transcendental activations, matmul with a transposed operand, linear + GELU.
 * Each case builds a C++ extension (~25 s), so the file runs only with KFORGE_BUILTIN_SWEEP=1.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { problemKey, type Problem } from '../../kernelbench/problem.ts';
import { createBuiltinProvider } from '../../stages/providers/builtin/index.ts';
import { findPython } from '../../stages/verify/python.ts';

const CHECK = fileURLToPath(new URL('./check_kernel.py', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'kf-builtin-families-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function problem(name: string, init: string, forward: string, inputs: string, initInputs = '[]', args = 'x'): Problem {
  const code = `import torch
import torch.nn as nn
import torch.nn.functional as F

class Model(nn.Module):
    def __init__(self, *args):
        super().__init__()
${init ? `        ${init}\n` : ''}
    def forward(self, ${args}):
        return ${forward}

def get_inputs():
    return ${inputs}

def get_init_inputs():
    return ${initInputs}
`;
  return { key: problemKey(code), source: 'test', file: null, level: 1, problemId: 0, name, code };
}

const CASES: Array<[Problem, string]> = [
  [problem('add_broadcast', '', 'a + b', '[torch.randn(16, 1, 64), torch.randn(8, 1)]', '[]', 'a, b'), 'binary'],
  [problem('log_softmax_dim0', '', 'torch.log_softmax(x, dim=0)', '[torch.randn(32, 8, 16)]'), 'softmax'],
  [problem('mean_last', '', 'torch.mean(x, dim=-1)', '[torch.randn(64, 300)]'), 'reduction'],
  [problem('max_dim1', '', 'torch.max(x, dim=1)[0]', '[torch.randn(4, 100, 33)]'), 'reduction'],
  [problem('gelu', '', 'F.gelu(x)', '[torch.randn(1000, 37)]'), 'unary'],
  [problem('sigmoid', '', 'torch.sigmoid(x)', '[torch.randn(4099)]'), 'unary'],
  [problem('matmul_tA', '', 'torch.matmul(A.T, B)', '[torch.randn(70, 50), torch.randn(70, 90)]', '[]', 'A, B'), 'matmul'],
  [problem('linear_gelu', 'self.fc = nn.Linear(96, 40)', 'F.gelu(self.fc(x))', '[torch.randn(33, 96)]'), 'linear'],
];

describe.runIf(process.env.KFORGE_BUILTIN_SWEEP === '1')('builtin cpu templates beyond the builtin problems', () => {
  const provider = createBuiltinProvider({});
  it.each(CASES.map(([p, f]) => [p.name, f, p] as const))('%s (%s) builds and matches the reference', async (_n, family, p) => {
    const analysis = await provider.analyse(p);
    expect(analysis.ok && analysis.op.family).toBe(family);
    const ideas = await provider.proposeIdeas({ problem: p, backend: 'cpu', precision: 'fp32', round: 1, count: 1, history: [] });
    const impl = await provider.implement({ problem: p, backend: 'cpu', precision: 'fp32', idea: ideas.ideas[0]!, implIndex: 0, seeds: [] });
    expect(impl.failure).toBeNull();
    const problemFile = join(scratch, `${p.name}_problem.py`);
    const candFile = join(scratch, `${p.name}_cand.py`);
    writeFileSync(problemFile, p.code);
    writeFileSync(candFile, impl.source!);
    const { stdout } = await execa(await findPython(), [CHECK, problemFile, candFile, '2'], { timeout: 600_000 });
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as { compiled: boolean; correct: boolean; fail?: string };
    expect(result, result.fail).toMatchObject({ compiled: true, correct: true });
  }, 900_000);
});
