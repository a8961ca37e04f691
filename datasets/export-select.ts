/**
 * The records an export uses: every record passing the filter, or the best (fastest) per problem;
 * deduplicated on normalised kernel source, each tagged with its split. A first query decides (the
 * dedup key is the record's stored one, else computed from the source inside DuckDB: dedup-keys.ts); then
 * `kforge_split(file_index, file_row_number)`, a scalar function registered on the connection, gives
 * each row's fate to the queries that write the output, so DuckDB writes the big columns itself.
 */
import { DuckDBScalarFunction, BIGINT, INTEGER, UTINYINT } from '@duckdb/node-api';
import { fillDedupKeys, STORED_DEDUP_KEY } from './dedup-keys.ts';
import type { Duck } from './duck.ts';
import { filterSql, type RecordFilter } from './record-filter.ts';
import { createRecordsView, quoteId, rowToPartial } from './record-sql.ts';
import type { SelectCounters } from './filter-run.ts';
import type { KernelRecord } from './schema.ts';
import { splitOf, type Split, type SplitOptions } from './split.ts';

export type Selection = 'all' | 'best';

export interface ExportSelectOptions {
  paths: readonly string[];
  filter: RecordFilter;
  select: Selection;
  split: SplitOptions;
}

export interface SelectionCounts {
  selected: number;
  duplicates: number;
  train: number;
  validation: number;
  problems: { train: number; validation: number };
  scan: SelectCounters;
}

/** A kept record's small columns, as the pass hands them to its caller (for index lines, cards). */
export type KeptRow = Pick<KernelRecord, 'record_id' | 'problem_key' | 'problem_name' | 'level' | 'speedup' | 'run_id' | 'problem_source'>;
const KEPT_COLUMNS: (keyof KeptRow)[] = ['record_id', 'problem_key', 'problem_name', 'level', 'speedup', 'run_id', 'problem_source'];

/** Codes of kforge_split. */
const SPLIT_CODE: Record<Split, number> = { train: 1, validation: 2 };
/** The WHERE condition of one split's rows, for the writing queries. */
export const inSplitSql = (split: Split): string => `kforge_split(file_index::INTEGER, file_row_number) = ${SPLIT_CODE[split]}`;

/**
 * The SELECT of the chosen rows in input order. best: per problem the largest speedup (a NULL one
 * counts as lowest), ties to the smaller record_id, then the first in input order; picked on the
 * small columns, so the window never holds kernel sources.
 */
export function selectionSql(filter: RecordFilter, select: Selection, columns: readonly string[]): string {
  const cols = columns.join(', ');
  if (select === 'all') return `SELECT ${cols} FROM records WHERE ${filterSql(filter)}`;
  const best = `SELECT file_index, file_row_number FROM records WHERE ${filterSql(filter)}
    QUALIFY row_number() OVER (PARTITION BY problem_key ORDER BY speedup DESC NULLS LAST, record_id, file_index, file_row_number) = 1`;
  return `SELECT ${cols} FROM records SEMI JOIN (${best}) AS b USING (file_index, file_row_number) ORDER BY file_index, file_row_number`;
}

/**
 * Decide every selected row (dropped as a duplicate, train or validation), call `onKept` for each
 * kept one in input order, and register kforge_split for the writing queries. Creates the view.
 * The keys go into a small temp table (the sources never leave DuckDB as a result: a streamed result
 * of kernel sources buffered about the whole of it, 1.5 GB at 155K rows); the first of each key in
 * input order is kept (a window).
 */
export async function planExport(d: Duck, o: ExportSelectOptions, onKept: (split: Split, row: KeptRow) => Promise<void> | void): Promise<SelectionCounts> {
  await createRecordsView(d, o.paths);
  const counts: SelectionCounts = { selected: 0, duplicates: 0, train: 0, validation: 0, problems: { train: 0, validation: 0 }, scan: { rowsScanned: 0, rowsSelected: 0 } };
  counts.scan.rowsScanned = Number((await d.rows('SELECT count(*) AS n FROM records'))[0]!.n);
  const columns = ['file_index', 'file_row_number', STORED_DEDUP_KEY, ...KEPT_COLUMNS.map(quoteId)];
  await d.run(`CREATE TEMP TABLE kforge_selected AS ${selectionSql(o.filter, o.select, columns)}`);
  await fillDedupKeys(d, o.paths, 'kforge_selected');
  const [n] = await d.rows('SELECT count(*) AS rows, count(DISTINCT dedup_key) AS keys FROM kforge_selected');
  counts.scan.rowsSelected = Number(n!.rows);
  counts.duplicates = Number(n!.rows) - Number(n!.keys);
  const fates = new RowFates();
  const splits = new Map<string, Split>();
  const problems = { train: new Set<string>(), validation: new Set<string>() };
  const kept = `SELECT file_index, file_row_number, ${KEPT_COLUMNS.map(quoteId).join(', ')} FROM kforge_selected
    QUALIFY row_number() OVER (PARTITION BY dedup_key ORDER BY file_index, file_row_number) = 1 ORDER BY file_index, file_row_number`;
  for await (const rows of d.stream(kept)) {
    for (const raw of rows) {
      const row = rowToPartial<KeptRow & { file_index: number; file_row_number: number }>(raw);
      const split = splits.get(row.problem_key) ?? splits.set(row.problem_key, splitOf(row.problem_key, o.split)).get(row.problem_key)!;
      fates.set(row.file_index, row.file_row_number, SPLIT_CODE[split]);
      problems[split].add(row.problem_key);
      counts[split]++;
      counts.selected++;
      await onKept(split, row);
    }
  }
  counts.problems = { train: problems.train.size, validation: problems.validation.size };
  d.conn.registerScalarFunction(fates.scalarFunction());
  return counts;
}

/** The fate of each row by (file_index, file_row_number): 0 not kept, else a SPLIT_CODE. One byte per row. */
class RowFates {
  private readonly files = new Map<number, Uint8Array>();

  set(file: number, row: number, code: number): void {
    let a = this.files.get(file);
    if (!a || a.length <= row) {
      const grown = new Uint8Array(Math.max(1024, (row + 1) * 2));
      if (a) grown.set(a);
      this.files.set(file, (a = grown));
    }
    a[row] = code;
  }

  get(file: number, row: number): number {
    return this.files.get(file)?.[row] ?? 0;
  }

  scalarFunction(): DuckDBScalarFunction {
    return DuckDBScalarFunction.create({
      name: 'kforge_split',
      returnType: UTINYINT,
      parameterTypes: [INTEGER, BIGINT],
      mainFunction: (_info, input, output) => {
        const file = input.getColumnVector(0);
        const row = input.getColumnVector(1);
        for (let i = 0; i < input.rowCount; i++) output.setItem(i, this.get(Number(file.getItem(i)), Number(row.getItem(i))));
        output.flush();
      },
    });
  }
}
