/**
 * The run manifest: what a run was asked to do (its configuration and the versions of everything that
 * changes an answer), what it has written (complete part files), and how far it got.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunConfig } from '../config/schema.ts';
import { writeFileAtomic } from '../../stages/core/cache/atomic-write.ts';

export type RunStatus = 'running' | 'complete' | 'stopped' | 'failed';

export interface PartEntry {
  file: string; // relative to the run folder
  records: number;
}

export interface ProblemSummary {
  key: string;
  name: string;
  level: number;
  problem_id: number;
  candidates: number;
  compiled: number;
  correct: number;
  best_speedup: number | null;
  /** Best speedup so far at the end of each round (null until a correct kernel exists). */
  trajectory: (number | null)[];
  stopped_because: string | null;
  skipped_reason: string | null;
}

export interface Manifest {
  manifest_version: 1;
  run_id: string;
  created_at: string;
  updated_at: string;
  status: RunStatus;
  stop_reason: string | null;
  config: RunConfig;
  versions: Record<string, string | null>;
  search: { rounds: number; ideas_per_round: number; impls_per_idea: number; beam: number };
  parts: PartEntry[];
  counts: { records: number; candidates: number; compiled: number; correct: number; by_fail_stage: Record<string, number> };
  problems: ProblemSummary[];
  llm: Record<string, unknown> | null;
  /** Wall-clock seconds of each invocation (a resumed run has several). */
  sessions: { started_at: string; ended_at: string | null; resumed: boolean }[];
}

export const MANIFEST_FILE = 'manifest.json';

export function manifestPath(runDir: string): string {
  return path.join(runDir, MANIFEST_FILE);
}

export async function readManifest(runDir: string): Promise<Manifest | null> {
  let text: string;
  try {
    text = await readFile(manifestPath(runDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return JSON.parse(text) as Manifest;
}

export async function writeManifest(runDir: string, manifest: Manifest): Promise<void> {
  manifest.updated_at = new Date().toISOString();
  await writeFileAtomic(manifestPath(runDir), JSON.stringify(manifest, null, 2) + '\n');
}
