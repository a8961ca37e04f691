/** A KernelBench problem, whatever source it came from. */
import { createHash } from 'node:crypto';

export interface Problem {
  /** Stable identity: sha256 of the code with comments and whitespace removed. */
  key: string;
  /** 'builtin' | 'jsonl:<path>' | 'parquet:<path>' | 'checkout:<path>' | 'hf:<repo>' */
  source: string;
  /** File inside the source, where the problem has one of its own. */
  file: string | null;
  level: number;
  problemId: number;
  /** File name without .py, e.g. '19_ReLU'. */
  name: string;
  code: string;
}

/**
 * Strip Python comments and all whitespace so that reformatting or re-commenting a problem keeps
 * its key. Docstrings are kept: they are code as far as Python is concerned, and stripping them
 * needs a tokenizer; a changed docstring giving a new key is the safe direction.
 */
export function normaliseCode(code: string): string {
  const out: string[] = [];
  for (const line of code.split(/\r?\n/)) {
    out.push(stripComment(line));
  }
  return out.join('').replace(/\s+/g, '');
}

/** Remove a trailing `# ...` comment, leaving any `#` inside a string literal alone. */
function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#') {
      return line.slice(0, i);
    }
  }
  return line;
}

export function problemKey(code: string): string {
  return createHash('sha256').update(normaliseCode(code)).digest('hex');
}
