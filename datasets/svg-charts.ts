/**
 * Minimal inline SVG charts (bars and lines) so the report is one self-contained file: no
 * library, no CDN. Each chart carries class="chart" and data-chart="<id>" for the browser test.
 */
export interface Bar {
  label: string;
  value: number;
}

export interface Series {
  name: string;
  points: { x: number; y: number }[];
  colour?: string;
}

const W = 640;
const H = 280;
const M = { top: 20, right: 20, bottom: 50, left: 56 };
const PALETTE = ['#3b6fd8', '#e07b28', '#2f9e5b', '#b83a5e', '#7b5bd6'];

export const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const fmt = (v: number): string => (Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(2));

function frame(id: string, title: string, body: string, yLabel: string): string {
  return `<svg class="chart" data-chart="${id}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(title)}" xmlns="http://www.w3.org/2000/svg">
<text x="${W / 2}" y="14" text-anchor="middle" font-size="13" font-weight="600">${escapeHtml(title)}</text>
<line x1="${M.left}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}" stroke="#444"/>
<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${H - M.bottom}" stroke="#444"/>
<text x="14" y="${(H - M.bottom + M.top) / 2}" font-size="11" transform="rotate(-90 14 ${(H - M.bottom + M.top) / 2})" text-anchor="middle">${escapeHtml(yLabel)}</text>
${body}</svg>`;
}

function yAxis(max: number): string {
  const ticks = 4;
  let out = '';
  for (let i = 0; i <= ticks; i++) {
    const v = (max * i) / ticks;
    const y = H - M.bottom - ((H - M.top - M.bottom) * i) / ticks;
    out += `<text x="${M.left - 6}" y="${y + 4}" font-size="10" text-anchor="end">${fmt(v)}</text><line x1="${M.left}" y1="${y}" x2="${W - M.right}" y2="${y}" stroke="#eee"/>`;
  }
  return out;
}

export function barChart(id: string, title: string, bars: Bar[], yLabel: string): string {
  if (!bars.length) return frame(id, title, `<text x="${W / 2}" y="${H / 2}" text-anchor="middle" font-size="12">no data</text>`, yLabel);
  const max = Math.max(1e-9, ...bars.map((b) => b.value));
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const bw = plotW / bars.length;
  const rects = bars
    .map((b, i) => {
      const h = (b.value / max) * plotH;
      const x = M.left + i * bw + bw * 0.1;
      const lx = M.left + i * bw + bw / 2;
      return `<rect class="bar" x="${x.toFixed(1)}" y="${(H - M.bottom - h).toFixed(1)}" width="${(bw * 0.8).toFixed(1)}" height="${h.toFixed(1)}" fill="${PALETTE[0]}"><title>${escapeHtml(b.label)}: ${fmt(b.value)}</title></rect>` +
        `<text x="${lx.toFixed(1)}" y="${H - M.bottom + 12}" font-size="9" text-anchor="end" transform="rotate(-35 ${lx.toFixed(1)} ${H - M.bottom + 12})">${escapeHtml(b.label)}</text>`;
    })
    .join('');
  return frame(id, title, yAxis(max) + rects, yLabel);
}

export function lineChart(id: string, title: string, series: Series[], xLabel: string, yLabel: string, yMax?: number): string {
  const pts = series.flatMap((s) => s.points);
  if (!pts.length) return frame(id, title, `<text x="${W / 2}" y="${H / 2}" text-anchor="middle" font-size="12">no data</text>`, yLabel);
  const [x0, x1] = [Math.min(...pts.map((p) => p.x)), Math.max(...pts.map((p) => p.x))];
  const max = yMax ?? Math.max(1e-9, ...pts.map((p) => p.y));
  const sx = (x: number): number => M.left + (x1 === x0 ? 0.5 : (x - x0) / (x1 - x0)) * (W - M.left - M.right);
  const sy = (y: number): number => H - M.bottom - (y / max) * (H - M.top - M.bottom);
  const xticks = [...new Set(pts.map((p) => p.x))].sort((a, b) => a - b);
  const step = Math.max(1, Math.ceil(xticks.length / 10));
  const xt = xticks.filter((_, i) => i % step === 0).map((x) => `<text x="${sx(x).toFixed(1)}" y="${H - M.bottom + 14}" font-size="10" text-anchor="middle">${fmt(x)}</text>`).join('');
  const lines = series
    .map((s, i) => {
      const c = s.colour ?? PALETTE[i % PALETTE.length];
      const d = s.points.map((p, k) => `${k ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
      const dots = s.points.map((p) => `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="2.5" fill="${c}"><title>${escapeHtml(s.name)} ${fmt(p.x)}: ${fmt(p.y)}</title></circle>`).join('');
      const legend = `<text x="${W - M.right - 4}" y="${M.top + 14 + i * 14}" font-size="11" text-anchor="end" fill="${c}">${escapeHtml(s.name)}</text>`;
      return `<path class="series" d="${d}" fill="none" stroke="${c}" stroke-width="2"/>${dots}${legend}`;
    })
    .join('');
  const xl = `<text x="${(W + M.left) / 2}" y="${H - 8}" font-size="11" text-anchor="middle">${escapeHtml(xLabel)}</text>`;
  return frame(id, title, yAxis(max) + xt + xl + lines, yLabel);
}
