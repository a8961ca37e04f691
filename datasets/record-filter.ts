/**
 * Which records a filter keeps: the selection flags of every data command, turned into one SQL WHERE
 * that DuckDB evaluates on the small columns before it reads kernel sources.
 */
import { sqlNum, sqlStr } from './duck.ts';

export interface RecordFilter {
  /** true: only correct; false: only incorrect; undefined: either. */
  correct?: boolean;
  /** Keep records whose measured errors pass this tolerance policy (passes_policies). */
  tolerancePolicy?: string;
  /** Keep records with speedup >= this (records without a speedup are left out when set). */
  minSpeedup?: number;
  levels?: number[];
  /** Problem names, keys, or `<level>/<problem_id>` such as `1/19`. */
  problems?: string[];
  rounds?: number[];
  providers?: string[];
  models?: string[];
  /** Run precisions (fp32, fp16, bf16); a record written before the column existed is fp32. */
  precisions?: string[];
  /** Suspect records (an integrity flag fired) are left out unless this is set. */
  includeSuspect?: boolean;
  /** Records of weak problems (weak_problem = true) are left out unless this is set. */
  includeWeak?: boolean;
}

/** What a filter did, for manifests and dataset cards. */
export function describeFilter(f: RecordFilter): string[] {
  const out: string[] = [];
  if (f.correct !== undefined) out.push(f.correct ? 'correct only' : 'incorrect only');
  if (f.tolerancePolicy) out.push(`passes tolerance policy ${f.tolerancePolicy}`);
  if (f.minSpeedup !== undefined) out.push(`speedup >= ${f.minSpeedup}`);
  if (f.levels?.length) out.push(`level in ${f.levels.join(', ')}`);
  if (f.problems?.length) out.push(`problem in ${f.problems.join(', ')}`);
  if (f.rounds?.length) out.push(`round in ${f.rounds.join(', ')}`);
  if (f.providers?.length) out.push(`provider in ${f.providers.join(', ')}`);
  if (f.models?.length) out.push(`model in ${f.models.join(', ')}`);
  if (f.precisions?.length) out.push(`precision in ${f.precisions.join(', ')}`);
  out.push(f.includeSuspect ? 'suspect records included' : 'suspect records excluded');
  out.push(f.includeWeak ? 'weak problems included' : 'weak problems excluded');
  return out;
}

/**
 * The filter as one SQL condition over the `records` view (datasets/record-sql.ts). Same meaning as
 * before, NULLs included: a NULL suspect or weak_problem is not left out, a NULL speedup or correct
 * never passes a condition on it, NaN speedups never pass --min-speedup.
 */
export function filterSql(f: RecordFilter): string {
  const ands: string[] = [];
  const inList = (col: string, xs: readonly (string | number)[]): string => `${col} IN (${xs.map((x) => (typeof x === 'number' ? sqlNum(x) : sqlStr(x))).join(', ')})`;
  if (!f.includeSuspect) ands.push('suspect IS NOT TRUE');
  if (!f.includeWeak) ands.push('weak_problem IS NOT TRUE');
  if (f.correct !== undefined) ands.push(`correct = ${f.correct}`);
  if (f.minSpeedup !== undefined) ands.push(`(speedup >= ${sqlNum(f.minSpeedup)} AND NOT isnan(speedup))`);
  if (f.tolerancePolicy) ands.push(`list_contains(passes_policies, ${sqlStr(f.tolerancePolicy)})`);
  if (f.levels?.length) ands.push(inList('level', f.levels));
  if (f.rounds?.length) ands.push(inList('round', f.rounds));
  if (f.providers?.length) ands.push(inList('provider', f.providers));
  if (f.models?.length) ands.push(inList('model', f.models));
  if (f.precisions?.length) ands.push(inList(`coalesce(precision, 'fp32')`, f.precisions));
  if (f.problems?.length) ands.push(`(${inList('problem_name', f.problems)} OR ${inList('problem_key', f.problems)} OR ${inList(`(level::VARCHAR || '/' || problem_id::VARCHAR)`, f.problems)})`);
  return ands.length ? ands.map((a) => `(${a})`).join(' AND ') : 'TRUE';
}

/** The filter every export starts from: correct, non-suspect, non-weak. */
export const DEFAULT_EXPORT_FILTER: RecordFilter = { correct: true };
