/**
 * Where imported verdicts go: the run's record sink, and per problem what the manifest's summary
 * reports (candidates, built, correct, best speedup). Shared by `kforge verify` and `kforge serve`.
 */
import type { KernelRecord } from '../../datasets/schema.ts';
import type { Problem } from '../../kernelbench/problem.ts';
import type { ProblemSummary } from '../run/manifest.ts';
import type { RecordSink } from '../run/record-sink.ts';
import { ProblemState } from '../search/problem-state.ts';

export class ImportRecorder {
  private readonly states = new Map<string, ProblemState>();
  /** Records the run held already (the same candidate again): not written twice. */
  duplicates = 0;

  constructor(readonly sink: RecordSink) {}

  has(recordId: string): boolean {
    return this.sink.has(recordId);
  }

  /** Append the record (once per record id); returns false when the run already held it. */
  async add(record: KernelRecord, problem: Problem | null): Promise<boolean> {
    const added = await this.sink.add(record);
    if (!added) this.duplicates++;
    if (added && problem) {
      if (!this.states.has(problem.key)) this.states.set(problem.key, new ProblemState(problem));
      this.states.get(problem.key)!.add(record);
    }
    return added;
  }

  summaries(): ProblemSummary[] {
    return [...this.states.values()].map((state) => {
      const p = state.problem;
      const best = state.bestSpeedup();
      return {
        key: p.key,
        name: p.name,
        level: p.level,
        problem_id: p.problemId,
        candidates: state.candidates,
        compiled: state.compiled,
        correct: state.correct,
        best_speedup: best,
        trajectory: [best],
        stopped_because: 'imported',
        skipped_reason: null,
      };
    });
  }
}
