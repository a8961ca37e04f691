/**
 * Deduplication key of a kernel: its source with comments and all whitespace removed, hashed.
 * Two kernels that differ only in formatting or comments are the same training example.
 */
import { createHash } from 'node:crypto';

/** Remove `#` comments (Python), block comments (C++/CUDA in load_inline strings) and whitespace. */
export function normaliseKernelSource(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .split('\n')
    .map(stripLineComment)
    .join('')
    .replace(/\s+/g, '');
}

/**
 * Cut a line at the first `#` outside a quoted string (not a C preprocessor line). `//` is left
 * alone: in Python it is integer division, and cutting there would merge different kernels.
 */
function stripLineComment(line: string): string {
  if (!line.includes('#')) return line;
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && !/^\s*#\s*(include|define|pragma|if|endif|else|elif|undef)\b/.test(line)) return line.slice(0, i);
  }
  return line;
}

export function kernelDedupKey(source: string): string {
  return createHash('sha256').update(normaliseKernelSource(source)).digest('base64');
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
