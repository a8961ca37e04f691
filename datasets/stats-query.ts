/**
 * Stats over part files: DuckDB reads the small columns the figures need (never kernel sources) and
 * applies the selection; StatsAccumulator (stats.ts) makes the figures in one pass over its rows.
 */
import { duckSettings, withDuck, type Duck, type DuckSettings } from './duck.ts';
import { filterSql, type RecordFilter } from './record-filter.ts';
import { createRecordsView, quoteId, rowToPartial } from './record-sql.ts';
import { StatsAccumulator, STATS_COLUMNS, type DatasetStats, type StatsRow } from './stats.ts';

/** A filter that keeps every record, suspect and weak ones included. */
export const ALL_RECORDS: RecordFilter = { includeSuspect: true, includeWeak: true };

/** Stats of the `records` view (createRecordsView first). */
export async function statsOfView(d: Duck, filter: RecordFilter): Promise<DatasetStats> {
  const acc = new StatsAccumulator();
  for await (const rows of d.stream(`SELECT ${STATS_COLUMNS.map(quoteId).join(', ')} FROM records WHERE ${filterSql(filter)}`)) {
    acc.add(rows.map((r) => rowToPartial<StatsRow>(r)));
  }
  return acc.finish();
}

/** Stats over part files. Stats describe a run, failures included: the filter defaults to everything. */
export async function statsOfFiles(paths: readonly string[], filter: RecordFilter = ALL_RECORDS, engine: Partial<DuckSettings> = {}): Promise<DatasetStats> {
  return withDuck(paths, async (d) => {
    await createRecordsView(d, paths);
    return statsOfView(d, filter);
  }, duckSettings(engine));
}
