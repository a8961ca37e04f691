/**
 * Worker thread of the parallel filter: filters whole part files and posts the kept rows back as
 * Arrow IPC streams (transferred, not copied), one message per row group, then a 'done' message.
 */
import * as arrow from 'apache-arrow';
import { parentPort } from 'node:worker_threads';
import { ParquetReadError } from './parquet-reader.ts';
import type { RecordFilter } from './record-filter.ts';
import { filterArrowBatches, newCounters } from './select-rows.ts';

export interface FilterJob {
  index: number;
  path: string;
  filter: RecordFilter;
}

export type FilterWorkerMessage =
  | { kind: 'batch'; index: number; ipc: Uint8Array }
  | { kind: 'done'; index: number; rowsScanned: number; rowsSelected: number; rowGroupsScanned: number; rowGroupsFetched: number }
  | { kind: 'error'; index: number; message: string; name: string };

parentPort!.on('message', async (job: FilterJob) => {
  try {
    const counters = newCounters();
    for await (const batch of filterArrowBatches([job.path], job.filter, counters)) {
      const ipc = arrow.tableToIPC(new arrow.Table(batch.schema, [batch]), 'stream');
      parentPort!.postMessage({ kind: 'batch', index: job.index, ipc } satisfies FilterWorkerMessage, [ipc.buffer as ArrayBuffer]);
    }
    parentPort!.postMessage({ kind: 'done', index: job.index, ...counters } satisfies FilterWorkerMessage);
  } catch (err) {
    // A known error (ParquetReadError: a corrupt part file) keeps its name and plain message across the thread.
    const e = err as Error;
    const known = err instanceof ParquetReadError;
    parentPort!.postMessage({ kind: 'error', index: job.index, name: e.name, message: known ? e.message : (e.stack ?? String(err)) } satisfies FilterWorkerMessage);
  }
});
