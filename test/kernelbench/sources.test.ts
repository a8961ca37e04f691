import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import { Compression, Table as WasmTable, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm';
import { describe, expect, it } from 'vitest';
import { problemKey } from '../../kernelbench/problem.ts';
import type { ProblemSourceSpec } from '../../kernelbench/sources/spec.ts';
import { loadProblems, readProblemSource, selectProblems } from '../../kernelbench/sources/index.ts';
import { FIXTURE_KERNELBENCH, REAL_KERNELBENCH, type KernelBenchSet } from '../support/paths.ts';

const tmp = () => mkdtemp(path.join(tmpdir(), 'kforge-src-'));

/** The rows as the source file holds them, read without our reader where it is a JSONL. */
async function rawRows(spec: ProblemSourceSpec): Promise<{ level: number; problem_id: number; name: string; code: string }[]> {
  if (typeof spec === 'object' && 'jsonl' in spec) {
    return (await readFile(spec.jsonl, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { level: number; problem_id: number; name: string; code: string });
  }
  return (await readProblemSource(spec)).map((p) => ({ level: p.level, problem_id: p.problemId, name: p.name, code: p.code }));
}

// The same tests on the project's fixture (always) and on the real benchmark (where KFORGE_KERNELBENCH names it).
for (const set of [FIXTURE_KERNELBENCH, REAL_KERNELBENCH] satisfies KernelBenchSet[]) {
  describe.skipIf(!set.spec)(`problem sources on ${set.label}`, () => {
    const spec = set.spec!;

    it(`loads every problem: ${set.total}, ${set.byLevel.join('/')} by level`, async () => {
      const problems = await readProblemSource(spec);
      expect(problems).toHaveLength(set.total);
      const byLevel = [1, 2, 3, 4].map((l) => problems.filter((p) => p.level === l).length);
      expect(byLevel).toEqual(set.byLevel);
      expect(new Set(problems.map((p) => `${p.level}/${p.problemId}`)).size).toBe(set.total);
      for (const p of problems) {
        expect(p.code).toContain('class Model');
        expect(p.key).toBe(problemKey(p.code));
      }
    });

    it('loads the same problems from a folder laid out like a KernelBench checkout', async () => {
      const fromSource = await readProblemSource(spec);
      const root = await tmp();
      for (const p of fromSource) {
        const dir = path.join(root, 'KernelBench', `level${p.level}`);
        await mkdir(dir, { recursive: true });
        await writeFile(path.join(dir, `${p.name}.py`), p.code);
      }
      const fromCheckout = await readProblemSource({ checkout: root });
      const summarise = (list: typeof fromSource) => list.map((p) => [p.level, p.problemId, p.name, p.key].join('|')).sort();
      expect(summarise(fromCheckout)).toEqual(summarise(fromSource));
      expect(fromCheckout[0]!.file).toMatch(/^KernelBench\/level1\/1_/);
    });

    it('loads problems from a Parquet file in the Hugging Face layout', async () => {
      const lines = (await rawRows(spec)).slice(0, 5);
      const table = arrow.tableFromArrays({
        code: lines.map((l) => l.code),
        level: Int32Array.from(lines.map((l) => l.level)),
        name: lines.map((l) => l.name),
        problem_id: Int32Array.from(lines.map((l) => l.problem_id)),
      });
      const file = path.join(await tmp(), 'problems.parquet');
      const props = new WriterPropertiesBuilder().setCompression(Compression.ZSTD).build();
      await writeFile(file, writeParquet(WasmTable.fromIPCStream(arrow.tableToIPC(table, 'stream')), props));
      const problems = await readProblemSource({ parquet: file });
      expect(problems.map((p) => p.name)).toEqual(lines.map((l) => l.name));
      expect(problems[0]!.key).toBe(problemKey(lines[0]!.code));
    });

    it('selects by level, ids, name pattern and limit', async () => {
      const all = await readProblemSource(spec);
      expect(selectProblems(all, { levels: [1], ids: [19, 23, 40] }).map((p) => p.name)).toEqual(['19_ReLU', '23_Softmax', '40_LayerNorm']);
      expect(selectProblems(all, { levels: [2], limit: 3 })).toHaveLength(3);
      const conv = selectProblems(all, { name: 'conv' });
      expect(conv.length).toBeGreaterThanOrEqual(set.minConv);
      expect(conv.every((p) => /conv/i.test(p.name))).toBe(true);
    });
  });
}

describe('problem sources', () => {
  it('has builtin samples for each family the brief names, all small', async () => {
    const problems = await readProblemSource('builtin');
    const names = problems.map((p) => p.name);
    for (const family of ['ReLU', 'Softmax', 'LayerNorm', 'Sum_reduction', 'matrix_multiplication', 'Matmul_Bias_ReLU']) {
      expect(names.some((n) => n.includes(family)), family).toBe(true);
    }
    expect(problems.every((p) => p.source === 'builtin' && p.problemId >= 1001)).toBe(true);
  });

  it('refuses a name pattern that is not a regular expression', async () => {
    await expect(loadProblems('builtin', { name: '(' })).rejects.toThrow(/regular expression/);
  });

  it('keys ignore comments and whitespace but not code', () => {
    const code = 'import torch\nclass Model:\n    def forward(self, x):\n        return x * 2  # double\n';
    const reformatted = '# header comment\nimport torch\n\nclass Model:\n  def forward(self,x):\n    return x*2\n';
    expect(problemKey(reformatted)).toBe(problemKey(code));
    expect(problemKey(code.replace('* 2', '* 3'))).not.toBe(problemKey(code));
    // A '#' inside a string is code, not a comment.
    expect(problemKey("s = '#a'\n")).not.toBe(problemKey("s = '#b'\n"));
  });

  it('names the line of a malformed JSONL entry and refuses text that is not UTF-8', async () => {
    const dir = await tmp();
    const bad = path.join(dir, 'bad.jsonl');
    await writeFile(bad, '{"level": 1, "problem_id": 1, "name": "1_x", "code": "class Model: pass"}\n{"level": 1, "name": "2_y"}\n');
    await expect(readProblemSource({ jsonl: bad })).rejects.toThrow(/bad\.jsonl:2: .*problem_id/);
    const latin1 = path.join(dir, 'latin1.jsonl');
    await writeFile(latin1, Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x7d, 0x0a]));
    await expect(readProblemSource({ jsonl: latin1 })).rejects.toThrow(/not valid UTF-8/);
    await expect(readProblemSource({ jsonl: path.join(dir, 'missing.jsonl') })).rejects.toThrow(/Cannot read problem file/);
    await expect(readProblemSource({ checkout: path.join(dir, 'nowhere') })).rejects.toThrow(/does not exist/);
  });
});
