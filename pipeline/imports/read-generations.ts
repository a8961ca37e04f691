/**
 * Generations from elsewhere, in the three layouts `kforge verify` reads:
 * - a JSONL file: one candidate per line (candidate.ts: problem, kernel, optional model/sample/metadata);
 * - a Parquet file with the same columns;
 * - a folder laid out as KernelBench's own runs (scripts/generate_samples.py writes
 *   `runs/<run>/level_{L}_problem_{P}_sample_{S}_kernel.py`, `..._prompt.txt` beside it when asked, and
 *   `generation_config.yaml` holding `model_name`).
 * A line or file that cannot be used is returned as a candidate with `failure` set, never skipped.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import YAML from 'yaml';
import { UsageError } from '../../stages/core/errors/usage-error.ts';
import { candidateLineSchema, describeIssues, fromLine, type ImportedCandidate } from './candidate.ts';

const KERNEL_FILE = /^level_(\d+)_problem_(\d+)_sample_(\d+)_kernel\.py$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export async function readGenerations(input: string): Promise<ImportedCandidate[]> {
  const info = await stat(input).catch(() => null);
  if (!info) throw new UsageError(`${input} does not exist: give a generations .jsonl or .parquet file, or a folder of level_{L}_problem_{P}_sample_{S}_kernel.py files`);
  if (info.isDirectory()) return readRunsFolder(input);
  if (input.endsWith('.parquet')) return readParquetGenerations(input);
  return readJsonlGenerations(input);
}

/** One line's JSON (or why not) into a candidate. */
function parseLine(text: string, origin: string): ImportedCandidate {
  const failed = (failure: string): ImportedCandidate => ({ origin, ref: null, kernel: null, model: null, sample: 0, metadata: {}, failure });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return failed(`not valid JSON (${(error as Error).message})`);
  }
  return fromValue(json, origin) ?? failed('not a JSON object');
}

function fromValue(value: unknown, origin: string): ImportedCandidate | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const parsed = candidateLineSchema.safeParse(value);
  if (parsed.success) return fromLine(parsed.data, origin);
  // The problem reference may still be usable, so the failure row says which problem it was for.
  const v = value as Record<string, unknown>;
  const ref = typeof v.problem === 'string' ? v.problem : typeof v.problem_name === 'string' ? v.problem_name : null;
  return { origin, ref, kernel: null, model: null, sample: 0, metadata: {}, failure: `not a candidate: ${describeIssues(parsed.error)}` };
}

export async function readJsonlGenerations(file: string): Promise<ImportedCandidate[]> {
  const bytes = await readFile(file);
  const out: ImportedCandidate[] = [];
  let start = 0;
  for (let lineNo = 1; start <= bytes.length; lineNo++) {
    let end = bytes.indexOf(0x0a, start);
    if (end === -1) end = bytes.length;
    const raw = bytes.subarray(start, end);
    start = end + 1;
    const origin = `${file}:${lineNo}`;
    let text: string;
    try {
      // Line by line, so one line with bytes that are not UTF-8 fails alone.
      text = strictUtf8.decode(raw);
    } catch {
      out.push({ origin, ref: null, kernel: null, model: null, sample: 0, metadata: {}, failure: 'the line is not valid UTF-8' });
      continue;
    }
    if (!text.trim()) continue;
    out.push(parseLine(text, origin));
  }
  return out;
}

export async function readParquetGenerations(file: string): Promise<ImportedCandidate[]> {
  let rows: Record<string, unknown>[];
  try {
    const table = tableFromIPC(readParquet(new Uint8Array(await readFile(file))).intoIPCStream());
    rows = table.toArray().map((row) => (row as { toJSON(): Record<string, unknown> }).toJSON());
  } catch (error) {
    throw new UsageError(`${file} is not a readable Parquet file: ${(error as Error).message}`);
  }
  return rows.map((row, i) => {
    const origin = `${file} row ${i}`;
    // Parquet nulls are absent values here; a metadata column may hold a JSON object as text.
    const clean = Object.fromEntries(Object.entries(row).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]));
    if (typeof clean.metadata === 'string') {
      try {
        clean.metadata = JSON.parse(clean.metadata) as unknown;
      } catch {
        return { origin, ref: null, kernel: null, model: null, sample: 0, metadata: {}, failure: 'the metadata column is not JSON' } satisfies ImportedCandidate;
      }
    }
    return fromValue(clean, origin)!;
  });
}

export async function readRunsFolder(dir: string): Promise<ImportedCandidate[]> {
  const entries = (await readdir(dir)).sort();
  const model = await runModelName(dir);
  const files = entries.filter((f) => KERNEL_FILE.test(f));
  if (!files.length) throw new UsageError(`${dir} holds no level_{L}_problem_{P}_sample_{S}_kernel.py files (the layout of KernelBench's runs/<run>/)`);
  const out: ImportedCandidate[] = [];
  for (const file of files) {
    const [, level, problem, sample] = KERNEL_FILE.exec(file)!.map(Number) as [number, number, number, number];
    const origin = path.join(dir, file);
    const base = { origin, ref: { level, id: problem }, model, sample, metadata: {} };
    let kernel: string;
    try {
      kernel = strictUtf8.decode(await readFile(origin));
    } catch {
      out.push({ ...base, kernel: null, failure: 'the kernel file is not valid UTF-8' });
      continue;
    }
    const prompt = await readFile(path.join(dir, file.replace(/_kernel\.py$/, '_prompt.txt')), 'utf8').catch(() => null);
    out.push({ ...base, kernel, metadata: prompt === null ? {} : { prompt }, failure: kernel.trim() ? null : 'the kernel is empty' });
  }
  return out;
}

/** The model KernelBench's generation config names, if the folder has one. */
async function runModelName(dir: string): Promise<string | null> {
  const text = await readFile(path.join(dir, 'generation_config.yaml'), 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    const config = YAML.parse(text) as { model_name?: unknown } | null;
    return typeof config?.model_name === 'string' && config.model_name ? config.model_name : null;
  } catch {
    return null;
  }
}
