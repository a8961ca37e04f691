/** JSON-lines output written to a temporary name, fsynced and renamed, like the Parquet writer. */
import { mkdir, open, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

export class JsonlWriter {
  private buffer: string[] = [];
  private bufferedChars = 0;
  lines = 0;
  private constructor(
    readonly path: string,
    private readonly tmp: string,
    private readonly fh: FileHandle,
  ) {}

  static async create(path: string): Promise<JsonlWriter> {
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.tmp-${process.pid}`;
    return new JsonlWriter(path, tmp, await open(tmp, 'w'));
  }

  async write(value: unknown): Promise<void> {
    const line = JSON.stringify(value) + '\n';
    this.buffer.push(line);
    this.bufferedChars += line.length;
    this.lines++;
    if (this.bufferedChars > 4 << 20) await this.flush();
  }

  private async flush(): Promise<void> {
    if (!this.buffer.length) return;
    await this.fh.write(this.buffer.join(''));
    this.buffer = [];
    this.bufferedChars = 0;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.fh.sync();
    await this.fh.close();
    await rename(this.tmp, this.path);
  }
}
