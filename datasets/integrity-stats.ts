/**
 * The integrity picture beside the speed one (DuckDB over the `records` view): records by verdict,
 * records by flag (suspect and informative apart), weak problems and their reasons, how close the
 * correct kernels come to the speed-of-light floor, per problem the best kernel's fraction of it,
 * and the rejected records with their evidence (flags, kernels launched, the error) for the report.
 * Which flags are suspect or informative is the harness's definition, passed in (datasets does not
 * read stages/); a flag in neither class (an older harness's, a typo) is 'unknown'.
 */
import type { Duck } from './duck.ts';
import { filterSql, type RecordFilter } from './record-filter.ts';
import { rowToPartial } from './record-sql.ts';

export type FlagClass = 'suspect' | 'informative' | 'unknown';

export interface IntegrityStats {
  /** correct (correct and not suspect), suspect, or the fail stage (incorrect without one: 'incorrect'). */
  by_verdict: { verdict: string; records: number }[];
  /** Records carrying each flag, suspect flags first. */
  by_flag: { flag: string; class: FlagClass; records: number }[];
  weak_problems: { problem_key: string; problem_name: string; level: number; problem_id: number; records: number; reasons: string[] }[];
  /** Correct, non-suspect kernels with a floor: count per bin of sol_fraction (SOL_EDGES). */
  sol_fraction_histogram: { edges: number[]; counts: number[]; kernels: number };
  /** Per problem (with a correct kernel that has a floor) the best kernel's fraction of the floor. */
  best_sol_per_problem: { problem_key: string; problem_name: string; level: number; problem_id: number; record_id: string; sol_fraction: number; speedup: number | null }[];
  /** Rejected records (suspect or failed), at most `limit` per verdict, with their evidence. */
  rejected: RejectedRecord[];
}

export interface RejectedRecord {
  record_id: string;
  verdict: string;
  level: number;
  problem_id: number;
  problem_name: string;
  flags: string[];
  kernels_launched: string[];
  fail_message: string | null;
  compile_log: string | null;
}

/**
 * Bin edges of the fraction of the floor: bin i is [edges[i], edges[i+1]), the last one [1, inf):
 * 1 is the speed of light, above it faster than light (a suspect flag, so rarely among correct ones).
 */
export const SOL_EDGES = [0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1];

const VERDICT = `CASE WHEN suspect THEN 'suspect' WHEN correct THEN 'correct' ELSE coalesce(fail_stage, 'incorrect') END`;
const GOOD = 'correct AND suspect IS NOT TRUE';

export interface FlagClassSets {
  suspect: ReadonlySet<string>;
  informative: ReadonlySet<string>;
}

export async function integrityOfView(d: Duck, filter: RecordFilter, classes: FlagClassSets | null, rejectedPerVerdict = 50): Promise<IntegrityStats> {
  const where = filterSql(filter);
  const num = (x: unknown): number => Number(x);
  const byVerdict = (await d.rows(`SELECT ${VERDICT} AS verdict, count(*) AS n FROM records WHERE ${where} GROUP BY 1 ORDER BY n DESC, verdict`)).map((r) => ({ verdict: String(r.verdict), records: num(r.n) }));
  const classOf = (f: string): FlagClass => (classes?.suspect.has(f) ? 'suspect' : classes?.informative.has(f) ? 'informative' : 'unknown');
  const rank: Record<FlagClass, number> = { suspect: 0, informative: 1, unknown: 2 };
  const byFlag = (await d.rows(`SELECT flag, count(*) AS n FROM (SELECT DISTINCT file_index, file_row_number, unnest(flags) AS flag FROM records WHERE ${where}) GROUP BY flag`))
    .map((r) => ({ flag: String(r.flag), class: classOf(String(r.flag)), records: num(r.n) }))
    .sort((a, b) => rank[a.class] - rank[b.class] || b.records - a.records || a.flag.localeCompare(b.flag));
  const weak = (await d.rows(`SELECT problem_key, any_value(problem_name) AS problem_name, any_value(level) AS level, any_value(problem_id) AS problem_id, count(*) AS records,
      list_sort(list_distinct(flatten(list(weak_reasons)))) AS reasons FROM records WHERE (${where}) AND weak_problem GROUP BY problem_key ORDER BY level, problem_id, problem_name`))
    .map((r) => rowToPartial<IntegrityStats['weak_problems'][number]>(r));
  const bins = SOL_EDGES.map((e, i) => `count(*) FILTER (WHERE sol_fraction >= ${e}${i + 1 < SOL_EDGES.length ? ` AND sol_fraction < ${SOL_EDGES[i + 1]}` : ''}) AS b${i}`);
  const [h] = await d.rows(`SELECT count(*) AS n, ${bins.join(', ')} FROM records WHERE (${where}) AND ${GOOD} AND sol_fraction IS NOT NULL AND NOT isnan(sol_fraction)`);
  const best = (await d.rows(`SELECT problem_key, problem_name, level, problem_id, record_id, sol_fraction, speedup FROM records
      WHERE (${where}) AND ${GOOD} AND sol_fraction IS NOT NULL AND NOT isnan(sol_fraction)
      QUALIFY row_number() OVER (PARTITION BY problem_key ORDER BY sol_fraction DESC, record_id) = 1 ORDER BY level, problem_id, problem_name`))
    .map((r) => rowToPartial<IntegrityStats['best_sol_per_problem'][number]>(r));
  const rejected = (await d.rows(`SELECT record_id, ${VERDICT} AS verdict, level, problem_id, problem_name, flags, kernels_launched, fail_message, compile_log FROM records
      WHERE (${where}) AND NOT (${GOOD})
      QUALIFY row_number() OVER (PARTITION BY ${VERDICT} ORDER BY level, problem_id, record_id) <= ${Math.max(0, Math.floor(rejectedPerVerdict))}
      ORDER BY verdict, level, problem_id, record_id`))
    .map((r) => rowToPartial<RejectedRecord>(r));
  return {
    by_verdict: byVerdict,
    by_flag: byFlag,
    weak_problems: weak,
    sol_fraction_histogram: { edges: SOL_EDGES, counts: SOL_EDGES.map((_, i) => num(h?.[`b${i}`] ?? 0)), kernels: num(h?.n ?? 0) },
    best_sol_per_problem: best,
    rejected,
  };
}

/** For the report: the verdicts' anchors. */
export const verdictAnchor = (verdict: string): string => `verdict-${verdict.replace(/[^a-z0-9_-]/gi, '_')}`;
export const recordAnchor = (id: string): string => `record-${id.replace(/[^a-z0-9_-]/gi, '_')}`;
