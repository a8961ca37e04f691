/** Counts over every record a run folder holds (all sessions), read from the part files themselves. */
import path from 'node:path';
import { iterateRecordBatches } from '../../datasets/parquet-reader.ts';
import { listPartFiles } from '../../datasets/part-files.ts';
import type { Manifest, PartEntry } from '../run/manifest.ts';
import { runLayout } from '../../stages/core/run-layout.ts';

export interface RunContents {
  counts: Manifest['counts'];
  parts: PartEntry[];
}

/**
 * The part files are the truth: after a kill between a part's rename and the manifest update, the
 * manifest is one part behind, and this puts it right.
 */
export async function countRunRecords(runDir: string): Promise<RunContents> {
  const counts: Manifest['counts'] = { records: 0, candidates: 0, compiled: 0, correct: 0, by_fail_stage: {} };
  const parts: PartEntry[] = [];
  const files = await listPartFiles(runLayout(runDir).recordsDir).catch(() => [] as string[]);
  for (const file of files) {
    let records = 0;
    for await (const batch of iterateRecordBatches([file], { columns: ['compiled', 'correct', 'fail_stage', 'kernel_source'] })) {
      for (const r of batch.records) {
        records++;
        if (r.kernel_source) counts.candidates++;
        if (r.compiled) counts.compiled++;
        if (r.correct) counts.correct++;
        if (r.fail_stage) counts.by_fail_stage[r.fail_stage] = (counts.by_fail_stage[r.fail_stage] ?? 0) + 1;
      }
    }
    counts.records += records;
    parts.push({ file: path.relative(runDir, file), records });
  }
  return { counts, parts };
}
