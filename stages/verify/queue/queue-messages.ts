/**
 * What crosses Redis, validated with zod on both ends: a job as the build enqueues it, the value a
 * worker returns, and a worker's registration. Redis is shared by many hosts and outlives every
 * process, so nothing read from it is trusted without a parse.
 */
import { z } from 'zod';
import { BACKENDS, PHASES, PRECISIONS, TOLERANCE_POLICIES, environmentSchema, verifyResultSchema, type VerifyJob } from '../protocol.ts';

/** protocol.ts declares VerifyJob as a type only (the harness validates it); the queue needs a schema. */
export const verifyJobSchema: z.ZodType<VerifyJob> = z.strictObject({
  candidate_id: z.string(),
  problem: z.strictObject({ name: z.string(), code: z.string(), key: z.string() }),
  kernel_source: z.string(),
  backend: z.enum(BACKENDS),
  precision: z.enum(PRECISIONS),
  tolerance_policy: z.enum(TOLERANCE_POLICIES),
  trials: z.number().int().positive(),
  timing: z.strictObject({ warmup: z.number().int().min(0), repeats: z.number().int().positive() }),
  timeout_s: z.number().positive(),
  seed: z.number().int(),
  compile_reference: z.boolean(),
  /** Which part the harness runs (PROTOCOL.md `phase`): the worker sets it from the queue it serves. */
  phase: z.enum(PHASES).optional(),
});

/** What a verdict depends on besides the job: the worker must match it or refuse the job. */
export const expectationSchema = z.strictObject({
  harness_version: z.string(),
  environment: environmentSchema,
});
export type Expectation = z.infer<typeof expectationSchema>;

/** Roles of a fleet worker: build workers need cores and the toolchain; gpu workers run the device step. */
export const WORKER_ROLES = ['build', 'gpu'] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];

export const queueJobDataSchema = z.strictObject({ job: verifyJobSchema, expect: expectationSchema });
export type QueueJobData = z.infer<typeof queueJobDataSchema>;

/** Where a verdict was measured: reported by the worker with every result. */
export const workerInfoSchema = z.strictObject({
  worker_id: z.string(),
  host: z.string(),
  pid: z.number().int(),
  /** The CUDA_VISIBLE_DEVICES the worker's harness runs with; null on the cpu backend. */
  gpu: z.string().nullable(),
  role: z.enum(WORKER_ROLES),
  harness_version: z.string(),
  environment: environmentSchema,
});
export type WorkerInfo = z.infer<typeof workerInfoSchema>;

export const queueReturnSchema = z.strictObject({ result: verifyResultSchema, worker: workerInfoSchema });
export type QueueReturn = z.infer<typeof queueReturnSchema>;

/**
 * What a build job returns: `final` when the build settled the verdict (it failed: `result` is the
 * verdict), else `result` is the build evidence and the verdict comes from the device queue's job
 * `handed_to` (the same id, on `queue`).
 */
export const buildReturnSchema = z.strictObject({
  result: verifyResultSchema,
  worker: workerInfoSchema,
  final: z.boolean(),
  handed_to: z.strictObject({ queue: z.string(), id: z.string() }).nullable(),
});
export type BuildReturn = z.infer<typeof buildReturnSchema>;

/** A live worker's entry in the fleet registry (refreshed while it runs, expires when it dies). */
export const workerRecordSchema = workerInfoSchema.extend({
  queue: z.string(),
  concurrency: z.number().int().positive(),
  started_at: z.string(),
});
export type WorkerRecord = z.infer<typeof workerRecordSchema>;
