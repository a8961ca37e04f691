import { describe, expect, it } from 'vitest';
import { kernelDedupKey, normaliseKernelSource } from '../../datasets/kernel-dedup.ts';
import { splitOf } from '../../datasets/split.ts';
import { planPairs } from '../../datasets/export-dpo.ts';

describe('kernel deduplication key', () => {
  it('ignores comments and whitespace but not code', () => {
    const a = 'import torch\n# fast path\nx = a // 2  # halve\ns = "#not a comment"\n';
    const b = 'import torch\n\nx = a // 2\ns = "#not a comment"   \n';
    expect(kernelDedupKey(a)).toBe(kernelDedupKey(b));
    expect(normaliseKernelSource(a)).toBe('importtorchx=a//2s="#notacomment"');
    expect(kernelDedupKey('x = a // 2')).not.toBe(kernelDedupKey('x = a // 3'));
    expect(normaliseKernelSource('#include <cuda.h>\n/* block */int x;')).toBe('#include<cuda.h>intx;');
  });

  it('reads UTF-8 bytes as the text they encode (the export hands DuckDB bytes in)', () => {
    const cases = [
      '#\u00a0include <a>\n# 😀 comment\nint x;', // a non-ASCII space inside the directive window; a comment holding an emoji
      's = "a\\\n  b" # escaped newline inside the string',
      'x /*/ not closed', 'y /* c */ #define Z\n/* a\n b */ #define W',
    ];
    expect(cases.map(normaliseKernelSource)).toEqual(['#\u00a0include<a>intx;', 's="a\\\nb"', 'x', 'y#defineW']);
    for (const c of cases) expect(kernelDedupKey(new TextEncoder().encode(c))).toBe(kernelDedupKey(c));
  });
});

describe('split by problem', () => {
  it('is deterministic, seed-dependent and close to the asked fraction', () => {
    const keys = Array.from({ length: 2000 }, (_, i) => `problem-${i}`);
    const v = keys.filter((k) => splitOf(k, { validationFraction: 0.1 }) === 'validation');
    expect(v.length).toBeGreaterThan(150);
    expect(v.length).toBeLessThan(250);
    expect(keys.filter((k) => splitOf(k, { validationFraction: 0.1 }) === 'validation')).toEqual(v);
    expect(keys.filter((k) => splitOf(k, { validationFraction: 0.1, seed: 'x' }) === 'validation')).not.toEqual(v);
    expect(keys.every((k) => splitOf(k, { validationFraction: 0 }) === 'train')).toBe(true);
  });
});

describe('DPO pair planning', () => {
  const row = (id: string, speedup: number | null, correct = true) => ({ record_id: id, problem_key: 'p', kernel_id: `k-${id}`, correct, suspect: false, speedup, fail_stage: correct ? null : ('correctness' as const) });
  it('never pairs a correct rejected kernel within the margin, nor a kernel with itself', () => {
    const pairs = planPairs([row('a', 2), row('b', 1.9), row('c', 1.0), row('d', null, false)], 1, 1.25, 8);
    expect(pairs.map((p) => `${p.chosen.record_id}>${p.rejected.record_id}`)).toEqual(['a>c', 'b>d']);
    expect(planPairs([row('a', 0.9), row('d', null, false)], 1, 1.25, 8)).toEqual([]);
  });
});
