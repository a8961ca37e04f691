/** Text rendering of DatasetStats, and the comparison of two dataset versions. */
import type { IntegrityStats } from './integrity-stats.ts';
import { FAST_P, type DatasetStats, type GroupStats } from './stats.ts';

const pct = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);
const num = (x: number | null, digits = 2): string => (x === null ? '-' : x.toFixed(digits));

/** Left-aligned first column, right-aligned others. */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const groupCells = (g: GroupStats): string[] => [
  String(g.candidates), pct(g.build_rate), pct(g.correct_rate), String(g.problems),
  ...FAST_P.map((p) => pct(g.fast_p[String(p)] ?? null)), num(g.geomean_speedup),
];
const groupHeader = ['candidates', 'built', 'correct', 'problems', ...FAST_P.map((p) => `fast_${p}`), 'geomean'];

export function formatStats(s: DatasetStats): string {
  const out: string[] = [];
  out.push(textTable(['level', ...groupHeader], [
    ...Object.entries(s.by_level).map(([l, g]) => [`level ${l}`, ...groupCells(g)]),
    // One precision needs no row of its own: it is the overall row.
    ...(Object.keys(s.by_precision).length > 1 ? Object.entries(s.by_precision).map(([p, g]) => [`precision ${p}`, ...groupCells(g)]) : []),
    ['overall', ...groupCells(s.overall)],
  ]));
  out.push('', 'Trajectory by round');
  out.push(textTable(['round', 'candidates', 'correct', 'geomean', 'fast_1 so far', 'best geomean so far'],
    s.by_round.map((r) => [String(r.round), String(r.candidates), pct(r.correct_rate), num(r.geomean_speedup), pct(r.fast_1_so_far), num(r.best_geomean_so_far)])));
  out.push('', 'Success by idea category');
  out.push(textTable(['category', 'candidates', 'correct', 'fast_1', 'geomean'],
    s.by_category.map((c) => [c.category, String(c.candidates), pct(c.correct_rate), pct(c.fast_p['1'] ?? null), num(c.geomean_speedup)])));
  const failures = Object.entries(s.failures_by_stage);
  out.push('', `Failures by stage: ${failures.length ? failures.map(([k, v]) => `${k} ${v}`).join(', ') : 'none'}`);
  out.push(`Tokens: ${s.tokens.in} in, ${s.tokens.out} out`);
  out.push(`Cost: $${s.cost.usd.toFixed(4)} over ${s.cost.records_with_cost} records with a price; ${s.cost.records_without_cost} without`);
  if (s.integrity) out.push('', formatIntegrity(s.integrity));
  return out.join('\n');
}

/** The integrity picture as text: verdicts, flags by class, weak problems, fractions of the floor. */
export function formatIntegrity(i: IntegrityStats): string {
  const out = ['Integrity'];
  out.push(`Records by verdict: ${i.by_verdict.map((v) => `${v.verdict} ${v.records}`).join(', ') || 'none'}`);
  for (const cls of ['suspect', 'informative', 'unknown'] as const) {
    const flags = i.by_flag.filter((f) => f.class === cls);
    if (flags.length || cls !== 'unknown') out.push(`${cls[0]!.toUpperCase()}${cls.slice(1)} flags: ${flags.map((f) => `${f.flag} ${f.records}`).join(', ') || 'none'}`);
  }
  out.push(`Weak problems: ${i.weak_problems.length ? i.weak_problems.map((w) => `${w.problem_name} (${w.reasons.join(', ') || 'no reason recorded'})`).join('; ') : 'none'}`);
  const h = i.sol_fraction_histogram;
  out.push(`Fraction of the speed-of-light floor, correct kernels (${h.kernels} with a floor): ${h.counts.map((c, k) => `${k + 1 < h.edges.length ? `[${h.edges[k]}, ${h.edges[k + 1]})` : `>=${h.edges[k]}`} ${c}`).join(', ')}`);
  if (i.best_sol_per_problem.length) {
    out.push(textTable(['best kernel per problem', 'level', 'fraction of floor', 'speedup'],
      i.best_sol_per_problem.map((b) => [b.problem_name, String(b.level), pct(b.sol_fraction), num(b.speedup)])));
  }
  return out.join('\n');
}

export interface ProblemChange {
  problem_key: string;
  problem_name: string;
  level: number;
  before: number | null;
  after: number | null;
}

export interface StatsComparison {
  a: DatasetStats;
  b: DatasetStats;
  /** Overall metrics: [name, a, b]. */
  metrics: { name: string; a: number | null; b: number | null }[];
  /** Problems whose best correct speedup rose (or that became solved), best first. */
  improved: ProblemChange[];
  regressed: ProblemChange[];
  new_problems: number;
}

export function compareStats(a: DatasetStats, b: DatasetStats): StatsComparison {
  const metric = (name: string, f: (g: GroupStats) => number | null) => ({ name, a: f(a.overall), b: f(b.overall) });
  const metrics = [
    metric('candidates', (g) => g.candidates),
    metric('problems', (g) => g.problems),
    metric('build_rate', (g) => g.build_rate),
    metric('correct_rate', (g) => g.correct_rate),
    ...FAST_P.map((p) => metric(`fast_${p}`, (g) => g.fast_p[String(p)] ?? null)),
    metric('geomean_speedup', (g) => g.geomean_speedup),
  ];
  const before = new Map(a.best_per_problem.map((p) => [p.problem_key, p.speedup]));
  const changes: ProblemChange[] = b.best_per_problem.map((p) => ({ problem_key: p.problem_key, problem_name: p.problem_name, level: p.level, before: before.get(p.problem_key) ?? null, after: p.speedup }));
  const val = (x: number | null): number => x ?? 0;
  return {
    a, b, metrics,
    improved: changes.filter((c) => val(c.after) > val(c.before)).sort((x, y) => val(y.after) / Math.max(val(y.before), 1e-9) - val(x.after) / Math.max(val(x.before), 1e-9)),
    regressed: changes.filter((c) => val(c.after) < val(c.before)),
    new_problems: changes.filter((c) => !before.has(c.problem_key)).length,
  };
}

export function formatComparison(c: StatsComparison, labels: [string, string]): string {
  const fmt = (name: string, x: number | null): string => (x === null ? '-' : /rate|fast/.test(name) ? pct(x) : Number.isInteger(x) ? String(x) : x.toFixed(3));
  const out = [textTable(['metric', labels[0], labels[1], 'change'], c.metrics.map((m) => [
    m.name, fmt(m.name, m.a), fmt(m.name, m.b),
    m.a === null || m.b === null ? '-' : /rate|fast/.test(m.name) ? `${((m.b - m.a) * 100).toFixed(1)} pt` : (m.b - m.a >= 0 ? '+' : '') + fmt(m.name, m.b - m.a),
  ]))];
  out.push('', `Problems improved: ${c.improved.length}, regressed: ${c.regressed.length}, new: ${c.new_problems}`);
  if (c.improved.length) out.push(textTable(['problem', 'level', 'best before', 'best after'], c.improved.map((p) => [p.problem_name, String(p.level), num(p.before), num(p.after)])));
  return out.join('\n');
}
