/**
 * Problems by every name a generation may give them: key, level and id, file name. Built once from
 * the run's problem source (any of them: builtin, a checkout, JSONL, Parquet, hf:).
 */
import type { Problem } from '../../kernelbench/problem.ts';
import type { ProblemRef } from './candidate.ts';
import { describeRef } from './candidate.ts';

export type Resolution = { problem: Problem } | { problem: null; reason: string };

export class ProblemIndex {
  private readonly byKey = new Map<string, Problem>();
  private readonly byLevelId = new Map<string, Problem>();
  private readonly byName = new Map<string, Problem[]>();

  constructor(
    problems: Problem[],
    private readonly sourceLabel: string,
  ) {
    for (const p of problems) {
      this.byKey.set(p.key, p);
      this.byLevelId.set(`${p.level}/${p.problemId}`, p);
      const name = p.name.toLowerCase();
      this.byName.set(name, [...(this.byName.get(name) ?? []), p]);
    }
  }

  get size(): number {
    return this.byKey.size;
  }

  resolve(ref: ProblemRef): Resolution {
    const found = this.find(ref);
    if (Array.isArray(found)) {
      return { problem: null, reason: `problem ${describeRef(ref)} names ${found.length} problems in ${this.sourceLabel} (${found.map((p) => `L${p.level} #${p.problemId}`).join(', ')}): give the level and id` };
    }
    if (found) return { problem: found };
    return { problem: null, reason: `no problem ${describeRef(ref)} in ${this.sourceLabel} (kforge problems --source ... lists what it holds)` };
  }

  /** One problem by that name, or every one of them when the name is not enough. */
  private named(name: string): Problem | Problem[] | undefined {
    const all = this.byName.get(name.trim().replace(/\.py$/, '').toLowerCase());
    return all && all.length === 1 ? all[0] : all;
  }

  private find(ref: ProblemRef): Problem | Problem[] | undefined {
    if (typeof ref === 'string') {
      const text = ref.trim();
      if (/^[0-9a-f]{64}$/i.test(text)) return this.byKey.get(text.toLowerCase());
      const levelId = /^L?(\d+)\s*[/#:]\s*(\d+)$/i.exec(text);
      if (levelId) return this.byLevelId.get(`${Number(levelId[1])}/${Number(levelId[2])}`);
      return this.named(text);
    }
    if ('key' in ref) return this.byKey.get(ref.key.toLowerCase());
    if ('name' in ref) return this.named(ref.name);
    return this.byLevelId.get(`${ref.level}/${'id' in ref ? ref.id : ref.problem_id}`);
  }
}
