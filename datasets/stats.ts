/**
 * Dataset statistics, accumulated in one streaming pass over the small columns.
 *
 * "Correct" here means correct and not suspect. fast_p follows KernelBench: over problems (not
 * records), the share of problems in the selection that have a correct kernel with speedup > p;
 * problems without one stay in the denominator.
 */
import type { IntegrityStats } from './integrity-stats.ts';
import type { KernelRecord } from './schema.ts';

export const FAST_P = [0, 0.5, 0.8, 1, 1.5, 2] as const;

export const STATS_COLUMNS = [
  'record_id', 'level', 'problem_key', 'problem_name', 'problem_id', 'compiled', 'correct', 'suspect', 'speedup',
  'round', 'idea_category', 'fail_stage', 'tokens_in', 'tokens_out', 'cost_usd', 'precision',
] as const satisfies readonly (keyof KernelRecord)[];
export type StatsRow = Pick<KernelRecord, (typeof STATS_COLUMNS)[number]>;

export interface GroupStats {
  candidates: number;
  compiled: number;
  correct: number;
  build_rate: number | null;
  correct_rate: number | null;
  problems: number;
  fast_p: Record<string, number | null>;
  geomean_speedup: number | null;
}

export interface RoundStats extends GroupStats {
  round: number;
  /** fast_1 counting every kernel up to and including this round. */
  fast_1_so_far: number | null;
  /** Geometric mean over solved problems of the best speedup found up to this round. */
  best_geomean_so_far: number | null;
}

export interface CategoryStats extends GroupStats {
  category: string;
}

export interface BestKernel {
  problem_key: string;
  problem_name: string;
  level: number;
  problem_id: number;
  record_id: string | null;
  speedup: number | null;
  round: number | null;
}

export interface DatasetStats {
  overall: GroupStats;
  by_level: Record<string, GroupStats>;
  /** fp32 / fp16 / bf16 (records from before the column: fp32): one problem at two precisions is two variants. */
  by_precision: Record<string, GroupStats>;
  by_round: RoundStats[];
  by_category: CategoryStats[];
  failures_by_stage: Record<string, number>;
  tokens: { in: number; out: number };
  cost: { usd: number; records_with_cost: number; records_without_cost: number };
  /** Histogram of correct speedups: count per [edges[i], edges[i+1]). */
  speedup_histogram: { edges: number[]; counts: number[] };
  best_per_problem: BestKernel[];
  /** Verdicts, flags, weak problems, fractions of the floor (kforge stats and report compute it). */
  integrity?: IntegrityStats;
}

const isGood = (r: StatsRow): boolean => r.correct && !r.suspect;
const timed = (r: StatsRow): r is StatsRow & { speedup: number } => r.speedup !== null && r.speedup > 0 && Number.isFinite(r.speedup);

class Group {
  candidates = 0;
  compiled = 0;
  correct = 0;
  logSum = 0;
  logCount = 0;
  best = new Map<string, number>(); // problem -> best correct speedup (-1: in selection, none correct+timed)

  add(r: StatsRow): void {
    this.candidates++;
    if (r.compiled) this.compiled++;
    if (!this.best.has(r.problem_key)) this.best.set(r.problem_key, -1);
    if (!isGood(r)) return;
    this.correct++;
    if (!timed(r)) return;
    this.logSum += Math.log(r.speedup);
    this.logCount++;
    if (r.speedup > this.best.get(r.problem_key)!) this.best.set(r.problem_key, r.speedup);
  }

  finish(): GroupStats {
    const n = this.best.size;
    const fast_p: Record<string, number | null> = {};
    for (const p of FAST_P) fast_p[String(p)] = n ? [...this.best.values()].filter((s) => s > p).length / n : null;
    return {
      candidates: this.candidates,
      compiled: this.compiled,
      correct: this.correct,
      build_rate: this.candidates ? this.compiled / this.candidates : null,
      correct_rate: this.candidates ? this.correct / this.candidates : null,
      problems: n,
      fast_p,
      geomean_speedup: this.logCount ? Math.exp(this.logSum / this.logCount) : null,
    };
  }
}

export const HISTOGRAM_EDGES = Array.from({ length: 21 }, (_, k) => 2 ** ((k - 8) / 2)); // 1/16 .. 64

