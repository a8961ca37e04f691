/**
 * Filter with worker threads, one part file per worker at a time, so reading and decompressing
 * (the bulk of the work, in single-threaded WebAssembly) uses every core. Output keeps input order.
 */
import { ParquetReadError } from './parquet-reader.ts';
import { Worker } from 'node:worker_threads';
import type { FilterJob, FilterWorkerMessage } from './filter-worker.ts';
import type { RecordFilter } from './record-filter.ts';
import { newCounters, type SelectCounters } from './select-rows.ts';

// The worker is TypeScript: register tsx in the worker before importing it (execArgv --import does
// not reach a worker's entry module on Node 20).
const WORKER_BOOT = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(new URL('./filter-worker.ts', import.meta.url).href)}); })`;

interface FileResult {
  batches: Uint8Array[];
  done: boolean;
}

/** Arrow IPC streams of the kept rows, in file order. */
export async function* filterIpcParallel(paths: readonly string[], filter: RecordFilter, workers: number, counters: SelectCounters = newCounters()): AsyncGenerator<Uint8Array> {
  const pool = Array.from({ length: Math.max(1, Math.min(workers, paths.length)) }, () => new Worker(WORKER_BOOT, { eval: true }));
  const results = new Map<number, FileResult>();
  let next = 0;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    wake?.();
    wake = null;
  };
  const assign = (w: Worker): void => {
    if (next >= paths.length) return;
    const job: FilterJob = { index: next, path: paths[next]!, filter };
    results.set(next++, { batches: [], done: false });
    w.postMessage(job);
  };
  for (const w of pool) {
    w.on('message', (m: FilterWorkerMessage) => {
      const r = results.get(m.index)!;
      if (m.kind === 'batch') r.batches.push(m.ipc);
      else if (m.kind === 'error') failure = m.name === 'ParquetReadError' ? new ParquetReadError(m.message) : new Error(`filtering ${paths[m.index]} failed: ${m.message}`);
      else {
        r.done = true;
        for (const k of ['rowsScanned', 'rowsSelected', 'rowGroupsScanned', 'rowGroupsFetched'] as const) counters[k] += m[k];
        assign(w);
      }
      notify();
    });
    w.on('error', (err) => ((failure = err), notify()));
    assign(w);
  }
  try {
    for (let i = 0; i < paths.length; i++) {
      for (;;) {
        if (failure) throw failure;
        const r = results.get(i);
        if (r && r.batches.length) {
          yield r.batches.shift()!;
          continue;
        }
        if (r?.done) break;
        await new Promise<void>((res) => (wake = res));
      }
      results.delete(i);
    }
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}
