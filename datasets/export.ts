/** `kforge export` in one call: pick the format, run it, write export.json beside the output. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { duckSettings, withDuck, type DuckSettings } from './duck.ts';
import { exportDpo, type DpoCounts } from './export-dpo.ts';
import { exportHf } from './export-hf.ts';
import type { Selection, SelectionCounts } from './export-select.ts';
import { exportSft } from './export-sft.ts';
import { describeFilter, type RecordFilter } from './record-filter.ts';
import type { SplitOptions } from './split.ts';

export const EXPORT_FORMATS = ['chat', 'idea', 'dpo', 'hf'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  format: ExportFormat;
  /** Input specs as given (runs, datasets, files) and the part files they resolved to. */
  inputs: readonly string[];
  paths: readonly string[];
  outDir: string;
  filter: RecordFilter;
  select: Selection;
  split: SplitOptions;
  systemPrompt?: string;
  pairsPerProblem?: number;
  minMargin?: number;
  name?: string;
  shardRows?: number;
  /** DuckDB memory limit, threads, spill folder (defaults: duckSettings()). */
  engine?: Partial<DuckSettings>;
}

export type ExportCounts = SelectionCounts | DpoCounts;

export async function runExport(o: ExportOptions): Promise<ExportCounts> {
  await mkdir(o.outDir, { recursive: true });
  const common = { paths: o.paths, filter: o.filter, select: o.select, split: o.split, outDir: o.outDir, ...(o.systemPrompt ? { systemPrompt: o.systemPrompt } : {}) };
  const counts = await withDuck<ExportCounts>(o.paths, (d) =>
    o.format === 'chat' || o.format === 'idea'
      ? exportSft(d, { ...common, withIdea: o.format === 'idea' })
      : o.format === 'dpo'
        ? exportDpo(d, { ...common, ...(o.pairsPerProblem ? { pairsPerProblem: o.pairsPerProblem } : {}), ...(o.minMargin ? { minMargin: o.minMargin } : {}) })
        : exportHf(d, { ...common, inputs: o.inputs, ...(o.name ? { name: o.name } : {}), ...(o.shardRows ? { shardRows: o.shardRows } : {}) }), duckSettings(o.engine));
  const manifest = { format: o.format, select: o.select, filters: describeFilter(o.filter), split: o.split, inputs: o.inputs, counts, created_at: new Date().toISOString() };
  await writeFile(join(o.outDir, 'export.json'), JSON.stringify(manifest, null, 2) + '\n');
  return counts;
}
