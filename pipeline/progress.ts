/**
 * Progress of a build: one bar per stage with counts and rates on a terminal, periodic plain lines
 * elsewhere (CI logs, pipes), nothing in tests. The orchestrator only sees the Progress interface.
 */
import cliProgress from 'cli-progress';

export type StageName = 'ideas' | 'implement' | 'verify' | 'records';
const STAGES: StageName[] = ['ideas', 'implement', 'verify', 'records'];

export interface Progress {
  /** More work became known for a stage (totals grow as ideas fan out). */
  addTotal(stage: StageName, n: number): void;
  done(stage: StageName, n?: number): void;
  /** A free-form line under the bars: tokens, cost, failures. */
  setStatus(text: string): void;
  stop(): void;
}

export function createProgress(mode: 'auto' | 'bars' | 'lines' | 'silent' = 'auto'): Progress {
  if (mode === 'silent') return new SilentProgress();
  if (mode === 'bars' || (mode === 'auto' && process.stderr.isTTY)) return new BarProgress();
  return new LineProgress();
}

class Counts {
  total: Record<StageName, number> = { ideas: 0, implement: 0, verify: 0, records: 0 };
  completed: Record<StageName, number> = { ideas: 0, implement: 0, verify: 0, records: 0 };
  status = '';
}

class SilentProgress extends Counts implements Progress {
  addTotal(stage: StageName, n: number): void {
    this.total[stage] += n;
  }
  done(stage: StageName, n = 1): void {
    this.completed[stage] += n;
  }
  setStatus(text: string): void {
    this.status = text;
  }
  stop(): void {}
}

class BarProgress extends SilentProgress {
  private readonly multibar = new cliProgress.MultiBar(
    {
      format: ' {stage} |{bar}| {value}/{total} {rate}/min  eta {eta_formatted}',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  private readonly started = Date.now();
  private readonly bars = new Map<StageName, cliProgress.SingleBar>();
  private readonly statusBar = this.multibar.create(0, 0, {}, { format: ' {status}' });

  constructor() {
    super();
    for (const stage of STAGES) this.bars.set(stage, this.multibar.create(0, 0, { stage: stage.padEnd(9), rate: '0' }));
  }

  override addTotal(stage: StageName, n: number): void {
    super.addTotal(stage, n);
    this.bars.get(stage)!.setTotal(this.total[stage]);
  }

  override done(stage: StageName, n = 1): void {
    super.done(stage, n);
    const minutes = Math.max((Date.now() - this.started) / 60_000, 1 / 60);
    this.bars.get(stage)!.update(this.completed[stage], { rate: (this.completed[stage] / minutes).toFixed(1) });
  }

  override setStatus(text: string): void {
    super.setStatus(text);
    this.statusBar.update(0, { status: text });
  }

  override stop(): void {
    this.multibar.stop();
  }
}

/** For logs: a line at most every few seconds, and one at the end. */
class LineProgress extends SilentProgress {
  private last = 0;
  constructor(private readonly everyMs = 5000) {
    super();
  }
  override done(stage: StageName, n = 1): void {
    super.done(stage, n);
    if (Date.now() - this.last >= this.everyMs) this.print();
  }
  override stop(): void {
    this.print();
  }
  private print(): void {
    this.last = Date.now();
    const parts = STAGES.map((s) => `${s} ${this.completed[s]}/${this.total[s]}`);
    process.stderr.write(`[kforge] ${parts.join('  ')}${this.status ? `  | ${this.status}` : ''}\n`);
  }
}
