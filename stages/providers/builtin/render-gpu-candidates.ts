/**
 * Render builtin CUDA candidates for KernelBench problems so they can be compiled here and run on a
 * GPU host. Each problem gets a folder with problem.py (the reference, copied from the JSONL the
 * caller names) and one candidate per catalogue idea; --compile checks every CUDA source with nvcc
 * (against the torch headers of the local Python, so `load_inline` on the GPU host sees the same code).
 *
 *   npx tsx stages/providers/builtin/render-gpu-candidates.ts --problems /work/shared/kernelbench/problems.jsonl \
 *     --ids 19,23,40,47,1 --out /tmp/kf-gpu [--compile] [--arch sm_90] [--max N]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { z } from 'zod';
import { problemKey, type Problem } from '../../../kernelbench/problem.ts';
import { createBuiltinProvider } from './index.ts';
import { findPython } from '../../verify/python.ts';

const rowSchema = z.object({ level: z.number(), problem_id: z.number(), name: z.string(), code: z.string() });

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}

/** Pull the CUDA source and declaration out of a rendered module. */
export function extractCuda(module: string): string {
  const m = /_SOURCE = r'''([\s\S]*?)'''/.exec(module);
  if (!m?.[1]) throw new Error('no _SOURCE in module');
  return m[1];
}

async function torchIncludes(): Promise<string[]> {
  const python = await findPython();
  const { stdout } = await execa(python, [
    '-c',
    'import sysconfig; from torch.utils.cpp_extension import include_paths; print("\\n".join(include_paths() + [sysconfig.get_paths()["include"]]))',
  ]);
  return stdout.trim().split('\n');
}

async function main(): Promise<void> {
  const jsonl = arg('problems');
  const ids = new Set(arg('ids', '19,23,40,47,1').split(',').map(Number));
  const level = Number(arg('level', '1'));
  const out = arg('out', '/tmp/kf-gpu-candidates');
  const compile = process.argv.includes('--compile');
  const archFlag = arg('arch', 'sm_90');
  // nvcc with the torch headers takes minutes per file on a small machine: --max N checks N per problem.
  const maxPerProblem = Number(arg('max', '1000'));
  const provider = createBuiltinProvider({});
  const includes = compile ? await torchIncludes() : [];
  if (compile) {
    // A CPU-only torch ships c10/cuda headers without this generated file; an empty stand-in is
    // enough for a compile check (the GPU host's torch has the real one).
    const shim = join(out, '.shim');
    mkdirSync(join(shim, 'c10/cuda/impl'), { recursive: true });
    writeFileSync(join(shim, 'c10/cuda/impl/cuda_cmake_macros.h'), '#pragma once\n');
    includes.push(shim);
  }
  let failures = 0;
  for (const line of readFileSync(jsonl, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const row = rowSchema.parse(JSON.parse(line));
    if (row.level !== level || !ids.has(row.problem_id)) continue;
    const problem: Problem = {
      key: problemKey(row.code), source: `jsonl:${jsonl}`, file: null, level: row.level, problemId: row.problem_id,
      name: row.name, code: row.code,
    };
    const dir = join(out, `L${row.level}_${row.name}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'problem.py'), row.code);
    const reason = await provider.unsupportedReason(problem, 'cuda');
    if (reason) {
      console.log(`${row.name}: skipped (${reason})`);
      continue;
    }
    const ideas = await provider.proposeIdeas({ problem, backend: 'cuda', precision: 'fp32', round: 1, count: 100, history: [] });
    for (const [i, idea] of ideas.ideas.slice(0, maxPerProblem).entries()) {
      const impl = await provider.implement({ problem, backend: 'cuda', precision: 'fp32', idea, implIndex: 0, seeds: [] });
      const file = join(dir, `cand_${i}_${idea.category}.py`);
      if (!impl.source) {
        console.log(`${row.name} #${i}: render failed: ${impl.failure}`);
        failures++;
        continue;
      }
      writeFileSync(file, impl.source);
      writeFileSync(join(dir, `cand_${i}_${idea.category}.idea.txt`), `${idea.text}\n${impl.generation.prompt}\n`);
      if (!compile) {
        console.log(`${row.name} #${i} ${idea.category}: rendered`);
        continue;
      }
      const cu = join(dir, `cand_${i}.cu`);
      writeFileSync(cu, extractCuda(impl.source));
      const t = Date.now();
      const result = await execa('nvcc', [
        '-c', cu, '-o', join(dir, `cand_${i}.o`), `-arch=${archFlag}`, '-O3', '-std=c++17',
        '-DTORCH_EXTENSION_NAME=kf_check', '-D__CUDA_NO_HALF_OPERATORS__', ...includes.flatMap((p) => ['-I', p]),
      ], { reject: false });
      const ok = result.exitCode === 0;
      if (!ok) failures++;
      console.log(`${row.name} #${i} ${idea.category}: nvcc ${ok ? 'ok' : 'FAILED'} (${((Date.now() - t) / 1000).toFixed(0)} s)`);
      if (!ok) console.log(result.stderr.split('\n').filter((l) => /error/.test(l)).slice(0, 8).join('\n'));
    }
  }
  if (failures > 0) {
    console.log(`${failures} candidate(s) failed`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  await main();
}
