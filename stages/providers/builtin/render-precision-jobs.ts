/**
 * Render the builtin provider's candidates for a GPU run of backends x precisions into a JSONL of
 * verification jobs (stages/verify/protocol.ts), so a GPU host without Node runs them with verify.py
 * (stages/verify/gpu/precision_triton.py). Per problem and combination: the first `--per` catalogue
 * ideas; a combination the templates cannot do becomes a line {"skipped": reason, ...}, never a silent gap.
 *
 *   npx tsx stages/providers/builtin/render-precision-jobs.ts --problems test/fixtures/kernelbench/level1-gpu.jsonl \
 *     --out test/fixtures/gpu/precision-jobs.jsonl [--per 1] [--combos triton:fp32,triton:fp16,triton:bf16,cuda:fp16,cuda:bf16]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { problemKey, type Problem } from '../../../kernelbench/problem.ts';
import { BACKENDS, PRECISIONS, type Backend, type Precision, type VerifyJob } from '../../verify/protocol.ts';
import { makeVerifyJob } from '../../verify/verify-job.ts';
import { createBuiltinProvider } from './index.ts';

const rowSchema = z.object({ level: z.number(), problem_id: z.number(), name: z.string(), code: z.string() });
const comboSchema = z.tuple([z.enum(BACKENDS), z.enum(PRECISIONS)]);
export const DEFAULT_COMBOS = 'triton:fp32,triton:fp16,triton:bf16,cuda:fp16,cuda:bf16';

export interface RenderedLine {
  job?: VerifyJob;
  skipped?: string;
  problem: string;
  backend: Backend;
  precision: Precision;
  idea?: string;
}

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}

export async function renderJobs(jsonl: string, combos: string, per: number): Promise<RenderedLine[]> {
  const provider = createBuiltinProvider({});
  const lines: RenderedLine[] = [];
  const pairs = combos.split(',').map((c) => comboSchema.parse(c.split(':')));
  for (const text of readFileSync(jsonl, 'utf8').split('\n')) {
    if (!text.trim()) continue;
    const row = rowSchema.parse(JSON.parse(text));
    const problem: Problem = { key: problemKey(row.code), source: `jsonl:${jsonl}`, file: null, level: row.level,
      problemId: row.problem_id, name: row.name, code: row.code };
    for (const [backend, precision] of pairs) {
      const base = { problem: row.name, backend, precision };
      const reason = await provider.unsupportedReason(problem, backend, precision);
      if (reason) {
        lines.push({ ...base, skipped: reason });
        continue;
      }
      const ideas = await provider.proposeIdeas({ problem, backend, precision, round: 1, count: per, history: [] });
      for (const [i, idea] of ideas.ideas.entries()) {
        const impl = await provider.implement({ problem, backend, precision, idea, implIndex: 0, seeds: [] });
        if (!impl.source) {
          lines.push({ ...base, skipped: `render failed: ${impl.failure}` });
          continue;
        }
        const settings = { backend, precision, tolerance: 'default' as const, trials: 3, warmup: 3, repeats: 10,
          timeout_s: 300, seed: 20251122, compile_reference: false };
        const id = `${row.level}_${row.problem_id}_${backend}_${precision}_${i}_${idea.category}`;
        lines.push({ ...base, idea: idea.text, job: makeVerifyJob(settings, problem, id, impl.source) });
      }
    }
  }
  return lines;
}

async function main(): Promise<void> {
  const out = arg('out', 'test/fixtures/gpu/precision-jobs.jsonl');
  const lines = await renderJobs(arg('problems'), arg('combos', DEFAULT_COMBOS), Number(arg('per', '1')));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  for (const l of lines) console.log(`${l.problem} ${l.backend} ${l.precision}: ${l.skipped ? `skipped (${l.skipped})` : l.job!.candidate_id}`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  await main();
}
