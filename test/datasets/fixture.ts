/**
 * A small generated dataset: 6 problems over 2 levels, 2 rounds, a mix of failures, slow and fast
 * correct kernels, one suspect record and one weak problem; written as a run folder.
 */
import { join } from 'node:path';
import { writeRecordsParquet } from '../../datasets/parquet-writer.ts';
import type { KernelRecord } from '../../datasets/schema.ts';
import { makeRecord } from '../support/records.ts';

export interface FixtureProblem {
  level: number;
  id: number;
  weak?: boolean;
  /** [round, speedup or 'fail:<stage>' or 'wrong' or 'suspect'] per candidate. */
  candidates: [number, number | string][];
}

export const PROBLEMS: FixtureProblem[] = [
  { level: 1, id: 1, candidates: [[1, 0.5], [1, 1.3], [2, 2.5], [2, 'wrong']] },
  { level: 1, id: 2, candidates: [[1, 'fail:build'], [1, 0.9], [2, 1.1]] },
  { level: 1, id: 3, candidates: [[1, 'wrong'], [2, 'fail:build'], [2, 'suspect']] },
  { level: 1, id: 4, weak: true, candidates: [[1, 3.0], [2, 1.6]] },
  { level: 2, id: 1, candidates: [[1, 1.6], [1, 0.7], [2, 1.6001]] },
  { level: 2, id: 2, candidates: [[1, 'fail:generate'], [2, 0.8]] },
];

const code = (level: number, id: number): string => `import torch\n# problem ${level}/${id}\nclass Model(torch.nn.Module):\n    def forward(self, x):\n        return x * ${level * 10 + id}\n`;

export function kernelFor(level: number, id: number, k: number): string {
  return `import torch\n\n# kernel ${k}\nclass ModelNew(torch.nn.Module):\n    def forward(self, x):\n        return x * ${level * 10 + id} + 0 * ${k}\n`;
}

export function fixtureRecords(runId = 'run-a'): KernelRecord[] {
  const out: KernelRecord[] = [];
  for (const p of PROBLEMS) {
    p.candidates.forEach(([round, outcome], k) => {
      const speedup = typeof outcome === 'number' ? outcome : outcome === 'suspect' ? 5 : null;
      const fail = typeof outcome === 'string' && outcome.startsWith('fail:') ? outcome.slice(5) : outcome === 'wrong' ? 'correctness' : outcome === 'suspect' ? 'integrity' : null;
      out.push(
        makeRecord({
          record_id: `${p.level}-${p.id}-${k}`,
          run_id: runId,
          round,
          level: p.level,
          problem_id: p.id,
          problem_name: `${p.id}_Problem_${p.level}`,
          problem_key: `key-${p.level}-${p.id}`,
          problem_code: code(p.level, p.id),
          weak_problem: p.weak ?? false,
          kernel_source: outcome === 'fail:generate' ? '' : kernelFor(p.level, p.id, k),
          kernel_id: `kid-${p.level}-${p.id}-${k}`,
          idea_text: `idea ${k} for ${p.level}/${p.id}`,
          idea_category: k % 2 ? 'memory access' : 'parallelism and occupancy',
          compiled: fail !== 'build' && fail !== 'generate',
          correct: typeof outcome === 'number',
          suspect: outcome === 'suspect',
          flags: outcome === 'suspect' ? ['output_is_input'] : [],
          fail_stage: fail as KernelRecord['fail_stage'],
          speedup,
          kernel_time_ms: speedup ? 2 / speedup : null,
          tokens_in: 100,
          tokens_out: 50,
          cost_usd: p.level === 1 ? 0.01 : null,
          provider: p.level === 2 ? 'openai' : 'builtin',
          model: p.level === 2 ? 'gpt-test' : 'builtin-v1',
        }),
      );
    });
  }
  return out;
}

/** Write records as a run folder: <dir>/records/part-00000.parquet (split in two parts). */
export async function writeRun(dir: string, records: KernelRecord[]): Promise<string> {
  const half = Math.ceil(records.length / 2);
  await writeRecordsParquet(records.slice(0, half), join(dir, 'records', 'part-00000.parquet'));
  await writeRecordsParquet(records.slice(half), join(dir, 'records', 'part-00001.parquet'));
  return dir;
}
