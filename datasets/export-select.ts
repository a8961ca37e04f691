/**
 * The records an export uses: every record passing the filter, or the best (fastest correct) per
 * problem; streamed, deduplicated on normalised kernel source, each tagged with its split.
 */
import { DedupSet } from './kernel-dedup.ts';
import type { RecordFilter } from './record-filter.ts';
import { scanRows } from './scan.ts';
import type { KernelRecord } from './schema.ts';
import { filterRecords, newCounters, selectRecords, type SelectCounters } from './select-rows.ts';
import { splitOf, type Split, type SplitOptions } from './split.ts';

export type Selection = 'all' | 'best';

export interface ExportSelectOptions {
  paths: readonly string[];
  filter: RecordFilter;
  select: Selection;
  split: SplitOptions;
  /** Columns to fetch for the selected rows (default: all). */
  columns?: readonly (keyof KernelRecord)[];
}

export interface SelectionCounts {
  selected: number;
  duplicates: number;
  train: number;
  validation: number;
  problems: { train: number; validation: number };
  scan: SelectCounters;
}

/** record_id of the fastest record per problem among those passing the filter (ties: smaller id). */
export async function bestPerProblem(paths: readonly string[], filter: RecordFilter): Promise<Set<string>> {
  const best = new Map<string, { id: string; s: number }>();
  type Row = Pick<KernelRecord, 'record_id' | 'problem_key' | 'speedup'>;
  for await (const rows of scanRows<Row>(paths, ['record_id', 'problem_key', 'speedup'], filter)) {
    for (const r of rows) {
      const s = r.speedup ?? -Infinity;
      const cur = best.get(r.problem_key);
      if (!cur || s > cur.s || (s === cur.s && r.record_id < cur.id)) best.set(r.problem_key, { id: r.record_id, s });
    }
  }
  return new Set([...best.values()].map((b) => b.id));
}

export async function* selectForExport(o: ExportSelectOptions, counts: SelectionCounts): AsyncGenerator<{ split: Split; records: KernelRecord[] }> {
  const chunks =
    o.select === 'all'
      ? filterRecords(o.paths, o.filter, counts.scan, withKeys(o.columns))
      : await (async () => {
          const ids = await bestPerProblem(o.paths, o.filter);
          return selectRecords<Pick<KernelRecord, 'record_id'>>(
            o.paths,
            { predicateColumns: ['record_id'], pick: (rows) => rows.flatMap((r, i) => (ids.delete(r.record_id) ? [i] : [])), ...(o.columns ? { columns: withKeys(o.columns) } : {}) },
            counts.scan,
          );
        })();
  const dedup = new DedupSet();
  const problems = { train: new Set<string>(), validation: new Set<string>() };
  for await (const chunk of chunks) {
    const bySplit: Record<Split, KernelRecord[]> = { train: [], validation: [] };
    for (const r of chunk) {
      if (!dedup.firstTime(r.kernel_source)) continue;
      const split = splitOf(r.problem_key, o.split);
      bySplit[split].push(r);
      problems[split].add(r.problem_key);
    }
    for (const split of ['train', 'validation'] as const) {
      counts[split] += bySplit[split].length;
      counts.selected += bySplit[split].length;
      if (bySplit[split].length) yield { split, records: bySplit[split] };
    }
  }
  counts.duplicates = dedup.duplicates;
  counts.problems = { train: problems.train.size, validation: problems.validation.size };
}

const withKeys = (columns?: readonly (keyof KernelRecord)[]): (keyof KernelRecord)[] | undefined =>
  columns ? [...new Set<keyof KernelRecord>([...columns, 'record_id', 'problem_key', 'kernel_source'])] : undefined;

export const newSelectionCounts = (): SelectionCounts => ({ selected: 0, duplicates: 0, train: 0, validation: 0, problems: { train: 0, validation: 0 }, scan: newCounters() });
