import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { duckQuery, sqlStr } from '../support/duckdb.ts';
import { makeRecord } from '../support/records.ts';
import { fixtureRecords, kernelFor, writeRun } from './fixture.ts';
import { kforge } from './cli.ts';

describe('kforge dataset merge (nightly datasets)', () => {
  let dir: string;
  let root: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kforge-nightly-'));
    root = join(dir, 'datasets');
    await writeRun(join(dir, 'night1', 'run-a'), fixtureRecords('run-a'));
    // Night 2: run-a resumed (same records) and run-c with the same records plus one faster kernel for 2/2.
    await writeRun(join(dir, 'night2', 'run-a'), fixtureRecords('run-a'));
    const better = makeRecord({ record_id: 'c-new', run_id: 'run-c', round: 3, level: 2, problem_id: 2, problem_name: '2_Problem_2', problem_key: 'key-2-2', kernel_source: kernelFor(2, 2, 9), speedup: 1.9 });
    await writeRun(join(dir, 'night2', 'run-c'), [...fixtureRecords('run-c'), better]);
  });

  it('keeps a record seen on two nights once and stamps the version it arrived in', async () => {
    expect(await kforge(['dataset', 'merge', join(dir, 'night1'), '--name', 'nightly', '--dataset-version', '2025-06-01', '--root', root])).toContain('17 records added, 0 already present');
    expect(await kforge(['dataset', 'merge', join(dir, 'night2'), '--name', 'nightly', '--dataset-version', '2025-06-02', '--root', root])).toContain('1 records added, 34 already present');
    const all = join(root, 'nightly', 'versions', '*', 'records', '*.parquet');
    const rows = await duckQuery(`SELECT dataset_version AS v, count(*) AS n, count(DISTINCT record_id) AS d FROM read_parquet(${sqlStr(all)}) GROUP BY 1 ORDER BY 1`);
    expect(rows).toEqual([{ v: '2025-06-01', n: 17n, d: 17n }, { v: '2025-06-02', n: 1n, d: 1n }]);
    await expect(kforge(['dataset', 'merge', join(dir, 'night2'), '--name', 'nightly', '--dataset-version', '2025-06-02', '--root', root])).rejects.toThrow(/already has version/);
    expect(await kforge(['dataset', 'list', '--name', 'nightly', '--root', root])).toMatch(/2025-06-01  \+17 \(total 17[\s\S]*2025-06-02  \+1 \(total 18/);
  });

  it('reads a version as everything up to it, and compares two versions', async () => {
    const ds = join(root, 'nightly');
    const v1 = JSON.parse(await kforge(['stats', `${ds}@2025-06-01`, '--json']));
    const latest = JSON.parse(await kforge(['stats', ds, '--json']));
    expect([v1.overall.candidates, latest.overall.candidates]).toEqual([17, 18]);
    const cmp = JSON.parse(await kforge(['stats', '--compare', `${ds}@2025-06-01`, `${ds}@2025-06-02`, '--json']));
    expect(cmp.metrics.find((m: any) => m.name === 'fast_1')).toEqual({ name: 'fast_1', a: 4 / 6, b: 5 / 6 });
    expect(cmp.improved).toEqual([{ problem_key: 'key-2-2', problem_name: '2_Problem_2', level: 2, before: 0.8, after: 1.9 }]);
    expect(cmp.regressed).toEqual([]);
    const text = await kforge(['stats', '--compare', `${ds}@2025-06-01`, `${ds}@2025-06-02`]);
    expect(text).toMatch(/fast_1\s+66\.7%\s+83\.3%\s+16\.7 pt/);
    expect(text).toMatch(/2_Problem_2\s+2\s+0\.80\s+1\.90/);
  });
});
