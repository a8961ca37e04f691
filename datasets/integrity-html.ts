/**
 * The report's integrity section: verdicts, flags (suspect and informative apart), weak problems,
 * the fraction of the speed-of-light floor; every rejected verdict links to its records, and every
 * listed rejected record carries its evidence (flags, kernels launched, the error, the build log).
 */
import { recordAnchor, verdictAnchor, type IntegrityStats, type RejectedRecord } from './integrity-stats.ts';
import { barChart, escapeHtml } from './svg-charts.ts';

const list = (xs: readonly string[]): string => (xs.length ? xs.map((x) => `<code>${escapeHtml(x)}</code>`).join(' ') : '<span class="none">none</span>');

function evidence(r: RejectedRecord): string {
  const parts = [
    `<dt>flags</dt><dd>${list(r.flags)}</dd>`,
    `<dt>kernels launched</dt><dd>${list(r.kernels_launched)}</dd>`,
    `<dt>error</dt><dd>${r.fail_message ? `<pre>${escapeHtml(r.fail_message)}</pre>` : '<span class="none">none</span>'}</dd>`,
    ...(r.compile_log ? [`<dt>build log</dt><dd><pre>${escapeHtml(r.compile_log)}</pre></dd>`] : []),
  ];
  return `<details class="evidence"><summary>evidence</summary><dl>${parts.join('')}</dl></details>`;
}

export function renderIntegrity(i: IntegrityStats): string {
  const listed = new Set(i.rejected.map((r) => r.verdict));
  const verdicts = i.by_verdict.map((v) => {
    const name = listed.has(v.verdict) ? `<a href="#${verdictAnchor(v.verdict)}">${escapeHtml(v.verdict)}</a>` : escapeHtml(v.verdict);
    return `<tr class="verdict-row"><td>${name}</td><td>${v.records}</td></tr>`;
  });
  const flagTable = (cls: string): string => {
    const rows = i.by_flag.filter((f) => f.class === cls);
    return rows.length
      ? `<table class="flags flags-${cls}"><tr><th>${cls} flag</th><th>records</th></tr>${rows.map((f) => `<tr class="flag-row ${cls}"><td><code>${escapeHtml(f.flag)}</code></td><td>${f.records}</td></tr>`).join('')}</table>`
      : `<p class="none">No ${cls} flags.</p>`;
  };
  const weak = i.weak_problems.length
    ? `<table class="weak"><tr><th>level</th><th>id</th><th>problem</th><th>records</th><th>reasons</th></tr>${i.weak_problems.map((w) => `<tr class="weak-row"><td>${w.level}</td><td>${w.problem_id}</td><td>${escapeHtml(w.problem_name)}</td><td>${w.records}</td><td>${list(w.reasons)}</td></tr>`).join('')}</table>`
    : '<p class="none">No weak problems.</p>';
  const h = i.sol_fraction_histogram;
  const sol = barChart('sol-fraction', `Correct kernels' fraction of the speed-of-light floor (${h.kernels} with a floor)`,
    h.counts.map((c, k) => ({ label: k + 1 < h.edges.length ? `${h.edges[k]}–${h.edges[k + 1]}` : `≥${h.edges[k]}`, value: c })), 'kernels');
  const best = i.best_sol_per_problem.length
    ? `<table class="best-sol"><tr><th>level</th><th>id</th><th>problem</th><th>fraction of floor</th><th>speedup</th></tr>${i.best_sol_per_problem.map((b) => `<tr class="sol-row"><td>${b.level}</td><td>${b.problem_id}</td><td>${escapeHtml(b.problem_name)}</td><td>${(b.sol_fraction * 100).toFixed(1)}%</td><td>${b.speedup === null ? '-' : b.speedup.toFixed(2) + 'x'}</td></tr>`).join('')}</table>`
    : '<p class="none">No correct kernel has a speed-of-light floor (floors need a GPU run with FLOP and byte counts).</p>';
  const byVerdict = [...listed].map((v) => {
    const rows = i.rejected.filter((r) => r.verdict === v);
    const total = i.by_verdict.find((x) => x.verdict === v)?.records ?? rows.length;
    return `<h3 id="${verdictAnchor(v)}">${escapeHtml(v)} (${total}${total > rows.length ? `, first ${rows.length} listed` : ''})</h3>
<table class="rejected"><tr><th>record</th><th>level</th><th>id</th><th>problem</th><th>evidence</th></tr>
${rows.map((r) => `<tr class="rejected-row" id="${recordAnchor(r.record_id)}"><td><a href="#${recordAnchor(r.record_id)}"><code>${escapeHtml(r.record_id)}</code></a></td><td>${r.level}</td><td>${r.problem_id}</td><td>${escapeHtml(r.problem_name)}</td><td>${evidence(r)}</td></tr>`).join('\n')}</table>`;
  });
  return `<h2 id="integrity">Integrity: what the verifier found</h2>
<div class="integrity">
<table class="verdicts"><tr><th>verdict</th><th>records</th></tr>${verdicts.join('')}</table>
${flagTable('suspect')}
${flagTable('informative')}
${i.by_flag.some((f) => f.class === 'unknown') ? flagTable('unknown') : ''}
</div>
<h3>Weak problems</h3>
${weak}
<h3>Speed of light</h3>
<div class="charts">${sol}</div>
${best}
<h2>Rejected records and their evidence</h2>
${byVerdict.join('\n') || '<p class="none">No rejected records.</p>'}`;
}
