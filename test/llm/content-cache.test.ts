import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContentCache } from '../../stages/core/cache/content-cache.ts';
import { tempDir } from './helpers.ts';

describe('ContentCache', () => {
  it('keys on content: key order does not matter, values do', () => {
    const cache = new ContentCache({ dir: tempDir('cache') });
    expect(cache.key({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(cache.key({ b: { d: 'x', c: [1, 2] }, a: 1 }));
    expect(cache.key({ a: 1, b: undefined })).toBe(cache.key({ a: 1 }));
    expect(cache.key({ a: 1 })).not.toBe(cache.key({ a: 2 }));
    expect(cache.key([1, 2])).not.toBe(cache.key([2, 1]));
    expect(cache.key({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });

  it('round-trips values across instances and reads a miss as undefined', async () => {
    const dir = tempDir('cache');
    const a = new ContentCache({ dir });
    const key = a.key({ kernel: 'src', gpu: 'H100' });
    expect(await a.get('verify', key)).toBeUndefined();
    await a.put('verify', key, { verdict: 'correct', speedup: 1.5 });
    const b = new ContentCache({ dir });
    expect(await b.get('verify', key)).toEqual({ verdict: 'correct', speedup: 1.5 });
    expect(await b.get('llm', key)).toBeUndefined(); // namespaces are separate
    // nothing but the entry is left in its folder (the temporary file was renamed)
    expect(fs.readdirSync(path.dirname(a.pathOf('verify', key)))).toEqual([`${key}.json`]);
  });

  it('reads a half-written or foreign entry as a miss, not an error', async () => {
    const cache = new ContentCache({ dir: tempDir('cache') });
    const key = cache.key('x');
    const file = cache.pathOf('llm', key);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"v":1,"namespace":"llm","key":"');
    expect(await cache.get('llm', key)).toBeUndefined();
    fs.writeFileSync(file, JSON.stringify({ v: 1, namespace: 'llm', key: cache.key('other'), value: 1 }));
    expect(await cache.get('llm', key)).toBeUndefined();
  });

  it('refuses keys that are not digests and odd namespaces', async () => {
    const cache = new ContentCache({ dir: tempDir('cache') });
    await expect(cache.put('llm', '../escape', 1)).rejects.toThrow(/sha256/);
    await expect(cache.put('../x', cache.key(1), 1)).rejects.toThrow(/namespace/);
  });

  it('defaults to .kforge-cache in the working directory', () => {
    expect(new ContentCache().dir).toBe(path.resolve('.kforge-cache'));
  });
});
