/**
 * The layout of a run folder, named once. Every file that reads or writes a run folder (the build,
 * resume, inspect, the readers of part files, the benches) takes its paths from here, so a name changes
 * in one place; test/architecture/run-layout.test.ts fails on a layout name spelled out elsewhere.
 *
 *   <run>/manifest.json                 what the run was asked to do and has written (pipeline/run/manifest.ts)
 *   <run>/build.lock                    the build that holds the folder (pipeline/run/run-lock.ts)
 *   <run>/budget.json                   LLM tokens and dollars spent (pipeline/llm/budget.ts)
 *   <run>/records/part-NNNNN.parquet    complete part files (pipeline/run/record-sink.ts)
 *   <run>/journal/                      the provider's answers by search position (pipeline/run/search-journal.ts)
 *   <run>/scratch/                      the verifier's per-candidate working folders
 *
 * A dataset version folder (datasets/dataset-store.ts) and a `kforge filter --out` folder hold their
 * records in the same `records/part-NNNNN.parquet` layout, so every reader lists them alike.
 */
import path from 'node:path';

export const RUN_FILES = {
  manifest: 'manifest.json',
  lock: 'build.lock',
  budget: 'budget.json',
  records: 'records',
  journal: 'journal',
  scratch: 'scratch',
} as const;

/** A complete part file's name; the number is its order in the run (from 1; 0 for a single-file output). */
const PART_FILE = /^part-(\d{5})\.parquet$/;

export function partFileName(n: number): string {
  return `part-${String(n).padStart(5, '0')}.parquet`;
}

/** The number of a part file name, or null for any other name (temporary, set aside, foreign). */
export function partNumber(name: string): number | null {
  const m = PART_FILE.exec(name);
  return m ? Number(m[1]) : null;
}

export interface RunLayout {
  dir: string;
  manifest: string;
  lock: string;
  budget: string;
  recordsDir: string;
  journalDir: string;
  scratchDir: string;
  /** `<run>/records/part-NNNNN.parquet`. */
  partFile(n: number): string;
  /** The same, relative to the run folder: how the manifest lists it. */
  relativePartFile(n: number): string;
}

export function runLayout(dir: string): RunLayout {
  const recordsDir = path.join(dir, RUN_FILES.records);
  return {
    dir,
    manifest: path.join(dir, RUN_FILES.manifest),
    lock: path.join(dir, RUN_FILES.lock),
    budget: path.join(dir, RUN_FILES.budget),
    recordsDir,
    journalDir: path.join(dir, RUN_FILES.journal),
    scratchDir: path.join(dir, RUN_FILES.scratch),
    partFile: (n) => path.join(recordsDir, partFileName(n)),
    relativePartFile: (n) => path.join(RUN_FILES.records, partFileName(n)),
  };
}

/** The folder a part file's path places it in (`<dir>/records/part-NNNNN.parquet` gives `<dir>`), or null. */
export function folderOfPartFile(partFile: string): string | null {
  const records = path.dirname(partFile);
  if (partNumber(path.basename(partFile)) === null || path.basename(records) !== RUN_FILES.records) return null;
  return path.dirname(records);
}
