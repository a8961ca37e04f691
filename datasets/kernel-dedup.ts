/**
 * Deduplication key of a kernel: its source with comments and all whitespace removed, hashed.
 * Two kernels that differ only in formatting or comments are the same training example.
 */
import { hash } from 'node:crypto';

/**
 * Remove `#` comments (Python; C preprocessor lines are kept), block comments (C++/CUDA inside
 * load_inline strings) and all whitespace. `//` is left alone: in Python it is integer division, and
 * cutting there would merge different kernels. A `#` inside a quoted string on its line is kept.
 * One pass over the UTF-8 bytes (every character this looks at is ASCII, and no byte of a multi-byte
 * UTF-8 sequence is ASCII, so bytes give the same result as characters): the export hands DuckDB's
 * bytes in without decoding them to JS strings (datasets/export-select.ts).
 */
export function normaliseKernelSource(source: string): string {
  const n = normaliseInto(UTF8_ENCODE.encode(source));
  return UTF8.decode(scratch.subarray(0, n));
}

const UTF8 = new TextDecoder();
const UTF8_ENCODE = new TextEncoder();
let scratch = new Uint8Array(1 << 16);

/** Write the kept bytes into `scratch`; returns how many. */
function normaliseInto(b: Uint8Array): number {
  const len = b.length;
  if (scratch.length < len) scratch = new Uint8Array(len * 2);
  const out = scratch;
  let n = 0;
  let quote = 0;
  let lineStart = true; // only whitespace (and block comments) so far on this line
  for (let i = 0; i < len; i++) {
    const c = b[i]!;
    // Hot path: letters, digits and most punctuation (and UTF-8 bytes) are kept as they are, a run at a time.
    if (c > 47 && c !== 92) {
      lineStart = false;
      out[n++] = c;
      let d: number;
      while (i + 1 < len && (d = b[i + 1]!) > 47 && d !== 92) (out[n++] = d), i++;
      continue;
    }
    if (c === 32) continue;
    if (c === 10 /* \n */) {
      quote = 0;
      lineStart = true;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 11 || c === 12) continue;
    if (quote) {
      if (c === 92 /* backslash */ && i + 1 < len) {
        out[n++] = c;
        out[n++] = b[++i]!;
        continue;
      }
      if (c === quote) quote = 0;
    } else if (c === 34 || c === 39) {
      quote = c;
    } else if (c === 47 /* / */ && b[i + 1] === 42 /* * */) {
      let j = i + 2;
      while (j + 1 < len && !(b[j] === 42 && b[j + 1] === 47)) j++;
      i = j + 1 < len ? j + 1 : len; // past the closing */, or to the end when it is not closed
      continue;
    } else if (c === 35 /* # */ && !(lineStart && preprocessorAt(b, i))) {
      const nl = b.indexOf(10, i);
      i = (nl < 0 ? len : nl) - 1;
      continue;
    }
    lineStart = false;
    out[n++] = c;
  }
  return n;
}

const PREPROCESSOR = /^#\s*(include|define|pragma|if|ifdef|ifndef|endif|else|elif|undef)\b/;

/** Whether the 12 characters from `#` at byte i start a preprocessor line (decoded only when not ASCII). */
function preprocessorAt(b: Uint8Array, i: number): boolean {
  const end = Math.min(b.length, i + 12);
  let ascii = true;
  for (let k = i; k < end; k++) if (b[k]! >= 0x80) ascii = false;
  // 48 bytes hold at least 12 UTF-16 code units of whole characters, whatever the mix.
  const window = ascii ? String.fromCharCode(...b.subarray(i, end)) : UTF8.decode(b.subarray(i, Math.min(b.length, i + 48))).slice(0, 12);
  return PREPROCESSOR.test(window);
}

/** sha1 of the normalised UTF-8 bytes: a dedup key, not a security boundary. Takes text or its UTF-8 bytes. */
export function kernelDedupKey(source: string | Uint8Array): string {
  const n = normaliseInto(typeof source === 'string' ? UTF8_ENCODE.encode(source) : source);
  return hash('sha1', scratch.subarray(0, n), 'base64');
}