/** Streaming accumulator: add chunks of rows, then finish(). */
export class StatsAccumulator {
  private overall = new Group();
  private levels = new Map<number, Group>();
  private precisions = new Map<string, Group>();
  private rounds = new Map<number, Group>();
  private categories = new Map<string, Group>();
  private failures = new Map<string, number>();
  private tokensIn = 0;
  private tokensOut = 0;
  private costUsd = 0;
  private withCost = 0;
  private histogram = new Array<number>(HISTOGRAM_EDGES.length - 1).fill(0);
  private bestRows = new Map<string, BestKernel>();
  private roundBest = new Map<number, Map<string, number>>();

  add(rows: readonly StatsRow[]): void {
    for (const r of rows) this.addOne(r);
  }

  private addOne(r: StatsRow): void {
    this.overall.add(r);
    group(this.levels, r.level).add(r);
    group(this.precisions, r.precision ?? 'fp32').add(r);
    group(this.rounds, r.round).add(r);
    group(this.categories, r.idea_category || 'other').add(r);
    if (r.fail_stage) this.failures.set(r.fail_stage, (this.failures.get(r.fail_stage) ?? 0) + 1);
    this.tokensIn += r.tokens_in ?? 0;
    this.tokensOut += r.tokens_out ?? 0;
    if (r.cost_usd !== null) (this.costUsd += r.cost_usd, this.withCost++);
    const best = this.bestRows.get(r.problem_key) ?? { problem_key: r.problem_key, problem_name: r.problem_name, level: r.level, problem_id: r.problem_id, record_id: null, speedup: null, round: null };
    this.bestRows.set(r.problem_key, best);
    if (!isGood(r) || !timed(r)) return;
    const bin = HISTOGRAM_EDGES.findIndex((e, i) => i < HISTOGRAM_EDGES.length - 1 && r.speedup >= e && r.speedup < HISTOGRAM_EDGES[i + 1]!);
    const clamped = bin >= 0 ? bin : r.speedup < HISTOGRAM_EDGES[0]! ? 0 : this.histogram.length - 1;
    this.histogram[clamped]!++;
    if (best.speedup === null || r.speedup > best.speedup) Object.assign(best, { record_id: r.record_id, speedup: r.speedup, round: r.round });
    const rb = this.roundBest.get(r.round) ?? new Map<string, number>();
    this.roundBest.set(r.round, rb);
    rb.set(r.problem_key, Math.max(rb.get(r.problem_key) ?? 0, r.speedup));
  }

  finish(): DatasetStats {
    const problems = this.overall.best.size;
    const soFar = new Map<string, number>();
    const by_round: RoundStats[] = [...this.rounds.entries()].sort((a, b) => a[0] - b[0]).map(([round, g]) => {
      for (const [p, s] of this.roundBest.get(round) ?? []) soFar.set(p, Math.max(soFar.get(p) ?? 0, s));
      const bests = [...soFar.values()];
      return {
        round,
        ...g.finish(),
        fast_1_so_far: problems ? bests.filter((s) => s > 1).length / problems : null,
        best_geomean_so_far: bests.length ? Math.exp(bests.reduce((a, s) => a + Math.log(s), 0) / bests.length) : null,
      };
    });
    return {
      overall: this.overall.finish(),
      by_level: Object.fromEntries([...this.levels.entries()].sort((a, b) => a[0] - b[0]).map(([l, g]) => [String(l), g.finish()])),
      by_precision: Object.fromEntries([...this.precisions.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([p, g]) => [p, g.finish()])),
      by_round,
      by_category: [...this.categories.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([category, g]) => ({ category, ...g.finish() })),
      failures_by_stage: Object.fromEntries([...this.failures.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
      tokens: { in: this.tokensIn, out: this.tokensOut },
      cost: { usd: this.costUsd, records_with_cost: this.withCost, records_without_cost: this.overall.candidates - this.withCost },
      speedup_histogram: { edges: HISTOGRAM_EDGES, counts: this.histogram },
      best_per_problem: [...this.bestRows.values()].sort((a, b) => a.level - b.level || a.problem_id - b.problem_id || a.problem_name.localeCompare(b.problem_name)),
    };
  }
}

function group<K>(map: Map<K, Group>, key: K): Group {
  let g = map.get(key);
  if (!g) map.set(key, (g = new Group()));
  return g;
}

/** Stats of plain records in memory. */
export function computeStats(rows: Iterable<StatsRow>): DatasetStats {
  const acc = new StatsAccumulator();
  acc.add([...rows]);
  return acc.finish();
}

/** fast_p at arbitrary p over the best speedup per problem (for the report's curve). */
export function fastPCurve(best: readonly BestKernel[], ps: readonly number[]): { p: number; fast: number }[] {
  return ps.map((p) => ({ p, fast: best.length ? best.filter((b) => b.speedup !== null && b.speedup > p).length / best.length : 0 }));
}
