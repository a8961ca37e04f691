/** Problems as JSON lines in the benchmark's Hugging Face layout: level, problem_id, name, code. */
import { readFile } from 'node:fs/promises';
import { ProblemSourceError } from '../../stages/core/errors/config-error.ts';
import type { Problem } from '../problem.ts';
import { decodeUtf8, rawProblemSchema, toProblem } from './raw-problem.ts';

export async function readJsonlProblems(file: string): Promise<Problem[]> {
  const bytes = await readFile(file).catch((error: Error) => {
    throw new ProblemSourceError(`Cannot read problem file ${file}: ${error.message}`);
  });
  let text: string;
  try {
    text = decodeUtf8(bytes, file);
  } catch (error) {
    throw new ProblemSourceError((error as Error).message);
  }
  const problems: Problem[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      throw new ProblemSourceError(`${file}:${i + 1}: not valid JSON (${(error as Error).message})`);
    }
    const parsed = rawProblemSchema.safeParse(json);
    if (!parsed.success) {
      const what = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'line'}: ${issue.message}`).join('; ');
      throw new ProblemSourceError(`${file}:${i + 1}: expected {level, problem_id, name, code}: ${what}`);
    }
    problems.push(toProblem(parsed.data, `jsonl:${file}`, null));
  }
  if (!problems.length) throw new ProblemSourceError(`${file} holds no problems.`);
  return problems;
}
