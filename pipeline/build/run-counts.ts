/** Counts over every record a run folder holds (all sessions), read from the part files themselves. */
import path from 'node:path';
import { iterateRecordBatches } from '../../datasets/parquet-reader.ts';
import { listPartFiles } from '../../datasets/part-files.ts';
import type { Manifest } from '../run/manifest.ts';

export async function countRunRecords(runDir: string): Promise<Manifest['counts']> {
  const counts: Manifest['counts'] = { records: 0, candidates: 0, compiled: 0, correct: 0, by_fail_stage: {} };
  const files = await listPartFiles(path.join(runDir, 'records')).catch(() => [] as string[]);
  if (!files.length) return counts;
  for await (const batch of iterateRecordBatches(files, { columns: ['compiled', 'correct', 'fail_stage', 'kernel_source'] })) {
    for (const r of batch.records) {
      counts.records++;
      if (r.kernel_source) counts.candidates++;
      if (r.compiled) counts.compiled++;
      if (r.correct) counts.correct++;
      if (r.fail_stage) counts.by_fail_stage[r.fail_stage] = (counts.by_fail_stage[r.fail_stage] ?? 0) + 1;
    }
  }
  return counts;
}
