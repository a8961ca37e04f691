/**
 * `kforge report`: one self-contained HTML file (inline CSS and SVG, no script, no network) with the
 * figures of `kforge stats` as charts and the best kernel per problem with its code.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { duckSettings, sqlList, withDuck, type DuckSettings } from './duck.ts';
import type { RecordFilter } from './record-filter.ts';
import { renderIntegrity } from './integrity-html.ts';
import { createRecordsView } from './record-sql.ts';
import { ALL_RECORDS, statsOfView, type IntegrityOptions } from './stats-query.ts';
import { FAST_P, fastPCurve, type DatasetStats } from './stats.ts';
import { barChart, escapeHtml, lineChart } from './svg-charts.ts';
import { formatStats } from './stats-format.ts';

export interface ReportInput {
  title: string;
  stats: DatasetStats;
  /** kernel source by record_id for the best kernels. */
  sources: Map<string, string>;
  inputs: readonly string[];
}

const pct = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);

export function renderReport(r: ReportInput): string {
  const s = r.stats;
  const h = s.speedup_histogram;
  const histogram = barChart('speedup-distribution', 'Speedup of correct kernels (count per bin)',
    h.counts.map((c, i) => ({ label: `${h.edges[i]!.toFixed(2)}–${h.edges[i + 1]!.toFixed(2)}x`, value: c })), 'kernels');
  const maxBest = Math.max(2, ...s.best_per_problem.map((b) => b.speedup ?? 0));
  const ps = Array.from({ length: 41 }, (_, i) => (Math.min(maxBest, 4) * i) / 40);
  const fastp = lineChart('fast-p', 'fast_p: share of problems with a correct kernel faster than p times the reference',
    [{ name: 'fast_p', points: fastPCurve(s.best_per_problem, ps).map((c) => ({ x: c.p, y: c.fast })) }], 'p (speedup threshold)', 'share of problems', 1);
  const trajectory = lineChart('trajectory', 'Trajectory by round',
    [
      { name: 'correct rate', points: s.by_round.map((x) => ({ x: x.round, y: x.correct_rate ?? 0 })) },
      { name: 'fast_1 so far', points: s.by_round.map((x) => ({ x: x.round, y: x.fast_1_so_far ?? 0 })) },
    ], 'round', 'share', 1);
  const failures = barChart('failures', 'Failures by stage', Object.entries(s.failures_by_stage).map(([k, v]) => ({ label: k, value: v })), 'candidates');

  const levels = Object.entries(s.by_level).map(([l, g]) => ({ name: `level ${l}`, g })).concat([{ name: 'overall', g: s.overall }]);
  const summary = `<table class="summary"><tr><th></th><th>candidates</th><th>built</th><th>correct</th><th>problems</th>${FAST_P.map((p) => `<th>fast_${p}</th>`).join('')}<th>geomean speedup</th></tr>
${levels.map(({ name, g }) => `<tr><td>${name}</td><td>${g.candidates}</td><td>${pct(g.build_rate)}</td><td>${pct(g.correct_rate)}</td><td>${g.problems}</td>${FAST_P.map((p) => `<td>${pct(g.fast_p[String(p)] ?? null)}</td>`).join('')}<td>${g.geomean_speedup?.toFixed(2) ?? '-'}</td></tr>`).join('\n')}</table>`;

  const rows = s.best_per_problem.map((b) => {
    const code = b.record_id ? r.sources.get(b.record_id) : undefined;
    const cell = code ? `<details><summary>code</summary><pre><code>${escapeHtml(code)}</code></pre></details>` : '<span class="none">no correct kernel</span>';
    return `<tr class="best-row"><td>${b.level}</td><td>${b.problem_id}</td><td>${escapeHtml(b.problem_name)}</td><td>${b.speedup === null ? '-' : b.speedup.toFixed(2) + 'x'}</td><td>${b.round ?? '-'}</td><td>${cell}</td></tr>`;
  });

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(r.title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
.charts{display:flex;flex-wrap:wrap;gap:16px}.charts svg{border:1px solid #ddd;background:#fff}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right;vertical-align:top}
td:nth-child(3),td:last-child{text-align:left}pre{max-width:900px;max-height:480px;overflow:auto;background:#f6f8fa;padding:8px;text-align:left}
.none{color:#999}.meta{color:#666;font-size:12px}
.integrity{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}dl{margin:0;text-align:left}dt{font-weight:600}dd{margin:0 0 6px 0}
</style></head><body>
<h1>${escapeHtml(r.title)}</h1>
<p class="meta">Inputs: ${r.inputs.map(escapeHtml).join(', ')}. Tokens ${s.tokens.in} in / ${s.tokens.out} out; cost $${s.cost.usd.toFixed(4)} (${s.cost.records_without_cost} records without a price).</p>
${summary}
<h2>Charts</h2>
<div class="charts">${histogram}${fastp}${trajectory}${failures}</div>
${s.integrity ? renderIntegrity(s.integrity) : ''}
<h2>Best kernel per problem</h2>
<table class="best"><tr><th>level</th><th>id</th><th>problem</th><th>speedup</th><th>round</th><th>kernel</th></tr>
${rows.join('\n')}
</table>
<h2>Statistics as text</h2>
<pre>${escapeHtml(formatStats(s))}</pre>
</body></html>
`;
}

/** Compute stats, fetch the best kernels' sources, write the HTML file. */
export async function buildReport(o: { paths: readonly string[]; inputs: readonly string[]; out: string; title?: string; filter?: RecordFilter; engine?: Partial<DuckSettings>; integrity?: IntegrityOptions }): Promise<DatasetStats> {
  const { stats, sources } = await withDuck(o.paths, async (d) => {
    await createRecordsView(d, o.paths);
    const stats = await statsOfView(d, o.filter ?? ALL_RECORDS, o.integrity);
    const ids = stats.best_per_problem.flatMap((b) => (b.record_id ? [b.record_id] : []));
    const sources = new Map<string, string>();
    const sql = `SELECT record_id, kernel_source FROM records WHERE list_contains(${sqlList(ids)}, record_id) ORDER BY file_index, file_row_number`;
    if (ids.length) for await (const rows of d.stream(sql)) for (const r of rows) if (!sources.has(String(r.record_id))) sources.set(String(r.record_id), String(r.kernel_source));
    return { stats, sources };
  }, duckSettings(o.engine));
  await mkdir(dirname(o.out), { recursive: true });
  await writeFile(o.out, renderReport({ title: o.title ?? 'kernelforge report', stats, sources, inputs: o.inputs }));
  return stats;
}
