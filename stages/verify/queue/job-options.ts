/**
 * How a verification job is put on a queue, by the build (either queue) and by a build worker handing
 * a job on to the device queue: one set of options, and an earlier failure of the same id tried again.
 */
import type { Queue } from 'bullmq';
import type { QueueJobData } from './queue-messages.ts';

/** Finished jobs are kept this long: their results answer the same candidate from another run or host. */
export const KEEP_S = 7 * 24 * 3600;

/** Adds the job under `id` (a no-op when the id exists); one the fleet gave up on earlier is retried.
 * `priority`: BullMQ's (1 first; build-order.ts), none for first-come. */
export async function addVerifyJob(queue: Queue, id: string, data: QueueJobData, attempts: number, priority?: number): Promise<void> {
  await queue.add('verify', data, {
    jobId: id, attempts, backoff: { type: 'exponential', delay: 2000 },
    ...(priority === undefined ? {} : { priority }),
    removeOnComplete: { age: KEEP_S }, removeOnFail: { age: KEEP_S },
  });
  // An earlier run's job that failed (attempts spent, refused) is tried again, not answered with its old failure.
  if ((await queue.getJobState(id)) === 'failed') await (await queue.getJob(id))?.retry('failed');
}
