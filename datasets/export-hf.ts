/**
 * A Hugging Face dataset folder: data/{train,validation}-NNNNN.parquet (the full record schema) and a
 * README.md dataset card whose YAML header maps the splits to the shards.
 */
import { basename, join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { renderDatasetCard } from './dataset-card.ts';
import { inSplitSql, planExport, type ExportSelectOptions, type SelectionCounts } from './export-select.ts';
import type { Duck } from './duck.ts';
import { describeFilter, filterSql } from './record-filter.ts';
import { RECORD_SELECT, rowToRecord } from './record-sql.ts';
import { ShardedRecordWriter } from './sharded-writer.ts';

export interface HfExportOptions extends ExportSelectOptions {
  outDir: string;
  name?: string;
  shardRows?: number;
  /** The input specs as the user gave them (for the card). */
  inputs: readonly string[];
}

export async function exportHf(d: Duck, o: HfExportOptions): Promise<SelectionCounts> {
  const shardRows = o.shardRows ?? 50_000;
  const runs = new Set<string>();
  const sources = new Set<string>();
  const byLevel: Record<string, number> = {};
  const counts = await planExport(d, o, (_split, r) => {
    runs.add(r.run_id);
    sources.add(r.problem_source);
    byLevel[r.level] = (byLevel[r.level] ?? 0) + 1;
  });
  // The shards are written by our own Parquet writer (REQUIRED columns where the schema says so).
  const writers = { train: new ShardedRecordWriter(join(o.outDir, 'data'), 'train', shardRows), validation: new ShardedRecordWriter(join(o.outDir, 'data'), 'validation', shardRows) };
  for (const split of ['train', 'validation'] as const) {
    for await (const rows of d.stream(`SELECT ${RECORD_SELECT} FROM records WHERE ${filterSql(o.filter)} AND ${inSplitSql(split)}`)) await writers[split].write(rows.map(rowToRecord));
  }
  const files = { train: await writers.train.close(), validation: await writers.validation.close() };
  const card = renderDatasetCard({
    name: o.name ?? 'kernelforge kernels',
    splits: (['train', 'validation'] as const).map((s) => ({ split: s, rows: counts[s], problems: counts.problems[s], files: files[s].map((f) => basename(f.path)) })),
    byLevel,
    filters: describeFilter(o.filter),
    selection: o.select === 'best' ? 'the fastest kernel per problem' : 'every record passing the filters',
    duplicatesRemoved: counts.duplicates,
    sourceRuns: [...runs].sort(),
    inputs: [...o.inputs],
    problemSources: [...sources].sort(),
  });
  await writeFile(join(o.outDir, 'README.md'), card);
  return counts;
}
