/**
 * Imports go down: a module may import from its own layer or a layer below it, never from one above.
 * The layer order lives here and only here (docs/ARCHITECTURE.md explains it); every import of every
 * TypeScript file is parsed with the compiler's own scanner, so `export ... from` and `import()` count.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execaSync } from 'execa';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/paths.ts';

/**
 * Top first. A file belongs to the layer of the longest folder that holds it; `stages/core/` is the
 * floor every product folder may use (errors, the content cache, crash points, the LLM client types).
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['test/', 'bench/', 'scripts/', 'bin/'], // tools: may use anything
  ['pipeline/'], // the command line, configuration, runs, search: wires the stages
  ['stages/'], // ideas, implement, verify, records, providers
  ['datasets/'], // the record schema and what reads and writes records
  ['kernelbench/'], // problems and their sources
  ['stages/core/'], // the floor
];

function layerOf(file: string): number | null {
  let best: { index: number; length: number } | null = null;
  LAYERS.forEach((prefixes, index) => {
    for (const prefix of prefixes) {
      if (file.startsWith(prefix) && (!best || prefix.length > best.length)) best = { index, length: prefix.length };
    }
  });
  return best === null ? null : (best as { index: number }).index;
}

function sourceFiles(): string[] {
  const { stdout } = execaSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.mts', '*.js'], { cwd: REPO_ROOT });
  return stdout.split('\n').filter((f) => f && !f.startsWith('test/fixtures/'));
}

/** Repository-relative targets of the relative imports of one file. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(path.join(REPO_ROOT, file), 'utf8'), true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)));
}

describe('imports go down', () => {
  it('no file imports from a layer above its own', () => {
    const upward: string[] = [];
    for (const file of sourceFiles()) {
      const from = layerOf(file);
      if (from === null) continue;
      for (const target of importsOf(file)) {
        const to = layerOf(target);
        if (to !== null && to < from) upward.push(`${file} -> ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('sees the imports it checks (the parser finds export-from and dynamic imports)', () => {
    const found = importsOf('pipeline/llm/types.ts');
    expect(found).toContain('stages/core/llm-client.ts');
    expect(layerOf('stages/core/crash-point.ts')).toBe(LAYERS.length - 1);
    expect(layerOf('stages/verify/protocol.ts')).toBeLessThan(layerOf('datasets/schema.ts') ?? -1);
  });
});
