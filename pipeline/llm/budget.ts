/**
 * Hard limits on what a run may spend on LLM calls, kept in a JSON file so that a resumed run
 * continues the count. Only paid attempts are recorded (cache hits were paid once, when first
 * fetched); a cost that is not known stays unknown (null), never 0. Every record is written to disk
 * (temporary file + rename) before it returns, so a crash loses at most the attempt in flight.
 */
import fs from 'node:fs';
import { z } from 'zod';
import { writeFileAtomicSync } from '../../stages/core/cache/atomic-write.ts';

export interface BudgetOptions {
  maxTokens?: number;
  maxUsd?: number;
  /** JSON file holding the counts; null/absent keeps them in memory only. */
  path?: string | null;
}

/** One paid attempt (or a cache hit, which is ignored). */
export interface BudgetUsage {
  tokensIn: number | null;
  tokensOut: number | null;
  costUsd: number | null;
  fromCache: boolean;
}

const stateSchema = z.object({
  v: z.literal(1),
  attempts: z.number().int().min(0),
  tokensIn: z.number().min(0),
  tokensOut: z.number().min(0),
  /** Sum of the costs that were known. */
  pricedUsd: z.number().min(0),
  /** Attempts whose cost was unknown (no price, or no usage in the reply). */
  unpricedAttempts: z.number().int().min(0),
  /** Attempts whose reply carried no token usage. */
  unmeteredAttempts: z.number().int().min(0),
  updatedAt: z.string(),
});
type BudgetState = z.infer<typeof stateSchema>;

export interface BudgetSnapshot {
  attempts: number;
  tokensIn: number;
  tokensOut: number;
  /** Null when any counted attempt had an unknown cost. */
  costUsd: number | null;
  /** The known part of the cost (a lower bound when costUsd is null). */
  pricedUsd: number;
  unmeteredAttempts: number;
  maxTokens: number | null;
  maxUsd: number | null;
}

export class BudgetFileError extends Error {
  override readonly name = 'BudgetFileError';
}

export class BudgetTracker {
  readonly maxTokens: number | undefined;
  readonly maxUsd: number | undefined;
  readonly path: string | null;
  private state: BudgetState;

  constructor(options: BudgetOptions = {}) {
    this.maxTokens = options.maxTokens;
    this.maxUsd = options.maxUsd;
    this.path = options.path ?? null;
    this.state = this.path ? (load(this.path) ?? fresh()) : fresh();
  }

  record(usage: BudgetUsage): void {
    if (usage.fromCache) return;
    const s = this.state;
    s.attempts++;
    s.tokensIn += usage.tokensIn ?? 0;
    s.tokensOut += usage.tokensOut ?? 0;
    if (usage.tokensIn === null && usage.tokensOut === null) s.unmeteredAttempts++;
    if (usage.costUsd === null) s.unpricedAttempts++;
    else s.pricedUsd += usage.costUsd;
    s.updatedAt = new Date().toISOString();
    if (this.path) writeFileAtomicSync(this.path, JSON.stringify(s, null, 2) + '\n');
  }

  /** Which limit was reached ("tokens 1200 of 1000"), or null while within all limits. */
  exceeded(): string | null {
    const s = this.state;
    const tokens = s.tokensIn + s.tokensOut;
    if (this.maxTokens !== undefined && tokens >= this.maxTokens) return `tokens ${tokens} of max_tokens ${this.maxTokens}`;
    // Unknown costs cannot be counted; the known part is checked (createLlmClient refuses max_usd without prices).
    if (this.maxUsd !== undefined && s.pricedUsd >= this.maxUsd) return `cost $${s.pricedUsd.toFixed(4)} of max_usd $${this.maxUsd}`;
    return null;
  }

  snapshot(): BudgetSnapshot {
    const s = this.state;
    return {
      attempts: s.attempts,
      tokensIn: s.tokensIn,
      tokensOut: s.tokensOut,
      costUsd: s.unpricedAttempts > 0 ? null : s.pricedUsd,
      pricedUsd: s.pricedUsd,
      unmeteredAttempts: s.unmeteredAttempts,
      maxTokens: this.maxTokens ?? null,
      maxUsd: this.maxUsd ?? null,
    };
  }
}

function fresh(): BudgetState {
  return { v: 1, attempts: 0, tokensIn: 0, tokensOut: 0, pricedUsd: 0, unpricedAttempts: 0, unmeteredAttempts: 0, updatedAt: new Date().toISOString() };
}

/** The saved counts, or null when there is no file yet. A damaged file is an error: starting from 0 would overspend. */
function load(file: string): BudgetState | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BudgetFileError(`budget file ${file} is not JSON; fix or delete it (deleting resets the spend count)`);
  }
  const parsed = stateSchema.safeParse(json);
  if (!parsed.success) throw new BudgetFileError(`budget file ${file} is malformed: ${parsed.error.issues.map((i) => i.path.join('.') + ' ' + i.message).join('; ')}`);
  return parsed.data;
}
