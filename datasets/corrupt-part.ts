/**
 * What to do about a record Parquet file that cannot be read (cut short by a full disk, a copy that
 * stopped, `truncate`): every reader refuses it through RecordParquetFile.open, naming the file and
 * giving this advice, instead of skipping it and reporting fewer records than there are.
 */
import { existsSync } from 'node:fs';
import { folderOfPartFile, runLayout } from '../stages/core/run-layout.ts';

/** The run folder a part file belongs to (…/<run>/records/part-NNNNN.parquet with a manifest), or null. */
export function runFolderOf(partFile: string): string | null {
  const run = folderOfPartFile(partFile);
  return run !== null && existsSync(runLayout(run).manifest) ? run : null;
}

export function repairAdvice(partFile: string): string {
  const run = runFolderOf(partFile);
  return run
    ? `It is a part file of the run ${run}: run \`kforge build --resume ${run}\`, which sets the file aside (renamed *.corrupt-<time>) and recomputes its records (verdicts and LLM replies come from the cache).`
    : `Replace it with a good copy, or remove it (its records are then gone from this input).`;
}

/** Where a corrupt part file is moved so no reader lists it again (the name no longer ends in .parquet). */
export function setAsideName(partFile: string, now = new Date()): string {
  return `${partFile}.corrupt-${now.toISOString().replace(/[-:.]/g, '')}`;
}
