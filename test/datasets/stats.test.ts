import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureRecords, writeRun } from './fixture.ts';
import { kforge } from './cli.ts';

describe('kforge stats', () => {
  let run: string;
  beforeAll(async () => {
    run = await writeRun(join(await mkdtemp(join(tmpdir(), 'kforge-stats-')), 'run'), fixtureRecords());
  });

  it('computes rates, fast_p over problems (KernelBench definition), geomean, rounds, categories, cost (JSON)', async () => {
    const s = JSON.parse(await kforge(['stats', run, '--json']));
    expect(s.overall).toMatchObject({ candidates: 17, compiled: 14, correct: 11, problems: 6 });
    expect(s.overall.build_rate).toBeCloseTo(14 / 17, 12);
    // Best correct, non-suspect speedup per problem: 2.5, 1.1, none (suspect 5x), 3.0, 1.6001, 0.8.
    expect(s.overall.fast_p).toEqual({ '0': 5 / 6, '0.5': 5 / 6, '0.8': 4 / 6, '1': 4 / 6, '1.5': 3 / 6, '2': 2 / 6 });
    expect(s.by_level['1'].fast_p['1']).toBe(3 / 4);
    expect(s.by_level['2'].fast_p['1']).toBe(1 / 2);
    const correct = [0.5, 1.3, 2.5, 0.9, 1.1, 3.0, 1.6, 1.6, 0.7, 1.6001, 0.8];
    expect(s.overall.geomean_speedup).toBeCloseTo(Math.exp(correct.reduce((a, x) => a + Math.log(x), 0) / correct.length), 12);
    expect(s.by_round.map((r: any) => [r.round, r.candidates, r.fast_1_so_far])).toEqual([[1, 9, 3 / 6], [2, 8, 4 / 6]]);
    expect(s.failures_by_stage).toEqual({ build: 2, correctness: 2, integrity: 1, generate: 1 });
    expect(s.tokens).toEqual({ in: 1700, out: 850 });
    expect(s.cost.usd).toBeCloseTo(0.12, 10);
    expect(s.cost.records_without_cost).toBe(5);
    expect(s.by_category.map((c: any) => c.category)).toEqual(['memory access', 'parallelism and occupancy']);
    expect(s.by_category.reduce((a: number, c: any) => a + c.candidates, 0)).toBe(17);
  });

  it('groups, filters and selects by precision', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kforge-stats-precision-'));
    const mixed = await writeRun(join(dir, 'run'), fixtureRecords('run-p').map((r) => ({ ...r, precision: r.level === 2 ? 'bf16' : 'fp32' })));
    const s = JSON.parse(await kforge(['stats', mixed, '--json']));
    expect(Object.keys(s.by_precision)).toEqual(['bf16', 'fp32']);
    expect([s.by_precision.bf16.candidates, s.by_precision.fp32.candidates]).toEqual([5, 12]);
    expect(await kforge(['stats', mixed])).toMatch(/precision bf16\s+5\s/);
    const bf16 = JSON.parse(await kforge(['stats', mixed, '--precision', 'bf16', '--json']));
    expect(bf16.overall).toMatchObject({ candidates: 5, problems: 2 });
    const out = join(dir, 'fp32.parquet');
    expect(await kforge(['filter', mixed, '--precision', 'fp32', '--include-suspect', '--include-weak', '--out', out])).toContain('12 of 17 records kept');
  });

  it('prints a text table by default and honours filters', async () => {
    const text = await kforge(['stats', run]);
    expect(text).toMatch(/^level\s+candidates\s+built\s+correct\s+problems\s+fast_0\s+fast_0.5\s+fast_0.8\s+fast_1\s+fast_1.5\s+fast_2\s+geomean/);
    expect(text).toMatch(/overall\s+17\s+82\.4%\s+64\.7%\s+6\s+83\.3%\s+83\.3%\s+66\.7%\s+66\.7%\s+50\.0%\s+33\.3%/);
    expect(text).toContain('Failures by stage: build 2, correctness 2, generate 1, integrity 1');
    const level2 = JSON.parse(await kforge(['stats', run, '--level', '2', '--json']));
    expect(level2.overall).toMatchObject({ candidates: 5, problems: 2 });
  });
});
