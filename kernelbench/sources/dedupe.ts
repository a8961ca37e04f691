/**
 * Problems with the same code. The problem key is a hash of the normalised code, and records,
 * summaries and datasets are keyed by it, so two entries with one code (a duplicated JSONL line, or the
 * same Model filed under two names or ids) would be verified twice and then silently collapse into one
 * summary row. Rule: keep the first in (level, problem id, name) order, drop the others, and say so,
 * naming both. Keeping both as distinct problems would need a key that is not the code's, which would
 * make the verification cache and cross-run merges treat one kernel task as two.
 */
import type { Problem } from '../problem.ts';

export interface DuplicateProblem {
  kept: Problem;
  dropped: Problem;
}

const label = (p: Problem): string => `L${p.level} #${p.problemId} ${p.name}${p.file ? ` (${p.file})` : ''}`;

export function dedupeProblems(problems: Problem[]): { problems: Problem[]; duplicates: DuplicateProblem[] } {
  const ordered = [...problems].sort((a, b) => a.level - b.level || a.problemId - b.problemId || a.name.localeCompare(b.name));
  const first = new Map<string, Problem>();
  const duplicates: DuplicateProblem[] = [];
  for (const p of ordered) {
    const kept = first.get(p.key);
    if (kept) duplicates.push({ kept, dropped: p });
    else first.set(p.key, p);
  }
  const keep = new Set(first.values());
  return { problems: problems.filter((p) => keep.has(p)), duplicates };
}

export function describeDuplicate(d: DuplicateProblem): string {
  const same = label(d.kept) === label(d.dropped) ? 'an exact duplicate of' : 'the same code as';
  return `problem ${label(d.dropped)} is ${same} ${label(d.kept)}: kept ${label(d.kept)} (the first by level, id, name), left out the other`;
}
