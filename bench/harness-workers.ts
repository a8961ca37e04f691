/**
 * `npx tsx bench/harness-workers.ts [--count 24] [--workers 2]`: what a harness worker costs to start.
 * The same plain-PyTorch candidates (nothing to compile, so the figure is the worker's own cost) through
 * `verify.py --jobs`, once with workers forked from the driver's fork server (the default on the cpu
 * backend) and once spawned as fresh interpreters (KFORGE_FORK_SERVER=0); each candidate distinct, so
 * no cache answers. Prints the run's wall time and the median per-job wall_s of each, and the load
 * average (`uptime`) before each run; writes bench/results/harness-workers.json.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { HARNESS_SCRIPT } from '../stages/verify/local-verifier.ts';
import { verifyResultSchema } from '../stages/verify/protocol.ts';
import { findPython } from '../stages/verify/python.ts';
import { reluJob } from '../test/harness/jobs.ts';
import { fastRelu } from '../test/support/python-kernels.ts';

const args = await yargs(hideBin(process.argv))
  .option('count', { type: 'number', default: 24 })
  .option('workers', { type: 'number', default: 2 })
  .parseAsync();

const python = await findPython();
const work = mkdtempSync(path.join(os.tmpdir(), 'kforge-bench-workers-'));
const jobsFile = path.join(work, 'jobs.jsonl');
const jobs = Array.from({ length: args.count }, (_, i) =>
  reluJob('relu_ok', { candidate_id: `fast-${i}`, kernel_source: fastRelu(`bench ${i}`), trials: 1, timing: { warmup: 1, repeats: 3 } }));
writeFileSync(jobsFile, jobs.map((j) => JSON.stringify(j)).join('\n') + '\n');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function run(mode: 'forked' | 'spawned') {
  const load = (await execa('uptime')).stdout.trim();
  const out = path.join(work, `${mode}.jsonl`);
  const started = Date.now();
  const r = await execa(python, [HARNESS_SCRIPT, '--jobs', jobsFile, '--out', out, '--workers', String(args.workers),
    '--build-root', path.join(work, 'builds'), '--scratch-root', path.join(work, 'harness-tmp')],
  { reject: false, env: mode === 'spawned' ? { KFORGE_FORK_SERVER: '0' } : {} });
  const wallS = (Date.now() - started) / 1000;
  if (r.exitCode !== 0) throw new Error(`verify.py exited ${String(r.exitCode)}: ${r.stderr}`);
  const results = (await readFile(out, 'utf8')).trim().split('\n').map((l) => verifyResultSchema.parse(JSON.parse(l)));
  const correct = results.filter((x) => x.correct).length;
  return { mode, jobs: results.length, correct, run_wall_s: wallS, median_job_wall_s: median(results.map((x) => x.wall_s ?? NaN)), load_before: load };
}

const figures = [await run('forked'), await run('spawned')];
const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
await mkdir(dir, { recursive: true });
await writeFile(path.join(dir, 'harness-workers.json'), JSON.stringify({ count: args.count, workers: args.workers, cpus: os.cpus().length, figures }, null, 1) + '\n');
console.log('| workers | jobs | correct | run wall (s) | median job wall_s | load before |');
console.log('|---|---|---|---|---|---|');
for (const f of figures) {
  console.log(`| ${f.mode} | ${f.jobs} | ${f.correct} | ${f.run_wall_s.toFixed(1)} | ${f.median_job_wall_s.toFixed(2)} | ${f.load_before.replace(/.*load average: /, '')} |`);
}
