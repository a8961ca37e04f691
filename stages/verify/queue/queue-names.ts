/**
 * Names in Redis. One queue per backend and GPU kind, so an H100's timing never answers a job meant
 * for an H200 and a cpu worker never takes a cuda job. BullMQ forbids ':' in queue names.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../core/cache/canonical-json.ts';
import type { Backend, VerifyJob } from '../protocol.ts';
import { verifyCacheKey } from '../verify-cache.ts';
import type { Expectation } from './queue-messages.ts';

export interface QueueAddress {
  /** redis:// URL */
  url: string;
  /** verify.queue.name */
  name: string;
  backend: Backend;
  /** GPU kind; '' for any */
  device: string;
}

/** The queue of the device step (with builds off the GPU) or of whole jobs: `<name>-<backend>[-<device>]`. */
export function queueName(a: Pick<QueueAddress, 'name' | 'backend' | 'device'>): string {
  return [a.name, a.backend, a.device].filter(Boolean).join('-');
}

/**
 * The queue of extension builds for that device queue: `<name>-build-<backend>[-<device>]`. Per device
 * kind too, since a CUDA build targets the kind's architecture; any host with the toolchain serves it.
 */
export function buildQueueName(a: Pick<QueueAddress, 'name' | 'backend' | 'device'>): string {
  return [a.name, 'build', a.backend, a.device].filter(Boolean).join('-');
}

/** Prefix of the fleet registry keys of one queue (beside BullMQ's own `bull:<queue>:*`). */
export function fleetPrefix(queue: string): string {
  return `kforge:fleet:${queue}`;
}

/**
 * The BullMQ job id: the verification cache key, hashed as the content cache hashes it. The same kernel, problem and settings for the
 * same harness version and environment is one job across runs and hosts; adding it again is a no-op.
 */
export function queueJobId(job: VerifyJob, expect: Expectation): string {
  const key = verifyCacheKey(job, { verifierVersion: expect.harness_version, environment: expect.environment });
  return `v-${createHash('sha256').update(canonicalJson(key)).digest('hex')}`;
}
