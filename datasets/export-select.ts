/**
 * The records an export uses: every record passing the filter, or the best (fastest) per problem;
 * streamed from DuckDB in input order, deduplicated on normalised kernel source (a small pass over
 * DuckDB's rows: kernel-dedup.ts), each tagged with its split.
 */
import type { Duck } from './duck.ts';
import { DedupSet } from './kernel-dedup.ts';
import { filterSql, type RecordFilter } from './record-filter.ts';
import { createRecordsView, quoteId, RECORD_SELECT, rowToRecord } from './record-sql.ts';
import type { SelectCounters } from './filter-run.ts';
import type { KernelRecord } from './schema.ts';
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

/**
 * The SELECT of the chosen rows in input order. best: per problem the largest speedup (a NULL one
 * counts as lowest), ties to the smaller record_id, then the first in input order; picked on the
 * small columns, so the window never holds kernel sources.
 */
export function selectionSql(filter: RecordFilter, select: Selection, columns?: readonly string[]): string {
  const cols = columns ? columns.map(quoteId).join(', ') : RECORD_SELECT;
  if (select === 'all') return `SELECT ${cols} FROM records WHERE ${filterSql(filter)}`;
  const best = `SELECT file_index, file_row_number FROM records WHERE ${filterSql(filter)}
    QUALIFY row_number() OVER (PARTITION BY problem_key ORDER BY speedup DESC NULLS LAST, record_id, file_index, file_row_number) = 1`;
  return `SELECT ${cols} FROM records SEMI JOIN (${best}) AS b USING (file_index, file_row_number) ORDER BY file_index, file_row_number`;
}

export async function* selectForExport(d: Duck, o: ExportSelectOptions, counts: SelectionCounts): AsyncGenerator<{ split: Split; records: KernelRecord[] }> {
  await createRecordsView(d, o.paths);
  counts.scan.rowsScanned = Number((await d.rows('SELECT count(*) AS n FROM records'))[0]!.n);
  const columns = o.columns ? [...new Set<string>([...o.columns, 'record_id', 'problem_key', 'kernel_source'])] : undefined;
  const dedup = new DedupSet();
  const problems = { train: new Set<string>(), validation: new Set<string>() };
  for await (const chunk of d.stream(selectionSql(o.filter, o.select, columns))) {
    counts.scan.rowsSelected += chunk.length;
    const bySplit: Record<Split, KernelRecord[]> = { train: [], validation: [] };
    for (const row of chunk) {
      const r = rowToRecord(row);
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

export const newSelectionCounts = (): SelectionCounts => ({ selected: 0, duplicates: 0, train: 0, validation: 0, problems: { train: 0, validation: 0 }, scan: { rowsScanned: 0, rowsSelected: 0 } });
