/** The end-of-build summary and `kforge inspect`: the same text from a manifest. */
import type { Manifest } from '../run/manifest.ts';
import { runLayout } from '../../stages/core/run-layout.ts';

const fmt = (x: number | null): string => (x === null ? '-' : `${x.toFixed(2)}x`);

export function formatSummary(manifest: Manifest, runDir: string): string {
  const c = manifest.counts;
  const lines = [
    `run ${manifest.run_id}  (${runDir})`,
    `status: ${manifest.status}${manifest.stop_reason ? ` (${manifest.stop_reason})` : ''}`,
    `provider: ${manifest.versions.provider ?? '?'} / ${manifest.versions.model ?? '?'}   backend: ${manifest.config.verify.backend}   precision: ${manifest.config.verify.precision ?? 'fp32'}   tolerance: ${manifest.config.verify.tolerance}`,
    // An import (kforge verify / serve) searched nothing.
    ...(manifest.versions.provider === 'import'
      ? []
      : [`search: ${manifest.search.rounds} round(s) x ${manifest.search.ideas_per_round} idea(s) x ${manifest.search.impls_per_idea} implementation(s), beam ${manifest.search.beam}`]),
    `problems: ${manifest.problems.length}   records: ${c.records}   candidates: ${c.candidates}   built: ${c.compiled}   correct: ${c.correct}`,
  ];
  const stages = Object.entries(c.by_fail_stage);
  if (stages.length) lines.push(`failures by stage: ${stages.map(([s, n]) => `${s} ${n}`).join(', ')}`);
  lines.push('', `${'problem'.padEnd(46)} ${'cand'.padStart(5)} ${'built'.padStart(5)} ${'ok'.padStart(4)} ${'best'.padStart(8)}  trajectory`);
  for (const p of manifest.problems) {
    const name = `L${p.level} ${p.name}`.slice(0, 46).padEnd(46);
    const note = p.skipped_reason ? `  skipped: ${p.skipped_reason}` : '';
    lines.push(`${name} ${String(p.candidates).padStart(5)} ${String(p.compiled).padStart(5)} ${String(p.correct).padStart(4)} ${fmt(p.best_speedup).padStart(8)}  ${p.trajectory.map(fmt).join(' > ')}${note}`);
  }
  lines.push('', `records: ${manifest.parts.length} part file(s) under ${runLayout(runDir).recordsDir}/`);
  return lines.join('\n') + '\n';
}
