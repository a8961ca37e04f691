/**
 * The verification cache: a verdict is reused for the same kernel, problem and settings, except a
 * timeout, which depends on the limit and the host's load and is tried again.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContentCache } from '../../stages/core/cache/content-cache.ts';
import { cachedVerify } from '../../stages/verify/verify-cache.ts';
import type { VerifyJob, VerifyResult } from '../../stages/verify/protocol.ts';
import { reluJob } from '../harness/jobs.ts';

function verdict(job: VerifyJob, stage: VerifyResult['fail_stage']): VerifyResult {
  return { candidate_id: job.candidate_id, fail_stage: stage, correct: stage === null } as unknown as VerifyResult;
}

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
});
