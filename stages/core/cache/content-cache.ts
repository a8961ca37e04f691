/**
 * A content-addressed disk cache shared by the LLM client (namespace 'llm') and verification
 * (namespace 'verify'). Keys are sha256 of the canonical JSON of whatever identifies the content
 * (never file paths), so a resumed or repeated run finds the answers it already paid for.
 *
 * Layout: <dir>/<namespace>/<key[0..2]>/<key>.json. Entries are written to a temporary file and
 * renamed into place, so a crash never leaves a half entry readable; an unreadable entry (written
 * by hand, disk trouble) reads as a miss, never as an error.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { canonicalJson } from './canonical-json.ts';
import { writeFileAtomic } from './atomic-write.ts';

export interface ContentCacheOptions {
  /** Default: .kforge-cache in the current working directory. */
  dir?: string;
  /** Where an invalid entry is reported (once per file). Default: stderr. */
  log?: (line: string) => void;
}

interface Envelope<T> {
  v: 1;
  namespace: string;
  key: string;
  storedAt: string;
  value: T;
}

const NAMESPACE = /^[a-z0-9][a-z0-9_-]*$/;
const KEY = /^[0-9a-f]{64}$/;

export class ContentCache {
  readonly dir: string;
  private readonly log: (line: string) => void;
  private readonly reported = new Set<string>();

  constructor(options: ContentCacheOptions = {}) {
    this.dir = path.resolve(options.dir ?? '.kforge-cache');
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /**
   * The stored value if it matches `schema`; an entry that does not (edited by hand, written by an
   * older version, damaged) is a miss, so the answer is computed again and the entry rewritten, and it
   * is reported once with its path. A value is never trusted just because it is on disk.
   */
  async getValid<T>(namespace: string, key: string, schema: z.ZodType<T>): Promise<T | undefined> {
    const raw = await this.get<unknown>(namespace, key);
    if (raw === undefined) return undefined;
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    const file = this.pathOf(namespace, key);
    if (!this.reported.has(file)) {
      this.reported.add(file);
      const issue = parsed.error.issues[0];
      this.log(`kforge: ignoring an invalid cache entry ${file} (${issue ? `${issue.path.join('.') || 'value'}: ${issue.message}` : 'does not match'}); recomputing it`);
    }
    return undefined;
  }

  /** sha256 (hex) of the canonical JSON of `parts`. */
  key(parts: unknown): string {
    return createHash('sha256').update(canonicalJson(parts)).digest('hex');
  }

  /** The stored value, or undefined on a miss (or an unreadable entry). */
  async get<T>(namespace: string, key: string): Promise<T | undefined> {
    let text: string;
    try {
      text = await fsp.readFile(this.pathOf(namespace, key), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const envelope = JSON.parse(text) as Envelope<T>;
      if (envelope?.v !== 1 || envelope.key !== key || envelope.namespace !== namespace) return undefined;
      return envelope.value;
    } catch {
      return undefined;
    }
  }

  async put(namespace: string, key: string, value: unknown): Promise<void> {
    const envelope: Envelope<unknown> = { v: 1, namespace, key, storedAt: new Date().toISOString(), value };
    await writeFileAtomic(this.pathOf(namespace, key), JSON.stringify(envelope));
  }

  async has(namespace: string, key: string): Promise<boolean> {
    return (await this.get(namespace, key)) !== undefined;
  }

  pathOf(namespace: string, key: string): string {
    if (!NAMESPACE.test(namespace)) throw new TypeError(`cache namespace ${JSON.stringify(namespace)}: lower-case letters, digits, '_' and '-' only`);
    if (!KEY.test(key)) throw new TypeError(`cache key ${JSON.stringify(key)} is not a sha256 hex digest (use ContentCache.key())`);
    return path.join(this.dir, namespace, key.slice(0, 2), `${key}.json`);
  }
}
