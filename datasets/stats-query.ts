/**
 * Stats over part files: DuckDB reads the small columns the figures need (never kernel sources) and
 * applies the selection; StatsAccumulator (stats.ts) makes the figures in one pass over its rows.
 */
import { duckSettings, withDuck, type Duck, type DuckSettings } from './duck.ts';
import { integrityOfView, type FlagClassSets } from './integrity-stats.ts';
import { filterSql, type RecordFilter } from './record-filter.ts';
import { createRecordsView, quoteId, rowToPartial } from './record-sql.ts';
import { StatsAccumulator, STATS_COLUMNS, type DatasetStats, type StatsRow } from './stats.ts';

/** A filter that keeps every record, suspect and weak ones included. */
export const ALL_RECORDS: RecordFilter = { includeSuspect: true, includeWeak: true };

export interface IntegrityOptions {
  /** The harness's flag classes (stages/verify/flag-classes.ts); null: flags are not classed. */
  flagClasses: FlagClassSets | null;
  /** Rejected records listed per verdict (default 50). */
  rejectedPerVerdict?: number;
}

/** Stats of the `records` view (createRecordsView first); with `integrity`, the integrity picture too. */
export async function statsOfView(d: Duck, filter: RecordFilter, integrity?: IntegrityOptions): Promise<DatasetStats> {
  const acc = new StatsAccumulator();
  for await (const rows of d.stream(`SELECT ${STATS_COLUMNS.map(quoteId).join(', ')} FROM records WHERE ${filterSql(filter)}`)) {
    acc.add(rows.map((r) => rowToPartial<StatsRow>(r)));
  }
  const stats = acc.finish();
  if (integrity) stats.integrity = await integrityOfView(d, filter, integrity.flagClasses, integrity.rejectedPerVerdict);
  return stats;
}

/** Stats over part files. Stats describe a run, failures included: the filter defaults to everything. */
export async function statsOfFiles(paths: readonly string[], filter: RecordFilter = ALL_RECORDS, engine: Partial<DuckSettings> = {}, integrity?: IntegrityOptions): Promise<DatasetStats> {
  return withDuck(paths, async (d) => {
    await createRecordsView(d, paths);
    return statsOfView(d, filter, integrity);
  }, duckSettings(engine));
}
