/**
 * `npm run bench -- --serve` (or `npx tsx bench/serve.ts`): what `kforge serve` costs.
 * 1. The verification itself: K distinct pure-Python candidates for 19_ReLU (fixture problems)
 *    verified one after another straight through the local verifier (no HTTP, no cache).
 * 2. Uncached through the server: K other distinct candidates, one request at a time; the overhead per
 *    request is the median request time minus the median direct verification time.
 * 3. Cached: N requests (C at once) of a kernel the cache holds, each with its own sample index, so each
 *    is a new record answered from the verification cache: verdicts per second.
 * Results: bench/results/serve.json; figures in docs/serve.md.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir, cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { loadProblems } from '../kernelbench/sources/index.ts';
import { LocalVerifier } from '../stages/verify/local-verifier.ts';
import { findPython } from '../stages/verify/python.ts';
import { makeVerifyJob } from '../stages/verify/verify-job.ts';
import { runConfigSchema } from '../pipeline/config/schema.ts';

const args = await yargs(hideBin(process.argv))
  .option('uncached', { type: 'number', default: 5, describe: 'distinct candidates per uncached phase (K)' })
  .option('cached', { type: 'number', default: 1000, describe: 'cached requests (N)' })
  .option('concurrency', { type: 'number', default: 8, describe: 'cached requests at once (C)' })
  .parseAsync();

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const problemsFile = path.join(root, 'test/fixtures/kernelbench/problems.jsonl');
const work = await mkdtemp(path.join(tmpdir(), 'kforge-bench-serve-'));
const kernel = (tag: string) =>
  `import torch\nimport torch.nn as nn\n\nclass ModelNew(nn.Module):\n    def __init__(self):\n        super().__init__()  # ${tag}\n\n    def forward(self, x):\n        return x.clamp_min(0.0)\n`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const config = runConfigSchema.parse({ verify: { repeats: 5 }, cache: { dir: path.join(work, 'cache') } });
const [relu] = (await loadProblems({ jsonl: problemsFile }, { name: '^19_ReLU$' }));

// 1. Direct.
const verifier = new LocalVerifier({ python: await findPython(undefined), workers: 1, buildRoot: path.join(work, 'builds'), scratchRoot: path.join(work, 'direct-scratch') });
await verifier.environment('cpu');
const direct: number[] = [];
for (let i = 0; i < args.uncached; i++) {
  const t0 = performance.now();
  await verifier.verify(makeVerifyJob(config.verify, relu!, `direct-${i}`, kernel(`direct-${i}`)));
  direct.push(performance.now() - t0);
}
await verifier.close();

// 2 and 3: through the server.
const server = execa(process.execPath, [path.join(root, 'bin/kforge.js'), 'serve', '--port', '0', '--source', problemsFile, '--out', path.join(work, 'runs'), '--run-id', 'bench', '--workers', '1', '--set', `cache.dir=${path.join(work, 'cache')}`, '--set', 'verify.repeats=5', '--max-queued', '100000'], { reject: false });
let stderr = '';
const url = await new Promise<string>((resolve, reject) => {
  server.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
    const m = /listening on (http:\/\/\S+)/.exec(stderr);
    if (m) resolve(m[1]!);
  });
  void server.then(() => reject(new Error(stderr)));
});
const post = async (body: object) => {
  const res = await fetch(`${url}/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`${res.status}: ${await res.text()}`);
  return (await res.json()) as { cached: boolean };
};
const served: number[] = [];
for (let i = 0; i < args.uncached; i++) {
  const t0 = performance.now();
  const v = await post({ problem: 'L1/19', kernel: kernel(`served-${i}`) });
  served.push(performance.now() - t0);
  if (v.cached) throw new Error('an uncached request was answered from the cache');
}
let next = 0;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: args.concurrency }, async () => {
    while (next < args.cached) {
      const sample = next++;
      const v = await post({ problem: 'L1/19', kernel: kernel('served-0'), sample: sample + 1 });
      if (!v.cached) throw new Error('a cached request was verified again');
    }
  }),
);
const cachedSeconds = (performance.now() - t0) / 1000;
server.kill('SIGTERM');
await server;

const result = {
  at: new Date().toISOString(),
  cpus: cpus().length,
  node: process.version,
  uncached: { candidates: args.uncached, direct_verification_ms: direct.map(Math.round), served_request_ms: served.map(Math.round), median_direct_ms: Math.round(median(direct)), median_served_ms: Math.round(median(served)), overhead_ms: Math.round(median(served) - median(direct)) },
  cached: { requests: args.cached, concurrency: args.concurrency, seconds: Number(cachedSeconds.toFixed(2)), verdicts_per_second: Number((args.cached / cachedSeconds).toFixed(1)) },
};
await mkdir(path.join(root, 'bench/results'), { recursive: true });
await writeFile(path.join(root, 'bench/results/serve.json'), JSON.stringify(result, null, 2) + '\n');
process.stdout.write(JSON.stringify(result, null, 2) + '\n');
await rm(work, { recursive: true, force: true });
