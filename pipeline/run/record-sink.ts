/**
 * Where records go: buffered, then written as complete Parquet part files (temp name, fsync, rename).
 * Record ids are content hashes, so a record that a part file already holds (from before a crash) is
 * never written again; a half-written part never has a final name, so it is never read as data.
 */
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { KernelRecord } from '../../datasets/schema.ts';
import { iterateRecordBatches, ParquetReadError } from '../../datasets/parquet-reader.ts';
import { writeRecordsParquet } from '../../datasets/parquet-writer.ts';
import { setAsideName } from '../../datasets/corrupt-part.ts';
import { crashPoint } from '../../stages/core/crash-point.ts';
import { partNumber, runLayout } from '../../stages/core/run-layout.ts';

export interface RecordSinkOptions {
  runDir: string;
  partSize: number;
  /** Told after each part file is complete, so the manifest can list it. */
  onPart?: (file: string, records: KernelRecord[]) => Promise<void>;
  /** Told when an unreadable part file is set aside. */
  log?: (line: string) => void;
}

export class RecordSink {
  private buffer: KernelRecord[] = [];
  private nextPart = 1;
  private writing: Promise<void> = Promise.resolve();
  readonly seen = new Set<string>();
  duplicates = 0;

  private constructor(private readonly options: RecordSinkOptions) {}

  static async open(options: RecordSinkOptions): Promise<RecordSink> {
    const sink = new RecordSink(options);
    await mkdir(sink.recordsDir, { recursive: true });
    const entries = await readdir(sink.recordsDir);
    // A temporary file is a part whose write was cut off: never data, so it goes.
    await Promise.all(entries.filter((f) => f.includes('.tmp-')).map((f) => rm(path.join(sink.recordsDir, f), { force: true })));
    const parts = entries.filter((f) => partNumber(f) !== null).sort();
    for (const part of parts) {
      sink.nextPart = Math.max(sink.nextPart, partNumber(part)! + 1);
    }
    for (const file of parts.map((p) => path.join(sink.recordsDir, p))) {
      try {
        for await (const batch of iterateRecordBatches([file], { columns: ['record_id'] })) {
          for (const row of batch.records) if (row.record_id) sink.seen.add(row.record_id);
        }
      } catch (error) {
        if (!(error instanceof ParquetReadError)) throw error;
        // A part that cannot be read (truncated on disk) holds no record we can count on: set it aside
        // (kept, for whoever wants to look) and let the build make its records again, from the caches.
        const aside = setAsideName(file);
        await rename(file, aside);
        options.log?.(`kforge build: ${file} cannot be read (${(error as Error).message.split('. ')[0]}); moved to ${aside}, its records are made again`);
      }
    }
    return sink;
  }

  get recordsDir(): string {
    return runLayout(this.options.runDir).recordsDir;
  }

  has(recordId: string): boolean {
    return this.seen.has(recordId);
  }

  /** Queue a record; returns false when the run already holds it. */
  async add(record: KernelRecord): Promise<boolean> {
    if (this.seen.has(record.record_id)) {
      this.duplicates++;
      return false;
    }
    this.seen.add(record.record_id);
    this.buffer.push(record);
    if (this.buffer.length >= this.options.partSize) await this.flush();
    return true;
  }

  /** Write whatever is buffered as one part file. Flushes run one after another, in order. */
  flush(): Promise<void> {
    const records = this.buffer;
    this.buffer = [];
    if (!records.length) return this.writing;
    const part = this.nextPart++;
    const layout = runLayout(this.options.runDir);
    this.writing = this.writing.then(async () => {
      crashPoint('part:before-write');
      await writeRecordsParquet(records, layout.partFile(part));
      crashPoint('part:before-manifest');
      await this.options.onPart?.(layout.relativePartFile(part), records);
    });
    return this.writing;
  }
}
