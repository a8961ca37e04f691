/**
 * Train/validation split by problem: a problem's split is a hash of its key (and a seed string), so it
 * is the same on every export and every machine, and no problem lands in both splits.
 */
import { createHash } from 'node:crypto';

export type Split = 'train' | 'validation';

export interface SplitOptions {
  /** Share of problems in validation, 0..1. */
  validationFraction: number;
  /** Changes which problems go to validation, deterministically. */
  seed?: string;
}

export function splitOf(problemKey: string, o: SplitOptions): Split {
  if (o.validationFraction <= 0) return 'train';
  const h = createHash('sha256').update(`${o.seed ?? ''}\0${problemKey}`).digest();
  const u = h.readUInt32BE(0) / 2 ** 32;
  return u < o.validationFraction ? 'validation' : 'train';
}
