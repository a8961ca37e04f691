/**
 * Writing record Parquet files: exactly recordArrowSchema(), zstd, written to `<path>.tmp-<pid>`,
 * fsynced and renamed, so a reader never sees a half-written file under the final name.
 */
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { crashPoint } from '../stages/core/crash-point.ts';
import { recordsToArrowBatch } from './arrow-records.ts';
import { RECORD_SCHEMA_VERSION, recordArrowSchema, type KernelRecord } from './schema.ts';

export interface ParquetWriteOptions {
  /** Rows per row group. Small enough that a reader holds one group of 8 KB kernels comfortably. */
  rowGroupSize?: number;
  /** zstd level (1..22); 3 is zstd's default and a good speed/size trade. */
  zstdLevel?: number;
}

export const DEFAULT_ROW_GROUP_SIZE = 4096;

/** A parquet file could not be written; the temporary file has been removed. */
export class ParquetWriteError extends Error {
  override readonly name = 'ParquetWriteError';
}

export function writerProperties(options: ParquetWriteOptions = {}): pw.WriterProperties {
  return new pw.WriterPropertiesBuilder()
    .setCompression(pw.Compression.ZSTD)
    .setMaxRowGroupSize(options.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE)
    .setCreatedBy('kernelforge')
    .setKeyValueMetadata(new Map([['kforge.schema_version', RECORD_SCHEMA_VERSION]]))
    .build();
}

export function tmpPathFor(path: string): string {
  return `${path}.tmp-${process.pid}`;
}

/** Write bytes to `path` atomically: temp file, fsync, rename. */
async function atomicWrite(path: string, write: (fh: import('node:fs/promises').FileHandle) => Promise<void>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tmpPathFor(path);
  const fh = await open(tmp, 'w');
  try {
    await write(fh);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw new ParquetWriteError(`writing ${path} failed: ${(err as Error).message}`, { cause: err });
  }
  await fh.close();
  await rename(tmp, path);
}

/**
 * The input of a streaming write, remembering the error it failed with. parquet-wasm ends its output
 * quietly when its input stream errors (a corrupt input part file): without this, the output would be
 * renamed into place holding the records read so far, passed off as all of them.
 */
class GuardedSource<T> implements AsyncIterable<T> {
  error: unknown = null;
  constructor(private readonly inner: AsyncIterable<T>) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    try {
      yield* this.inner;
    } catch (error) {
      this.error ??= error;
      throw error;
    }
  }
}

/**
 * Encode a stream of batches with parquet-wasm and drain its output into `path`, atomically. If the
 * input failed, its error is raised (whether parquet-wasm noticed, or replaced it with its own "Dyn
 * casting error", or ended quietly) and nothing is renamed into place.
 */
async function writeBatchStream(path: string, batches: ReadableStream<pw.RecordBatch>, source: GuardedSource<unknown>, options: ParquetWriteOptions): Promise<void> {
  await atomicWrite(path, async (fh) => {
    const reader = (await pw.transformParquetStream(batches, writerProperties(options))).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      await fh.write(value);
    }
    if (source.error) throw source.error;
  }).catch((error: unknown) => {
    throw source.error ?? error; // the input's own error (naming the bad file), not "writing failed"
  });
}

function toWasmTable(batch: arrow.RecordBatch): pw.Table {
  return pw.Table.fromIPCStream(arrow.tableToIPC(new arrow.Table(batch.schema, [batch]), 'stream'));
}

/** Write records to one Parquet file (held in memory once: use writeRecordStreamParquet for big sets). */
export async function writeRecordsParquet(records: KernelRecord[], path: string, options: ParquetWriteOptions = {}): Promise<void> {
  const bytes = pw.writeParquet(toWasmTable(recordsToArrowBatch(records)), writerProperties(options));
  await atomicWrite(path, async (fh) => {
    // Written in two halves so the resume tests can kill the process with half a file on disk.
    const half = Math.floor(bytes.length / 2);
    await fh.write(bytes.subarray(0, half));
    crashPoint('parquet:mid-write');
    await fh.write(bytes.subarray(half));
  });
}

/**
 * Write a stream of record chunks to one Parquet file with bounded memory: each chunk becomes at
 * least one row group, and bytes go to disk as parquet-wasm produces them. Returns the row count.
 */
export async function writeRecordStreamParquet(
  chunks: AsyncIterable<readonly KernelRecord[]>,
  path: string,
  options: ParquetWriteOptions = {},
): Promise<number> {
  const schema = recordArrowSchema();
  let rows = 0;
  let wroteAny = false;
  const source = new GuardedSource(chunks);
  const iterator = source[Symbol.asyncIterator]();
  const batches = new ReadableStream<pw.RecordBatch>({
    async pull(controller) {
      for (;;) {
        const next = await iterator.next();
        if (next.done) {
          if (!wroteAny) {
            // parquet-wasm needs one batch to learn the schema; an empty batch gives an empty file.
            wroteAny = true;
            controller.enqueue(toWasmTable(recordsToArrowBatch([], schema)).recordBatch(0)!);
          }
          controller.close();
          return;
        }
        if (next.value.length === 0) continue;
        rows += next.value.length;
        wroteAny = true;
        controller.enqueue(toWasmTable(recordsToArrowBatch(next.value, schema)).recordBatch(0)!);
        return;
      }
    },
  });
  await writeBatchStream(path, batches, source, options);
  return rows;
}
