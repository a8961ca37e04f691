/**
 * Issue 13: build workers take a batch's longest builds first (stages/verify/queue/build-order.ts). The
 * estimate is checked on sources like the real ones; the order on a real Redis, as BullMQ hands jobs to a
 * worker (its priorities run the other way from most libraries': 1 first).
 */
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPriority, estimatedBuildCost } from '../../stages/verify/queue/build-order.ts';
import { addVerifyJob } from '../../stages/verify/queue/job-options.ts';
import { queueConnection } from '../../stages/verify/queue/redis-connection.ts';
import type { QueueJobData } from '../../stages/verify/queue/queue-messages.ts';
import { reluJob } from '../harness/jobs.ts';
import { REDIS_MISSING, TestRedis } from '../support/redis-server.ts';

const CPP = 'from torch.utils.cpp_extension import load_inline\nm = load_inline(name="m", cpp_sources=SRC, functions=["f"])\n';
const CUDA3 = ['a', 'b', 'c'].map((n) => `${n} = load_inline(name="${n}", cpp_sources=H, cuda_sources=K, functions=["f"])`).join('\n');
const PLAIN = 'import torch\nclass ModelNew(torch.nn.Module):\n    def forward(self, x):\n        return torch.relu(x)\n';

function job(id: string, source: string, backend: 'cpu' | 'cuda' = 'cuda') {
  return reluJob('relu_ok', { candidate_id: id, kernel_source: source, backend });
}

describe('the build order', () => {
  it('estimates from the source: CUDA extensions cost more than C++ ones, several more than one, none nothing', () => {
    expect(estimatedBuildCost(job('plain', PLAIN))).toBe(0);
    expect(estimatedBuildCost(job('cpp', CPP))).toBe(1);
    expect(estimatedBuildCost(job('cuda3', CUDA3))).toBe(9);
    expect(estimatedBuildCost(job('cuda3-on-cpu', CUDA3, 'cpu'))).toBe(3); // a cpu build compiles no device code
    const order = ['plain', 'cpp', 'cuda3'].map((id) => buildPriority(job(id, { plain: PLAIN, cpp: CPP, cuda3: CUDA3 }[id]!)));
    expect(order[0]).toBeGreaterThan(order[1]!);
    expect(order[1]).toBeGreaterThan(order[2]!);
    expect(Math.min(...order)).toBeGreaterThanOrEqual(1);
  });
});

describe.skipIf(REDIS_MISSING !== null)('the build order on a real queue', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await TestRedis.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('a worker takes the costliest build first, whatever order the jobs came in', async () => {
    const connection = queueConnection(redis.url);
    const queue = new Queue('kforge-verify-build-order', { connection });
    const taken: string[] = [];
    try {
      const jobs = [job('plain', PLAIN), job('cpp', CPP), job('cuda3', CUDA3), job('plain-2', PLAIN)];
      for (const j of jobs) {
        const data = { job: j, expect: { harness_version: 'test', environment: {} } } as unknown as QueueJobData;
        await addVerifyJob(queue, j.candidate_id, data, 1, buildPriority(j));
      }
      const worker = new Worker('kforge-verify-build-order', async (j) => {
        taken.push((j.data as QueueJobData).job.candidate_id);
      }, { connection: queueConnection(redis.url), concurrency: 1 });
      for (let i = 0; taken.length < jobs.length && i < 200; i++) await new Promise((r) => setTimeout(r, 50));
      await worker.close();
      expect(taken).toEqual(['cuda3', 'cpp', 'plain', 'plain-2']); // equal priorities: first come
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });
});
