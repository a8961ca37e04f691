/**
 * The run manifest: what a run was asked to do (its configuration and the versions of everything that
 * changes an answer), what it has written (complete part files), and how far it got.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { RunConfig } from '../config/schema.ts';
import { writeFileAtomic } from '../../stages/core/cache/atomic-write.ts';
import { runLayout } from '../../stages/core/run-layout.ts';

/** interrupted: stopped by Ctrl-C / SIGTERM (resumable, like stopped). */
export type RunStatus = 'running' | 'complete' | 'stopped' | 'interrupted' | 'failed';

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

export async function readManifest(runDir: string): Promise<Manifest | null> {
  let text: string;
  try {
    text = await readFile(runLayout(runDir).manifest, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(runDir, `is not valid JSON (${(error as Error).message}; cut short by a crash or a full disk?)`);
  }
  const shape = manifestShape.safeParse(parsed);
  if (!shape.success) throw new ManifestError(runDir, `is not a kforge run manifest (${shape.error.issues[0]?.path.join('.') || 'top level'}: ${shape.error.issues[0]?.message})`);
  return parsed as Manifest;
}

/** The fields every reader relies on; the rest is checked where it is used (the config, by its schema). */
const manifestShape = z.object({
  manifest_version: z.literal(1),
  run_id: z.string(),
  status: z.string(),
  config: z.record(z.string(), z.unknown()),
  parts: z.array(z.object({ file: z.string(), records: z.number() })),
  problems: z.array(z.object({ key: z.string() }).passthrough()),
  sessions: z.array(z.unknown()),
}).passthrough();

/** A run's manifest.json that cannot be read: names the file and the way out. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  constructor(runDir: string, what: string) {
    const layout = runLayout(runDir);
    const file = layout.manifest;
    super(
      `${file} ${what}. The part files under ${layout.recordsDir} are kept: move the manifest aside ` +
        `(mv ${file} ${file}.bad) and run the same kforge build with --run-id ${path.basename(runDir)} --out ${path.dirname(runDir)} ` +
        `and the same options; it writes a new manifest and keeps every complete part file.`,
    );
  }
}

export async function writeManifest(runDir: string, manifest: Manifest): Promise<void> {
  manifest.updated_at = new Date().toISOString();
  await writeFileAtomic(runLayout(runDir).manifest, JSON.stringify(manifest, null, 2) + '\n');
}
