/**
 * One session of work on a run folder, whoever makes the records (`kforge build`, `kforge verify`,
 * `kforge serve`): opens or resumes the manifest, appends records through the sink (the manifest lists
 * each complete part), and closes the session with counts read from the part files themselves. One
 * implementation, so a verify run resumes, counts and reads back exactly like a build.
 */
import { mkdir } from 'node:fs/promises';
import { readManifest, writeManifest, type Manifest, type ProblemSummary, type RunStatus } from './manifest.ts';
import { RecordSink } from './record-sink.ts';
import { countRunRecords } from '../build/run-counts.ts';
import type { RunConfig } from '../config/schema.ts';

export interface RunSessionOptions {
  runDir: string;
  config: RunConfig;
  /** The manifest of a run folder that has none yet. */
  newManifest: () => Manifest;
  log?: (line: string) => void;
}

export interface SessionEnd {
  status: RunStatus;
  stopReason: string | null;
  /** This session's summaries; they replace an earlier session's for the same problem. */
  problems: ProblemSummary[];
  llm?: Record<string, unknown> | null;
}

export class RunSession {
  private constructor(
    readonly runDir: string,
    readonly manifest: Manifest,
    readonly sink: RecordSink,
    readonly resumed: boolean,
  ) {}

  static async open(options: RunSessionOptions): Promise<RunSession> {
    const { runDir, config } = options;
    await mkdir(runDir, { recursive: true });
    const previous = await readManifest(runDir);
    const manifest = previous ?? options.newManifest();
    manifest.status = 'running';
    manifest.stop_reason = null;
    manifest.config = config;
    manifest.sessions.push({ started_at: new Date().toISOString(), ended_at: null, resumed: previous !== null });
    await writeManifest(runDir, manifest);
    const sink = await RecordSink.open({
      runDir,
      partSize: config.run.part_size,
      log: options.log ?? ((line) => process.stderr.write(`${line}\n`)),
      onPart: async (file, records) => {
        manifest.parts.push({ file, records: records.length });
        await writeManifest(runDir, manifest);
      },
    });
    return new RunSession(runDir, manifest, sink, previous !== null);
  }

  /** Write what is buffered, count what the folder holds, and close the session in the manifest. */
  async finish(end: SessionEnd): Promise<Manifest> {
    await this.sink.flush();
    const { manifest } = this;
    manifest.problems = mergeSummaries(manifest.problems, end.problems);
    const contents = await countRunRecords(this.runDir);
    manifest.counts = contents.counts;
    manifest.parts = contents.parts;
    if (end.llm !== undefined) manifest.llm = end.llm;
    manifest.status = end.status;
    manifest.stop_reason = end.stopReason;
    manifest.sessions[manifest.sessions.length - 1]!.ended_at = new Date().toISOString();
    await writeManifest(this.runDir, manifest);
    return manifest;
  }
}

/** A resumed run's summary replaces the earlier session's for the same problem. */
export function mergeSummaries(before: ProblemSummary[], now: ProblemSummary[]): ProblemSummary[] {
  const byKey = new Map(before.map((s) => [s.key, s]));
  for (const s of now) byKey.set(s.key, s);
  return [...byKey.values()].sort((a, b) => a.level - b.level || a.problem_id - b.problem_id);
}
