/**
 * One timed phase of the benchmark, in its own process so its peak RSS is its own.
 * Prints one JSON line: { phase, seconds, max_rss_mb, detail }.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { join } from 'node:path';
import { runExport } from '../datasets/export.ts';
import { runFilter } from '../datasets/filter-run.ts';
import { listPartFiles } from '../datasets/part-files.ts';
import { DEFAULT_SYSTEM_PROMPT } from '../datasets/chat-format.ts';
import { runLayout } from '../stages/core/run-layout.ts';

const [phase, dataDir, outDir] = process.argv.slice(2) as [string, string, string];
const sq = (s: string): string => `'${s.replace(/'/g, "''")}'`;

async function duck(sql: string[]): Promise<unknown> {
  const db = await DuckDBInstance.create(':memory:', { threads: '2' });
  const conn = await db.connect();
  const out: unknown[] = [];
  for (const s of sql) out.push((await conn.runAndReadAll(s)).getRowObjectsJS());
  conn.closeSync();
  db.closeSync();
  return out.at(-1);
}

const t0 = performance.now();
let detail: unknown;
switch (phase) {
  case 'ours-filter':
    detail = await runFilter(await listPartFiles(dataDir), { minSpeedup: 1.5 }, join(outDir, 'ours-filtered.parquet'));
    break;
  case 'ours-export':
    detail = await runExport({ format: 'chat', inputs: [join(outDir, 'ours-filtered.parquet')], paths: [join(outDir, 'ours-filtered.parquet')], outDir: join(outDir, 'ours-chat'), filter: { correct: true }, select: 'all', split: { validationFraction: 0.1 } });
    break;
  case 'duckdb-filter':
    detail = await duck([
      `COPY (SELECT * FROM read_parquet(${sq(join(runLayout(dataDir).recordsDir, '*.parquet'))}) WHERE speedup >= 1.5 AND NOT suspect AND weak_problem IS DISTINCT FROM true)
       TO ${sq(join(outDir, 'duckdb-filtered.parquet'))} (FORMAT parquet, COMPRESSION zstd)`,
    ]);
    break;
  case 'duckdb-export':
    detail = await duck([
      `COPY (SELECT [{'role': 'system', 'content': ${sq(DEFAULT_SYSTEM_PROMPT)}},
                     {'role': 'user', 'content': 'Optimise this PyTorch reference (KernelBench level ' || level || ', ' || problem_name || ').' || chr(10) || chr(10) || '\`\`\`python' || chr(10) || problem_code || chr(10) || '\`\`\`'},
                     {'role': 'assistant', 'content': '\`\`\`python' || chr(10) || kernel_source || chr(10) || '\`\`\`'}] AS messages
             FROM read_parquet(${sq(join(outDir, 'duckdb-filtered.parquet'))}) WHERE correct)
       TO ${sq(join(outDir, 'duckdb-chat.jsonl'))} (FORMAT json)`,
    ]);
    break;
  default:
    throw new Error(`unknown phase ${phase}`);
}
const seconds = (performance.now() - t0) / 1000;
const maxRssMb = process.resourceUsage().maxRSS / 1024;
process.stdout.write(JSON.stringify({ phase, seconds, max_rss_mb: Math.round(maxRssMb), detail }, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)) + '\n');
