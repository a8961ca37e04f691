/** Every problem source behind one call, and the selection (levels, ids, name pattern, limit). */
import { fileURLToPath } from 'node:url';
import type { ProblemSourceSpec } from './spec.ts';
import { ProblemSourceError } from '../../stages/core/errors/config-error.ts';
import type { Problem } from '../problem.ts';
import { readCheckout } from './checkout.ts';
import { dedupeProblems, describeDuplicate } from './dedupe.ts';
import { readJsonlProblems } from './jsonl.ts';
import { readParquetProblems } from './parquet.ts';
import { readHubProblems } from './hf.ts';

export const BUILTIN_PROBLEMS_DIR = fileURLToPath(new URL('../builtin/', import.meta.url));

export interface ProblemSelection {
  levels?: number[] | undefined;
  ids?: number[] | undefined;
  name?: string | undefined;
  limit?: number | undefined;
}

export async function readProblemSource(spec: ProblemSourceSpec): Promise<Problem[]> {
  if (spec === 'builtin') return readCheckout(BUILTIN_PROBLEMS_DIR, 'builtin');
  if ('jsonl' in spec) return readJsonlProblems(spec.jsonl);
  if ('parquet' in spec) return readParquetProblems(spec.parquet);
  if ('hf' in spec) return readHubProblems(spec);
  return readCheckout(spec.checkout);
}

export function selectProblems(problems: Problem[], selection: ProblemSelection): Problem[] {
  let pattern: RegExp | null = null;
  if (selection.name) {
    try {
      pattern = new RegExp(selection.name, 'i');
    } catch (error) {
      throw new ProblemSourceError(`problems.name is not a valid regular expression: ${(error as Error).message}`);
    }
  }
  const chosen = problems.filter(
    (p) =>
      (!selection.levels?.length || selection.levels.includes(p.level)) &&
      (!selection.ids?.length || selection.ids.includes(p.problemId)) &&
      (!pattern || pattern.test(p.name)),
  );
  return selection.limit ? chosen.slice(0, selection.limit) : chosen;
}

/**
 * The selected problems, each code once (see dedupe.ts for the rule); `warn` hears each duplicate left
 * out (default: stderr), so a problem never disappears without a word.
 */
export async function loadProblems(
  spec: ProblemSourceSpec,
  selection: ProblemSelection = {},
  warn: (line: string) => void = (line) => process.stderr.write(`kforge: warning: ${line}\n`),
): Promise<Problem[]> {
  const { problems, duplicates } = dedupeProblems(selectProblems(await readProblemSource(spec), selection));
  for (const d of duplicates) warn(describeDuplicate(d));
  return problems;
}

export function describeSource(spec: ProblemSourceSpec): string {
  if (spec === 'builtin') return 'builtin';
  if ('jsonl' in spec) return `jsonl:${spec.jsonl}`;
  if ('parquet' in spec) return `parquet:${spec.parquet}`;
  if ('hf' in spec) return `hf:${spec.hf}`;
  return `checkout:${spec.checkout}`;
}
