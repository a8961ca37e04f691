/**
 * A real redis-server for a test file: loopback only, a random free port, its AOF in a temp folder
 * (so a restart keeps what was queued, as the README asks of production), killed after. Tests skip
 * with a message naming the package when the binary is missing.
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa, execaSync, type ResultPromise } from 'execa';
import { Redis } from 'ioredis';

export const REDIS_MISSING = (() => {
  try {
    execaSync('redis-server', ['--version']);
    return null;
  } catch {
    return 'redis-server is not installed (apt-get install -y redis-server, or bash scripts/setup.sh): the queue tests are skipped';
  }
})();

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export class TestRedis {
  private proc: ResultPromise | null = null;
  private constructor(readonly port: number, readonly dir: string) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<TestRedis> {
    const r = new TestRedis(await freePort(), mkdtempSync(path.join(tmpdir(), 'kforge-redis-')));
    await r.up();
    return r;
  }

  /** Starts the server (again) on the same port and folder, and waits until it answers. */
  async up(): Promise<void> {
    this.proc = execa('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--save', '', '--maxmemory-policy', 'noeviction'], { reject: false, cleanup: true });
    for (let i = 0; ; i++) {
      const probe = new Redis(this.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on('error', () => {});
      try {
        await probe.connect();
        await probe.ping();
        return;
      } catch (error) {
        if (i > 100) throw error;
        await new Promise((r) => setTimeout(r, 100));
      } finally {
        probe.disconnect();
      }
    }
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (!p) return;
    p.kill('SIGTERM'); // redis writes its AOF and exits
    await p;
  }

  client(): Redis {
    const c = new Redis(this.url, { maxRetriesPerRequest: null });
    c.on('error', () => {});
    return c;
  }
}
