/** The benchmark's Hugging Face layout, validated wherever problems come from outside. */
import { z } from 'zod';
import { problemKey, type Problem } from '../problem.ts';

export const rawProblemSchema = z.object({
  level: z.coerce.number().int().min(0),
  problem_id: z.coerce.number().int().min(0),
  name: z.string().min(1),
  code: z.string().min(1),
});
export type RawProblem = z.infer<typeof rawProblemSchema>;

export function toProblem(raw: RawProblem, source: string, file: string | null): Problem {
  return {
    key: problemKey(raw.code),
    source,
    file,
    level: raw.level,
    problemId: raw.problem_id,
    name: raw.name,
    code: raw.code,
  };
}

/** Decode bytes as UTF-8, refusing (not mangling) text that is not. */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`${what} is not valid UTF-8 text; re-save it as UTF-8`);
  }
}
