/**
 * Measure the builtin provider's cpu kernels on the builtin problems: render, build, check against
 * the reference (test/builtin/check_kernel.py) and print a markdown table of speedups versus PyTorch
 * on this CPU. Timing is perf_counter medians in one process: indicative, not the harness's numbers.
 *
 *   npx tsx stages/providers/builtin/cpu-speedups.ts [--ideas N]   (N ideas per problem, default 1)
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { problemKey, type Problem } from '../../../kernelbench/problem.ts';
import { createBuiltinProvider } from './index.ts';
import { findPython } from '../../verify/python.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHECK = join(ROOT, 'test/builtin/check_kernel.py');

async function main(): Promise<void> {
  const i = process.argv.indexOf('--ideas');
  const perProblem = i >= 0 ? Number(process.argv[i + 1]) : 1;
  const python = await findPython();
  const provider = createBuiltinProvider({ python });
  const scratch = mkdtempSync(join(tmpdir(), 'kf-cpu-speedups-'));
  console.log('| problem | idea category | idea | correct | max abs error | PyTorch ms | kernel ms | speedup |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const level of readdirSync(join(ROOT, 'kernelbench/builtin')).sort()) {
    for (const file of readdirSync(join(ROOT, 'kernelbench/builtin', level)).sort()) {
      const path = join(ROOT, 'kernelbench/builtin', level, file);
      const code = readFileSync(path, 'utf8');
      const problem: Problem = {
        key: problemKey(code), source: 'builtin', file: null, level: Number(level.replace('level', '')),
        problemId: Number(file.split('_')[0]), name: file.replace(/\.py$/, ''), code,
      };
      const ideas = await provider.proposeIdeas({ problem, backend: 'cpu', precision: 'fp32', round: 1, count: perProblem, history: [] });
      for (const [k, idea] of ideas.ideas.entries()) {
        const impl = await provider.implement({ problem, backend: 'cpu', precision: 'fp32', idea, implIndex: 0, seeds: [] });
        const cand = join(scratch, `${problem.name}_${k}.py`);
        writeFileSync(cand, impl.source ?? '');
        const { stdout } = await execa(python, [CHECK, path, cand, '20'], { reject: false });
        const r = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, number | boolean | string | null>;
        const f = (v: unknown, d = 3) => (typeof v === 'number' ? v.toFixed(d) : '-');
        console.log(`| ${level}/${problem.name} | ${idea.category} | ${idea.text.slice(0, 80)}... | ${r.correct ? 'yes' : `no ${r.fail ?? ''}`} | ${typeof r.max_abs_error === 'number' ? r.max_abs_error.toExponential(1) : '-'} | ${f(r.ref_ms)} | ${f(r.kernel_ms)} | ${f(r.speedup, 2)} |`);
      }
    }
  }
}

await main();
