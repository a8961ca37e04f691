/**
 * Preference pairs for DPO (TRL conversational format). Within one problem, a faster correct kernel
 * is chosen over a slower correct one (by at least `minMargin` times) or over an incorrect one.
 * Pass 1 (DuckDB) reads small columns and the pairs are planned here; pass 2 fetches only the paired
 * rows' sources.
 */
import { join } from 'node:path';
import { assistantReply, DEFAULT_SYSTEM_PROMPT, promptMessages, type PreferenceExample } from './chat-format.ts';
import { kernelDedupKey } from './kernel-dedup.ts';
import { JsonlWriter } from './jsonl-writer.ts';
import { sqlList, type Duck } from './duck.ts';
import { filterSql, type RecordFilter } from './record-filter.ts';
import { createRecordsView, quoteId, rowToPartial } from './record-sql.ts';
import type { KernelRecord } from './schema.ts';
import { splitOf, type SplitOptions } from './split.ts';

export interface DpoExportOptions {
  paths: readonly string[];
  outDir: string;
  /** Applies to both sides, except correctness and minSpeedup (minSpeedup applies to the chosen kernel). */
  filter: RecordFilter;
  split: SplitOptions;
  pairsPerProblem?: number;
  /** A correct rejected kernel must be this many times slower than the chosen one. */
  minMargin?: number;
  systemPrompt?: string;
}

export interface DpoCounts {
  pairs: number;
  train: number;
  validation: number;
  problems: number;
  duplicates: number;
}

type Row = Pick<KernelRecord, 'record_id' | 'problem_key' | 'kernel_id' | 'correct' | 'suspect' | 'speedup' | 'fail_stage'>;
interface PlannedPair { chosen: Row; rejected: Row }

const NO_KERNEL = new Set(['generate', 'skipped']);

/** Plan pairs for one problem's candidates (pure, deterministic). */
export function planPairs(rows: readonly Row[], minSpeedup: number, minMargin: number, maxPairs: number): PlannedPair[] {
  const distinct = (xs: Row[]): Row[] => {
    const seen = new Set<string>();
    return xs.filter((r) => !seen.has(r.kernel_id) && (seen.add(r.kernel_id), true));
  };
  const byId = (a: Row, b: Row): number => (a.record_id < b.record_id ? -1 : 1);
  const good = distinct(rows.filter((r) => r.correct && !r.suspect && r.speedup !== null).sort((a, b) => b.speedup! - a.speedup! || byId(a, b)));
  const chosen = good.filter((r) => r.speedup! >= minSpeedup);
  if (!chosen.length) return [];
  const chosenIds = new Set(chosen.map((c) => c.kernel_id));
  const wrong = distinct(rows.filter((r) => !r.correct && !NO_KERNEL.has(r.fail_stage ?? '')).sort(byId)).filter((r) => !chosenIds.has(r.kernel_id));
  const slow = good.filter((r) => r.speedup! * minMargin <= chosen[0]!.speedup!).reverse(); // slowest first
  const rejected: Row[] = [];
  for (let i = 0; rejected.length < maxPairs && (i < wrong.length || i < slow.length); i++) {
    if (i < slow.length) rejected.push(slow[i]!);
    if (i < wrong.length && rejected.length < maxPairs) rejected.push(wrong[i]!);
  }
  return rejected.map((rej, i) => {
    // Prefer spreading over the chosen kernels; fall back to the fastest where the margin needs it.
    const c = chosen[i % chosen.length]!;
    const ok = !rej.correct || rej.speedup! * minMargin <= c.speedup!;
    return { chosen: ok && c.kernel_id !== rej.kernel_id ? c : chosen[0]!, rejected: rej };
  });
}

/** The record's stored dedup key; computed for a record written before the column existed. */
const dedupKeyOf = (r: Pick<KernelRecord, 'kernel_source' | 'kernel_dedup_key'>): string => r.kernel_dedup_key ?? kernelDedupKey(r.kernel_source);

export async function exportDpo(d: Duck, o: DpoExportOptions): Promise<DpoCounts> {
  const { correct: _c, minSpeedup, ...rest } = o.filter;
  await createRecordsView(d, o.paths);
  const byProblem = new Map<string, Row[]>();
  const cols: (keyof KernelRecord)[] = ['record_id', 'problem_key', 'kernel_id', 'correct', 'suspect', 'speedup', 'fail_stage'];
  for await (const rows of d.stream(`SELECT ${cols.map(quoteId).join(', ')} FROM records WHERE ${filterSql(rest)}`)) {
    for (const row of rows) {
      const r = rowToPartial<Row>(row);
      (byProblem.get(r.problem_key) ?? byProblem.set(r.problem_key, []).get(r.problem_key)!).push(r);
    }
  }
  const plans: PlannedPair[] = [];
  for (const key of [...byProblem.keys()].sort()) plans.push(...planPairs(byProblem.get(key)!, minSpeedup ?? 1, o.minMargin ?? 1.25, o.pairsPerProblem ?? 8));

  const needed = [...new Set(plans.flatMap((p) => [p.chosen.record_id, p.rejected.record_id]))];
  const full = new Map<string, KernelRecord>();
  const fetchCols: (keyof KernelRecord)[] = ['record_id', 'problem_key', 'problem_code', 'problem_name', 'level', 'kernel_source', 'kernel_dedup_key'];
  const fetch = `SELECT ${fetchCols.map(quoteId).join(', ')} FROM records WHERE list_contains(${sqlList(needed)}, record_id) ORDER BY file_index, file_row_number`;
  if (needed.length) for await (const rows of d.stream(fetch)) for (const row of rows) if (!full.has(String(row.record_id))) full.set(String(row.record_id), rowToPartial<KernelRecord>(row));

  const system = o.systemPrompt ?? DEFAULT_SYSTEM_PROMPT;
  const writers = { train: await JsonlWriter.create(join(o.outDir, 'train.jsonl')), validation: await JsonlWriter.create(join(o.outDir, 'validation.jsonl')) };
  const seenPairs = new Set<string>();
  const counts: DpoCounts = { pairs: 0, train: 0, validation: 0, problems: 0, duplicates: 0 };
  const problems = new Set<string>();
  for (const p of plans) {
    const c = full.get(p.chosen.record_id)!;
    const r = full.get(p.rejected.record_id)!;
    const [ck, rk] = [dedupKeyOf(c), dedupKeyOf(r)];
    const key = `${ck}|${rk}`;
    if (seenPairs.has(key) || ck === rk) {
      counts.duplicates++;
      continue;
    }
    seenPairs.add(key);
    const example: PreferenceExample = {
      prompt: promptMessages(c, system),
      chosen: [{ role: 'assistant', content: assistantReply(c.kernel_source) }],
      rejected: [{ role: 'assistant', content: assistantReply(r.kernel_source) }],
      problem_key: c.problem_key,
      chosen_record_id: c.record_id,
      rejected_record_id: r.record_id,
      chosen_speedup: p.chosen.speedup!,
      rejected_speedup: p.rejected.correct ? p.rejected.speedup : null,
      rejected_correct: p.rejected.correct,
      margin: p.rejected.correct && p.rejected.speedup ? p.chosen.speedup! / p.rejected.speedup : null,
    };
    const split = splitOf(c.problem_key, o.split);
    await writers[split].write(example);
    counts[split]++;
    counts.pairs++;
    problems.add(c.problem_key);
  }
  await writers.train.close();
  await writers.validation.close();
  counts.problems = problems.size;
  return counts;
}
