/**
 * The verification cache: a verdict is reused for the same kernel, problem and settings, except a
 * timeout, which depends on the limit and the host's load and is tried again.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContentCache } from '../../stages/core/cache/content-cache.ts';
import { cachedVerify } from '../../stages/verify/verify-cache.ts';
import type { VerifyResult } from '../../stages/verify/protocol.ts';
import { reluJob } from '../harness/jobs.ts';
import { verdict } from '../support/verify-result.ts';

describe('verification cache', () => {
  it('reuses a verdict but asks again after a timeout', async () => {
    const cache = new ContentCache({ dir: mkdtempSync(path.join(os.tmpdir(), 'kforge-vcache-')) });
    const calls: string[] = [];
    const stages: Record<string, VerifyResult['fail_stage']> = { relu_ok: null, hang: 'timeout' };
    const verify = cachedVerify(async (job) => {
      calls.push(job.candidate_id);
      return verdict(job, stages[job.candidate_id]!);
    }, { cache, verifierVersion: 'test', environment: { device: 'cpu' } });
    for (let i = 0; i < 2; i++) {
      expect((await verify(reluJob('relu_ok'))).fail_stage).toBeNull();
      expect((await verify(reluJob('hang'))).fail_stage).toBe('timeout');
    }
    expect(calls).toEqual(['relu_ok', 'hang', 'hang']);
  });

  it('an entry that does not match the result schema is a miss: recomputed, rewritten, reported once with its path', async () => {
    const lines: string[] = [];
    const cache = new ContentCache({ dir: mkdtempSync(path.join(os.tmpdir(), 'kforge-vcache-bad-')), log: (l) => lines.push(l) });
    const calls: string[] = [];
    const verify = cachedVerify(async (job) => (calls.push(job.candidate_id), verdict(job, null)), { cache, verifierVersion: 'test', environment: { device: 'cpu' } });
    await verify(reluJob('relu_ok'));
    const [entry] = readdirSync(path.join(cache.dir, 'verify'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    const file = path.join(entry!.parentPath, entry!.name);
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { value: Record<string, unknown> };
    stored.value.speedup = 'fast'; // what once became a NaN in the record and crashed the summary
    writeFileSync(file, JSON.stringify(stored));
    for (let i = 0; i < 2; i++) expect((await verify(reluJob('relu_ok'))).speedup).toBe(2);
    expect(calls).toEqual(['relu_ok', 'relu_ok']); // recomputed once; the rewritten entry then serves
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(file);
    expect(lines[0]).toContain('speedup');
  });
});
