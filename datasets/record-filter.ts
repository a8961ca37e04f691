/**
 * Which records a filter keeps. Pure: a predicate over the few small columns it needs, so the
 * streaming reader can evaluate it before it reads kernel sources (predicate push-down).
 */
import type { KernelRecord } from './schema.ts';

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

/** Columns the predicate reads; everything else is fetched only for matching rows. */
export const FILTER_COLUMNS = [
  'correct', 'passes_policies', 'speedup', 'level', 'problem_name', 'problem_key', 'problem_id',
  'round', 'provider', 'model', 'suspect', 'weak_problem', 'precision',
] as const satisfies readonly (keyof KernelRecord)[];

export type FilterView = Pick<KernelRecord, (typeof FILTER_COLUMNS)[number]>;

/** The columns this filter reads: fewer columns, less to decode on every row of a big scan. */
export function filterColumnsFor(f: RecordFilter): (keyof KernelRecord)[] {
  const cols: (keyof KernelRecord)[] = [];
  if (!f.includeSuspect) cols.push('suspect');
  if (!f.includeWeak) cols.push('weak_problem');
  if (f.correct !== undefined) cols.push('correct');
  if (f.minSpeedup !== undefined) cols.push('speedup');
  if (f.tolerancePolicy) cols.push('passes_policies');
  if (f.levels?.length) cols.push('level');
  if (f.rounds?.length) cols.push('round');
  if (f.providers?.length) cols.push('provider');
  if (f.models?.length) cols.push('model');
  if (f.precisions?.length) cols.push('precision');
  if (f.problems?.length) cols.push('problem_name', 'problem_key', 'level', 'problem_id');
  // A row group must be read by something: speedup is small and always there.
  return cols.length ? [...new Set(cols)] : ['speedup'];
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

/** Build the predicate once (sets for the list options). */
export function compileFilter(f: RecordFilter): (r: FilterView) => boolean {
  const levels = f.levels?.length ? new Set(f.levels) : null;
  const rounds = f.rounds?.length ? new Set(f.rounds) : null;
  const providers = f.providers?.length ? new Set(f.providers) : null;
  const models = f.models?.length ? new Set(f.models) : null;
  const problems = f.problems?.length ? new Set(f.problems) : null;
  const precisions = f.precisions?.length ? new Set(f.precisions) : null;
  return (r) => {
    if (!f.includeSuspect && r.suspect) return false;
    if (!f.includeWeak && r.weak_problem === true) return false;
    if (f.correct !== undefined && r.correct !== f.correct) return false;
    if (f.minSpeedup !== undefined && (r.speedup === null || !(r.speedup >= f.minSpeedup))) return false;
    if (f.tolerancePolicy && !r.passes_policies.includes(f.tolerancePolicy)) return false;
    if (levels && !levels.has(r.level)) return false;
    if (rounds && !rounds.has(r.round)) return false;
    if (providers && !providers.has(r.provider)) return false;
    if (models && !models.has(r.model)) return false;
    if (precisions && !precisions.has(r.precision ?? 'fp32')) return false;
    if (problems && !problems.has(r.problem_name) && !problems.has(r.problem_key) && !problems.has(`${r.level}/${r.problem_id}`)) return false;
    return true;
  };
}

/** The filter every export starts from: correct, non-suspect, non-weak. */
export const DEFAULT_EXPORT_FILTER: RecordFilter = { correct: true };
