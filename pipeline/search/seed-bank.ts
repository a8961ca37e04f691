/**
 * The bank of known-good kernels (METHOD.md: one published trajectory was rescued by seeding a GEMM
 * kernel generated earlier). Any run folders or datasets can be a bank, the builtin provider's runs
 * first among them. A problem with no correct kernel of its own starts from the bank's fastest correct,
 * non-suspect kernel for the same problem, else for the most similar problem by name.
 */
import { iterateRecordBatches } from '../../datasets/parquet-reader.ts';
import { listPartFilesOf } from '../../datasets/part-files.ts';
import type { Problem } from '../../kernelbench/problem.ts';
import type { SeedKernel } from '../../stages/provider.ts';
import type { Backend } from '../../stages/verify/protocol.ts';

interface BankEntry {
  problemKey: string;
  tokens: Set<string>;
  kernel: SeedKernel;
}

/** Words of a problem name, without the id and the generic words every name has. */
export function nameTokens(name: string): Set<string> {
  const generic = new Set(['a', 'of', 'the', 'over', 'with', 'and', 'for', 'dimension', 'dim', 'matrix', 'operation']);
  return new Set(
    name
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((t) => t && !/^\d+$/.test(t) && !generic.has(t)),
  );
}

function similarity(a: Set<string>, b: Set<string>): number {
  let shared = 0;
  for (const t of a) if (b.has(t)) shared++;
  const union = a.size + b.size - shared;
  return union ? shared / union : 0;
}

export class SeedBank {
  private constructor(private readonly entries: BankEntry[]) {}

  static empty(): SeedBank {
    return new SeedBank([]);
  }

  static async load(paths: string[], backend: Backend): Promise<SeedBank> {
    if (!paths.length) return SeedBank.empty();
    const files = await listPartFilesOf(paths);
    const best = new Map<string, BankEntry>(); // one kernel per problem: its fastest
    const columns = ['problem_key', 'problem_name', 'backend', 'correct', 'suspect', 'speedup', 'kernel_id', 'kernel_source'] as const;
    for await (const batch of iterateRecordBatches(files, { columns: [...columns] })) {
      for (const r of batch.records) {
        if (!r.correct || r.suspect || r.backend !== backend || !r.kernel_source || !r.problem_key || !r.kernel_id) continue;
        const speedup = r.speedup ?? null;
        const known = best.get(r.problem_key);
        if (known && (known.kernel.speedup ?? 0) >= (speedup ?? 0)) continue;
        best.set(r.problem_key, {
          problemKey: r.problem_key,
          tokens: nameTokens(r.problem_name ?? ''),
          kernel: { kernelId: r.kernel_id, source: r.kernel_source, speedup, origin: 'bank' },
        });
      }
    }
    return new SeedBank([...best.values()]);
  }

  get size(): number {
    return this.entries.length;
  }

  /** The best bank kernel for this problem or the most similar one; empty when nothing is similar. */
  seedsFor(problem: Problem): SeedKernel[] {
    const exact = this.entries.find((e) => e.problemKey === problem.key);
    if (exact) return [exact.kernel];
    const tokens = nameTokens(problem.name);
    let pick: { entry: BankEntry; score: number } | null = null;
    for (const entry of this.entries) {
      const score = similarity(tokens, entry.tokens);
      if (score > 0 && (!pick || score > pick.score)) pick = { entry, score };
    }
    return pick ? [pick.entry.kernel] : [];
  }
}
