/**
 * Deduplication key of a kernel: its source with comments and all whitespace removed, hashed.
 * Two kernels that differ only in formatting or comments are the same training example.
 */
import { createHash } from 'node:crypto';

/**
 * Remove `#` comments (Python; C preprocessor lines are kept), block comments (C++/CUDA inside
 * load_inline strings) and all whitespace. `//` is left alone: in Python it is integer division, and
 * cutting there would merge different kernels. A `#` inside a quoted string on its line is kept.
 * One pass over the characters: this runs once per exported record.
 */
export function normaliseKernelSource(source: string): string {
  const n = normaliseInto(source);
  return UTF16.decode(scratch.subarray(0, n));
}

const UTF16 = new TextDecoder('utf-16le');
let scratch = new Uint16Array(1 << 16);

/** Write the kept UTF-16 code units into `scratch`; returns how many. */
function normaliseInto(source: string): number {
  if (scratch.length < source.length) scratch = new Uint16Array(source.length * 2);
  const out = scratch;
  let n = 0;
  let quote = 0;
  let lineStart = true; // only whitespace so far on this line
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 10 /* \n */) {
      quote = 0;
      lineStart = true;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 11 || c === 12) continue;
    if (quote) {
      if (c === 92 /* backslash */ && i + 1 < source.length) {
        out[n++] = c;
        out[n++] = source.charCodeAt(++i);
        continue;
      }
      if (c === quote) quote = 0;
    } else if (c === 34 || c === 39) {
      quote = c;
    } else if (c === 47 /* / */ && source.charCodeAt(i + 1) === 42 /* * */) {
      const close = source.indexOf('*/', i + 2);
      i = close < 0 ? source.length : close + 1;
      continue;
    } else if (c === 35 /* # */ && !(lineStart && PREPROCESSOR.test(source.slice(i, i + 12)))) {
      const nl = source.indexOf('\n', i);
      i = (nl < 0 ? source.length : nl) - 1;
      continue;
    }
    lineStart = false;
    out[n++] = c;
  }
  return n;
}

const PREPROCESSOR = /^#\s*(include|define|pragma|if|ifdef|ifndef|endif|else|elif|undef)\b/;

/** sha1 of the normalised UTF-16 code units: a dedup key, not a security boundary. */
export function kernelDedupKey(source: string): string {
  const n = normaliseInto(source);
  return createHash('sha1').update(new Uint8Array(scratch.buffer, 0, n * 2)).digest('base64');
}

/** Remembers keys seen; `firstTime` is true once per key. */
export class DedupSet {
  private readonly seen = new Set<string>();
  duplicates = 0;
  firstTime(source: string): boolean {
    const key = kernelDedupKey(source);
    if (this.seen.has(key)) return (this.duplicates++, false);
    this.seen.add(key);
    return true;
  }
}
