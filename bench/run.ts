/**
 * `npm run bench [-- --records N]`: generate N synthetic records (~8 KB of kernel code each) as
 * part files, then time `filter --min-speedup 1.5` followed by `export --format chat` and the same
 * query in DuckDB, each phase in its own process (wall time and peak RSS). Data lives under
 * /tmp/kforge-bench and is deleted afterwards unless --keep.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, readdir, rm, writeFile, stat } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { RECORD_SCHEMA_VERSION } from '../datasets/schema.ts';
import { runLayout } from '../stages/core/run-layout.ts';

// `npm run bench -- --serve`: the kforge serve benchmark instead (bench/serve.ts, docs/serve.md).
if (process.argv.includes('--serve')) {
  process.argv.splice(process.argv.indexOf('--serve'), 1);
  await import('./serve.ts');
  process.exit(0);
}
const args = await yargs(hideBin(process.argv))
  .option('records', { type: 'number', default: 1_000_000 })
  .option('per-file', { type: 'number', default: 10_000 })
  .option('dir', { type: 'string', default: '/tmp/kforge-bench' })
  .option('keep', { type: 'boolean', default: false, describe: 'keep the generated data (and reuse it next time)' })
  .option('phases', { type: 'string', default: 'ours-filter,ours-export,duckdb-filter,duckdb-export,duckdb-export-dedup' })
  .parseAsync();

const here = dirname(fileURLToPath(import.meta.url));
const tsx = join(here, '..', 'node_modules', '.bin', 'tsx');
// The schema version in the name: data kept from before a column was added (e.g. kernel_dedup_key) is not reused.
const dataDir = join(args.dir, `data-${args.records}-schema${RECORD_SCHEMA_VERSION}`);
const { recordsDir } = runLayout(dataDir);
const outDir = join(args.dir, 'out');
const files = Math.ceil(args.records / args.perFile);

function child(script: string, argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(tsx, [join(here, script), ...argv], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${script} ${argv.join(' ')} exited ${code}`))));
  });
}

const existing = await readdir(recordsDir).catch(() => []);
if (existing.filter((f) => f.endsWith('.parquet')).length !== files) {
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(recordsDir, { recursive: true });
  const t0 = performance.now();
  const half = Math.ceil(files / 2); // two cores: two writers
  await Promise.all([child('generate.ts', [dataDir, '0', String(half), String(args.perFile), String(args.records)]), child('generate.ts', [dataDir, String(half), String(files), String(args.perFile), String(args.records)])]);
  process.stderr.write(`generated ${args.records} records in ${files} files in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}
const bytes = (await Promise.all((await readdir(recordsDir)).map(async (f) => (await stat(join(recordsDir, f))).size))).reduce((a, b) => a + b, 0);

await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });
const results: Record<string, unknown>[] = [];
for (const phase of args.phases.split(',')) {
  execFileSync('sync');
  const line = (await child('phase.ts', [phase, dataDir, outDir])).trim().split('\n').at(-1)!;
  const r = JSON.parse(line) as { phase: string; seconds: number; cpu_seconds: number; max_rss_mb: number };
  results.push(r);
  process.stderr.write(`${r.phase}: ${r.seconds.toFixed(1)} s (CPU ${r.cpu_seconds.toFixed(1)} s), peak RSS ${r.max_rss_mb} MB\n`);
}
const summary = { records: args.records, files, parquet_bytes: bytes, cpus: (await import('node:os')).cpus().length, node: process.version, results, at: new Date().toISOString() };
await mkdir(join(here, 'results'), { recursive: true });
await writeFile(join(here, 'results', `bench-${args.records}.json`), JSON.stringify(summary, null, 2) + '\n');
process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
await rm(outDir, { recursive: true, force: true });
if (!args.keep) await rm(dataDir, { recursive: true, force: true });
