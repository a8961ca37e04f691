/**
 * `kforge fleet verify`: a JSONL of VerifyJobs (verify.py --jobs's format) through the queue, results
 * to a JSONL as they come (verify.py's result format), for runs without the pipeline around them
 * (the GPU-host script). Resumable: candidates already in the output are skipped, so the same command
 * after a deadline goes on where it stopped. A line that is not a job is reported and skipped.
 */
import { appendFile, readFile } from 'node:fs/promises';
import type { VerifyJob } from '../protocol.ts';
import type { QueueVerifier } from './queue-verifier.ts';
import { verifyJobSchema } from './queue-messages.ts';

export interface JobsFileReport {
  total: number;
  skipped: number;
  verified: number;
  bad_lines: number;
  failed: number;
}

async function readLines(file: string): Promise<string[]> {
  try {
    return (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim());
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export async function verifyJobsFile(verifier: QueueVerifier, jobsFile: string, outFile: string, log: (line: string) => void): Promise<JobsFileReport> {
  const done = new Set<string>();
  for (const l of await readLines(outFile)) {
    try {
      const id = (JSON.parse(l) as { candidate_id?: unknown }).candidate_id;
      if (typeof id === 'string') done.add(id);
    } catch {
      // a torn last line of an interrupted run: that candidate is verified again
    }
  }
  const jobs: VerifyJob[] = [];
  let bad = 0;
  for (const [i, l] of (await readLines(jobsFile)).entries()) {
    let parsed;
    try {
      parsed = verifyJobSchema.safeParse(JSON.parse(l));
    } catch (error) {
      parsed = { success: false as const, error: new Error(`not JSON: ${(error as Error).message}`) };
    }
    if (parsed.success) jobs.push(parsed.data);
    else {
      bad++;
      log(`kforge fleet verify: ${jobsFile} line ${i + 1} is not a VerifyJob, skipped: ${parsed.error.message.slice(0, 300)}`);
    }
  }
  const todo = jobs.filter((j) => !done.has(j.candidate_id));
  const report: JobsFileReport = { total: jobs.length, skipped: jobs.length - todo.length, verified: 0, bad_lines: bad, failed: 0 };
  log(`kforge fleet verify: ${todo.length} job(s) to verify, ${report.skipped} already in ${outFile}`);
  let last = 0;
  // All at once: the queue holds them, the workers set the pace.
  await Promise.all(
    todo.map(async (job) => {
      try {
        const result = await verifier.verify(job);
        await appendFile(outFile, `${JSON.stringify(result)}\n`);
        report.verified++;
      } catch (error) {
        report.failed++;
        log(`kforge fleet verify: ${job.candidate_id}: ${(error as Error).message}`);
      }
      if (Date.now() - last > 5000 || report.verified + report.failed === todo.length) {
        last = Date.now();
        log(`kforge fleet verify: ${report.verified + report.failed}/${todo.length} done  | ${await verifier.fleetLine(job.backend).catch(() => 'queue ?')}`);
      }
    }),
  );
  return report;
}
