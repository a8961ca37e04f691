/**
 * Record Parquet shards of at most `shardRows` rows each, written as chunks arrive: each shard is
 * one streaming Parquet write fed through a one-slot channel, so memory holds one chunk.
 */
import { join } from 'node:path';
import { writeRecordStreamParquet } from './parquet-writer.ts';
import type { KernelRecord } from './schema.ts';

class Channel<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private closed = false;
  private wake: (() => void) | null = null;
  private drained: (() => void) | null = null;

  async push(item: T): Promise<void> {
    this.items.push(item);
    this.wake?.();
    // Back-pressure: wait until the consumer has taken it.
    while (this.items.length > 0) await new Promise<void>((r) => (this.drained = r));
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.items.length) {
        const item = this.items.shift()!;
        this.drained?.();
        yield item;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((r) => (this.wake = r));
    }
  }
}

export class ShardedRecordWriter {
  private shard = -1;
  private rowsInShard = 0;
  private channel: Channel<KernelRecord[]> | null = null;
  private writing: Promise<number> | null = null;
  /** Never settles on success; rejects with the write's error. */
  private failed: Promise<never> | null = null;
  readonly files: { path: string; rows: number }[] = [];

  constructor(
    private readonly dir: string,
    private readonly prefix: string,
    private readonly shardRows: number,
  ) {}

  private shardPath(i: number): string {
    return join(this.dir, `${this.prefix}-${String(i).padStart(5, '0')}.parquet`);
  }

  private async finishShard(): Promise<void> {
    if (!this.channel) return;
    this.channel.close();
    const rows = await this.writing!;
    this.files.push({ path: this.shardPath(this.shard), rows });
    this.channel = null;
  }

  async write(records: readonly KernelRecord[]): Promise<void> {
    let rest = records;
    while (rest.length) {
      if (!this.channel || this.rowsInShard >= this.shardRows) {
        await this.finishShard();
        this.shard++;
        this.rowsInShard = 0;
        this.channel = new Channel<KernelRecord[]>();
        this.writing = writeRecordStreamParquet(this.channel, this.shardPath(this.shard));
        this.failed = this.writing.then(() => new Promise<never>(() => undefined));
      }
      const take = rest.slice(0, this.shardRows - this.rowsInShard);
      rest = rest.slice(take.length);
      this.rowsInShard += take.length;
      // A failed write rejects `writing`; racing it keeps a failure from hanging the producer.
      await Promise.race([this.channel.push(take), this.failed!]);
    }
  }

  /** Finish the last shard; returns the files written (none if no rows came). */
  async close(): Promise<{ path: string; rows: number }[]> {
    await this.finishShard();
    return this.files;
  }
}
