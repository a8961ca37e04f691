/**
 * One timed phase of the benchmark, in its own process so its peak RSS is its own.
 * Prints one JSON line: { phase, seconds, cpu_seconds, max_rss_mb, detail }.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { join } from 'node:path';
import { runExport } from '../datasets/export.ts';
import { runFilter } from '../datasets/filter-run.ts';
import { listPartFiles } from '../datasets/part-files.ts';
import { DEFAULT_SYSTEM_PROMPT } from '../datasets/chat-format.ts';
import { runLayout } from '../stages/core/run-layout.ts';
import { finishSql, pass1Sql } from './dedup-sql.ts';

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

const FILTERED = `read_parquet(${sq(join(outDir, 'duckdb-filtered.parquet'))})`;
const FILTERED_ROWS = `read_parquet(${sq(join(outDir, 'duckdb-filtered.parquet'))}, file_row_number = true)`;
const MESSAGES = `[{'role': 'system', 'content': ${sq(DEFAULT_SYSTEM_PROMPT)}},
  {'role': 'user', 'content': 'Optimise this PyTorch reference (KernelBench level ' || level || ', ' || problem_name || ').' || chr(10) || chr(10) || '\`\`\`python' || chr(10) || problem_code || chr(10) || '\`\`\`'},
  {'role': 'assistant', 'content': '\`\`\`python' || chr(10) || kernel_source || chr(10) || '\`\`\`'}]`;

const t0 = performance.now();
const cpu0 = process.cpuUsage();
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
    detail = await duck([`COPY (SELECT ${MESSAGES} AS messages FROM ${FILTERED} WHERE correct) TO ${sq(join(outDir, 'duckdb-chat.jsonl'))} (FORMAT json)`]);
    break;
  case 'duckdb-export-dedup': {
    // DuckDB alone for what ours-export writes: the same dedup (bench/dedup-sql.ts) and split (the
    // first 4 bytes of sha256(seed NUL problem key) against the fraction), then the same messages.
    const key = `md5(${finishSql('p')})`;
    const validation = `('0x' || substr(sha256(chr(0) || problem_key), 1, 8))::UBIGINT / 4294967296.0 < 0.1`;
    const kept = `SELECT file_row_number AS r, ${validation} AS v FROM (SELECT file_row_number, problem_key, ${pass1Sql('kernel_source')} AS p FROM ${FILTERED_ROWS} WHERE correct)
      QUALIFY row_number() OVER (PARTITION BY ${key} ORDER BY file_row_number) = 1`;
    const part = (v: boolean, name: string): string => `COPY (SELECT ${MESSAGES} AS messages FROM ${FILTERED_ROWS} SEMI JOIN (SELECT r FROM kept WHERE v = ${v}) k ON file_row_number = k.r ORDER BY file_row_number) TO ${sq(join(outDir, name))} (FORMAT json)`;
    detail = await duck([`CREATE TEMP TABLE kept AS ${kept}`, part(false, 'duckdb-dedup-train.jsonl'), part(true, 'duckdb-dedup-validation.jsonl'), 'SELECT v, count(*) AS n FROM kept GROUP BY v ORDER BY v']);
    break;
  }
  default:
    throw new Error(`unknown phase ${phase}`);
}
const seconds = (performance.now() - t0) / 1000;
const maxRssMb = process.resourceUsage().maxRSS / 1024;
// CPU seconds of the phase, every thread of the process (DuckDB's included): a figure a loaded machine disturbs less than wall time.
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
process.stdout.write(JSON.stringify({ phase, seconds, cpu_seconds: Math.round(cpuSeconds * 100) / 100, max_rss_mb: Math.round(maxRssMb), detail }, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)) + '\n');
