/** Problems in a Parquet file with the columns level, problem_id, name, code (the Hugging Face dataset). */
import { readFile } from 'node:fs/promises';
import { tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { ProblemSourceError } from '../../stages/core/errors/config-error.ts';
import type { Problem } from '../problem.ts';
import { rawProblemSchema, toProblem } from './raw-problem.ts';

export async function readParquetProblems(file: string, sourceLabel = `parquet:${file}`, problemFile: string | null = null): Promise<Problem[]> {
  const bytes = await readFile(file).catch((error: Error) => {
    throw new ProblemSourceError(`Cannot read problem file ${file}: ${error.message}`);
  });
  let rows: Record<string, unknown>[];
  try {
    const table = tableFromIPC(readParquet(new Uint8Array(bytes)).intoIPCStream());
    rows = table.toArray().map((row) => (row as { toJSON(): Record<string, unknown> }).toJSON());
  } catch (error) {
    throw new ProblemSourceError(`${file} is not a readable Parquet file: ${(error as Error).message}`);
  }
  return rows.map((row, i) => {
    const parsed = rawProblemSchema.safeParse(row);
    if (!parsed.success) {
      throw new ProblemSourceError(`${file} row ${i}: expected columns level, problem_id, name, code: ${parsed.error.issues[0]?.message}`);
    }
    return toProblem(parsed.data, sourceLabel, problemFile);
  });
}
