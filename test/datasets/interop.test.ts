/**
 * Issue 15 item 6: every kind of file kforge writes (a run's records Parquet, `kforge filter`'s output
 * (written by DuckDB), the HF export folder, chat and DPO JSONL) read by pyarrow, pandas and Hugging
 * Face `datasets` (load_dataset on the folder, load_dataset('json') on the JSONL), values compared with
 * what kforge wrote. The readers live in the venv scripts/setup.sh makes (.venv-interop).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readRecordsParquet } from '../../datasets/parquet-reader.ts';
import { writeRecordsParquet } from '../../datasets/parquet-writer.ts';
import type { KernelRecord } from '../../datasets/schema.ts';
import { REPO_ROOT } from '../support/paths.ts';
import { makeRecord } from '../support/records.ts';
import { fixtureRecords, writeRun } from './fixture.ts';
import { kforge } from './cli.ts';

const PYTHON = join(REPO_ROOT, '.venv-interop', 'bin', 'python');
const HAVE = existsSync(PYTHON);

const jsonl = async (p: string): Promise<any[]> => (await readFile(p, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l));

describe.skipIf(!HAVE)('files kforge writes, read by pyarrow, pandas and HF datasets', () => {
  let dir: string;
  let seen: any;
  let records: KernelRecord[];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kforge-interop-'));
    // The fixture run plus one record with the awkward values: a 2^40 seed, unicode, a null bool, NaN-free nulls.
    const odd = makeRecord({ record_id: 'odd', run_id: 'run-a', level: 2, problem_id: 9, problem_key: 'key-2-9', problem_name: 'ünï ∑ 😀', speedup: 1.7, seeds: [2 ** 40, 3], weak_problem: null, passes_policies: ['default', 'loose'] });
    records = [...fixtureRecords(), odd];
    const run = await writeRun(join(dir, 'run'), records);
    const recordsFile = join(dir, 'records.parquet');
    await writeRecordsParquet(records, recordsFile);
    await kforge(['filter', run, '--min-speedup', '1.0', '--out', join(dir, 'filtered.parquet')]);
    await kforge(['export', run, '--format', 'hf', '--validation-fraction', '0.5', '--out', join(dir, 'hf')]);
    await kforge(['export', run, '--format', 'chat', '--validation-fraction', '0.5', '--out', join(dir, 'chat')]);
    await kforge(['export', run, '--format', 'dpo', '--validation-fraction', '0', '--out', join(dir, 'dpo')]);
    const env = { ...process.env, HF_HOME: join(dir, 'hf-home'), HF_DATASETS_OFFLINE: '1', HF_HUB_OFFLINE: '1' };
    seen = JSON.parse(execFileSync(PYTHON, [join(REPO_ROOT, 'test/support/interop_read.py'), recordsFile, join(dir, 'filtered.parquet'), join(dir, 'hf'), join(dir, 'chat'), join(dir, 'dpo')], { encoding: 'utf8', env, maxBuffer: 64 << 20 }));
  }, 600_000);

  it.each(['records', 'filtered'] as const)('%s Parquet: the same rows and values in pyarrow, pandas and datasets', async (kind) => {
    const ours = kind === 'records' ? records : await readRecordsParquet(join(dir, 'filtered.parquet'));
    if (kind === 'filtered') expect(ours.map((r) => r.record_id).sort()).toEqual(records.filter((r) => r.correct && !r.suspect && !r.weak_problem && r.speedup! >= 1).map((r) => r.record_id).sort());
    const ids = ours.map((r) => r.record_id).sort();
    const v = seen[kind];
    expect(v.pyarrow.ids).toEqual(ids);
    expect(v.pandas.ids).toEqual(ids);
    expect(v.datasets.ids).toEqual(ids);
    for (const r of ours) {
      expect(v.pyarrow.rows[r.record_id]).toEqual({ speedup: r.speedup, seeds: r.seeds, weak_problem: r.weak_problem, problem_name: r.problem_name, kernel_source: r.kernel_source, passes_policies: r.passes_policies });
      expect(v.pandas.speedup[r.record_id]).toBe(r.speedup);
      expect(v.pandas.seeds[r.record_id]).toEqual(r.seeds);
      expect(v.datasets.kernel_source[r.record_id]).toBe(r.kernel_source);
    }
    expect(v.pyarrow.rows.odd.seeds).toEqual([2 ** 40, 3]);
    expect(v.pyarrow.types).toMatchObject({ record_id: 'string', level: 'int32', speedup: 'double', weak_problem: 'bool' });
    expect(v.pyarrow.types.seeds).toMatch(/^list<(item|element): int64>$/);
    expect(v.datasets.features).toMatchObject({ speedup: "Value('float64')", level: "Value('int32')" });
    expect(v.datasets.features.seeds).toMatch(/int64/);
  });

  it('the HF export folder: load_dataset gives the splits with the exported records', async () => {
    for (const split of ['train', 'validation']) {
      const index = await jsonl(join(dir, 'chat', `${split}.index.jsonl`)); // same selection and split as the hf export
      expect(seen.hf[split].ids).toEqual(index.map((i) => i.record_id).sort());
      for (const i of index) expect(seen.hf[split].speedup[i.record_id]).toBe(i.speedup);
    }
    expect(seen.hf.train.ids.length).toBeGreaterThan(0);
    expect(seen.hf_features.seeds).toMatch(/int64/);
  });

  it("chat and DPO JSONL: load_dataset('json'), pandas and pyarrow read the examples as written", async () => {
    const train = await jsonl(join(dir, 'chat', 'train.jsonl'));
    expect(seen.chat.datasets.train).toEqual(train.map(() => ['system', 'user', 'assistant']));
    expect(seen.chat.datasets_assistant).toEqual(train.map((e) => e.messages[2].content));
    expect(seen.chat.pandas_rows).toBe(train.length);
    expect(seen.chat.pyarrow_rows).toBe(train.length);
    const pairs = await jsonl(join(dir, 'dpo', 'train.jsonl'));
    expect(pairs.length).toBeGreaterThan(0);
    expect(seen.dpo.pairs).toEqual(pairs.map((p) => [p.chosen_record_id, p.rejected_record_id, p.margin, p.rejected_correct]));
    expect(seen.dpo.prompt_roles).toEqual(pairs.map(() => ['system', 'user']));
    expect(seen.dpo.pandas_margin).toEqual(pairs.map((p) => p.margin));
  });
});

if (!HAVE) it(`(no ${PYTHON}: run bash scripts/setup.sh to install pyarrow, pandas and datasets for the interop test)`, () => undefined);
