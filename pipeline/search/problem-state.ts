/**
 * What the search knows about one problem: every candidate so far, reduced to what the next round's
 * prompts need (outcomes per idea, the best kernels) and what the manifest reports (trajectory).
 */
import type { FailStage, KernelRecord } from '../../datasets/schema.ts';
import type { Problem } from '../../kernelbench/problem.ts';
import type { IdeaCategory, IdeaOutcome, SeedKernel } from '../../stages/provider.ts';

type Attempt = Pick<
  KernelRecord,
  'round' | 'idea_id' | 'idea_text' | 'idea_category' | 'correct' | 'speedup' | 'fail_stage' | 'fail_message' | 'kernel_id' | 'kernel_source' | 'compiled' | 'impl_index'
>;

export class ProblemState {
  private readonly attempts: Attempt[] = [];
  readonly trajectory: (number | null)[] = [];
  roundsWithoutImprovement = 0;
  private bestAtLastRound: number | null = null;

  constructor(readonly problem: Problem) {}

  /** Where each idea stood in its round's list: outcomes follow it, not the order verifications finish. */
  private readonly ideaOrder = new Map<string, number>();

  noteIdeas(ideaIds: string[]): void {
    for (const id of ideaIds) if (!this.ideaOrder.has(id)) this.ideaOrder.set(id, this.ideaOrder.size);
  }

  add(record: Attempt): void {
    this.attempts.push(record);
  }

  /**
   * Attempts in a fixed order (round, idea order, implementation). Candidates finish in whatever order
   * the machine runs them; a prompt built in completion order would differ between a run and its resume,
   * and so miss the LLM cache and pay again for an answer it already has.
   */
  private ordered(): Attempt[] {
    const rank = (a: Attempt) => this.ideaOrder.get(a.idea_id) ?? Number.MAX_SAFE_INTEGER;
    return [...this.attempts].sort((x, y) => x.round - y.round || rank(x) - rank(y) || x.idea_id.localeCompare(y.idea_id) || x.impl_index - y.impl_index);
  }

  get candidates(): number {
    return this.attempts.length;
  }

  get compiled(): number {
    return this.attempts.filter((a) => a.compiled).length;
  }

  get correct(): number {
    return this.attempts.filter((a) => a.correct).length;
  }

  bestSpeedup(): number | null {
    let best: number | null = null;
    for (const a of this.attempts) if (a.correct && a.speedup !== null && (best === null || a.speedup > best)) best = a.speedup;
    return best;
  }

  /** Close a round: extend the trajectory and count rounds without improvement (for patience). */
  endRound(): void {
    const best = this.bestSpeedup();
    this.trajectory.push(best);
    const improved = best !== null && (this.bestAtLastRound === null || best > this.bestAtLastRound);
    this.roundsWithoutImprovement = improved ? 0 : this.roundsWithoutImprovement + 1;
    this.bestAtLastRound = best;
  }

  /** The B fastest distinct correct kernels: the beam the next implementations start from. */
  beam(width: number): SeedKernel[] {
    const byKernel = new Map<string, Attempt>();
    for (const a of this.ordered()) {
      if (!a.correct || a.speedup === null) continue;
      const known = byKernel.get(a.kernel_id);
      if (!known || (known.speedup ?? 0) < a.speedup) byKernel.set(a.kernel_id, a);
    }
    return [...byKernel.values()]
      .sort((x, y) => (y.speedup ?? 0) - (x.speedup ?? 0) || x.kernel_id.localeCompare(y.kernel_id))
      .slice(0, width)
      .map((a) => ({ kernelId: a.kernel_id, source: a.kernel_source, speedup: a.speedup, origin: 'search' as const }));
  }

  /** Every idea tried so far, in the order first tried, with how its implementations fared. */
  outcomes(): IdeaOutcome[] {
    const byIdea = new Map<string, Attempt[]>();
    for (const a of this.ordered()) {
      const list = byIdea.get(a.idea_id) ?? [];
      list.push(a);
      byIdea.set(a.idea_id, list);
    }
    return [...byIdea.values()].map((list) => {
      const first = list[0]!;
      const correct = list.filter((a) => a.correct);
      const speeds = correct.map((a) => a.speedup).filter((s): s is number => s !== null);
      return {
        round: first.round,
        text: first.idea_text,
        category: first.idea_category as IdeaCategory,
        implementations: list.length,
        correct: correct.length,
        bestSpeedup: speeds.length ? Math.max(...speeds) : null,
        commonFailure: commonFailure(list),
      };
    });
  }
}

function commonFailure(list: Attempt[]): IdeaOutcome['commonFailure'] {
  const counts = new Map<FailStage, Attempt[]>();
  for (const a of list) {
    if (!a.fail_stage) continue;
    counts.set(a.fail_stage, [...(counts.get(a.fail_stage) ?? []), a]);
  }
  let best: [FailStage, Attempt[]] | null = null;
  for (const entry of counts) if (!best || entry[1].length > best[1].length) best = entry;
  if (!best) return null;
  const message = (best[1][0]!.fail_message ?? '').replace(/\s+/g, ' ').trim();
  return { stage: best[0], excerpt: message.length > 240 ? `${message.slice(0, 240)}...` : message };
}
