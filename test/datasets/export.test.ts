import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { duckQuery, sqlStr } from '../support/duckdb.ts';
import { fixtureRecords, writeRun } from './fixture.ts';
import { kforge } from './cli.ts';
import { DatasetError } from '../../datasets/dataset-store.ts';

const readJsonl = async (path: string): Promise<any[]> =>
  (await readFile(path, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l));

describe('kforge export', () => {
  let dir: string;
  let run: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kforge-export-'));
    const records = fixtureRecords('run-a');
    const original = records.find((r) => r.record_id === '2-1-0')!;
    // Same kernel up to comments and whitespace: must be exported once.
    const dup = { ...original, record_id: 'zz-dup', kernel_id: 'kid-dup', kernel_source: '# a comment\n' + original.kernel_source.replace(/\n/g, '  \n\n') + '# trailing\n' };
    run = await writeRun(join(dir, 'run'), [...records, dup]);
  });

  it('writes OpenAI chat JSONL of every correct record above the threshold, deduplicated', async () => {
    const out = join(dir, 'chat');
    await kforge(['export', run, '--format', 'chat', '--min-speedup', '1.0', '--validation-fraction', '0', '--out', out]);
    const train = await readJsonl(join(out, 'train.jsonl'));
    const index = await readJsonl(join(out, 'train.index.jsonl'));
    expect(index.map((i) => i.record_id).sort()).toEqual(['1-1-1', '1-1-2', '1-2-2', '2-1-0', '2-1-2']);
    expect(await readJsonl(join(out, 'validation.jsonl'))).toEqual([]);
    for (const [k, ex] of train.entries()) {
      expect(Object.keys(ex)).toEqual(['messages']);
      expect(ex.messages.map((m: any) => m.role)).toEqual(['system', 'user', 'assistant']);
      const [level, id] = index[k].record_id.split('-');
      expect(ex.messages[1].content).toContain(`return x * ${Number(level) * 10 + Number(id)}`);
      expect(ex.messages[2].content).toMatch(/^```python\nimport torch[\s\S]*class ModelNew[\s\S]*```$/);
      expect(ex.messages[1].content).not.toContain('idea');
    }
    const manifest = JSON.parse(await readFile(join(out, 'export.json'), 'utf8'));
    expect(manifest.counts).toMatchObject({ train: 5, validation: 0, duplicates: 1 });
  });

  it('splits by problem deterministically, no problem in both splits', async () => {
    const a = join(dir, 'split-a');
    const b = join(dir, 'split-b');
    for (const out of [a, b]) await kforge(['export', run, '--format', 'chat', '--validation-fraction', '0.5', '--out', out]);
    const problems = async (out: string, s: string) => new Set((await readJsonl(join(out, `${s}.index.jsonl`))).map((i) => i.problem_key));
    const [train, validation] = [await problems(a, 'train'), await problems(a, 'validation')];
    expect([...train].filter((p) => validation.has(p))).toEqual([]);
    expect(new Set([...train, ...validation])).toEqual(new Set(['key-1-1', 'key-1-2', 'key-2-1', 'key-2-2']));
    expect(validation.size).toBeGreaterThan(0);
    expect(await readFile(join(b, 'train.jsonl'), 'utf8')).toBe(await readFile(join(a, 'train.jsonl'), 'utf8'));
  });

  it('exports the best kernel per problem, idea-conditioned', async () => {
    const out = join(dir, 'best');
    await kforge(['export', run, '--format', 'idea', '--select', 'best', '--validation-fraction', '0', '--out', out]);
    const index = await readJsonl(join(out, 'train.index.jsonl'));
    expect(index.map((i) => [i.record_id, i.speedup]).sort()).toEqual([['1-1-2', 2.5], ['1-2-2', 1.1], ['2-1-2', 1.6001], ['2-2-1', 0.8]]);
    const train = await readJsonl(join(out, 'train.jsonl'));
    const i = index.findIndex((x) => x.record_id === '1-1-2');
    expect(train[i].messages[1].content).toContain('Implement this optimisation idea:\nidea 2 for 1/1');
  });

  it('writes DPO pairs: faster correct chosen over slower or incorrect, margin recorded', async () => {
    const out = join(dir, 'dpo');
    await kforge(['export', run, '--format', 'dpo', '--validation-fraction', '0', '--out', out]);
    const pairs = await readJsonl(join(out, 'train.jsonl'));
    expect(pairs.map((p) => `${p.chosen_record_id}>${p.rejected_record_id}`).sort()).toEqual(['1-1-1>1-1-3', '1-1-2>1-1-0', '1-1-2>1-1-1', '1-2-2>1-2-0', '2-1-2>2-1-1']);
    for (const p of pairs) {
      expect(p.prompt.map((m: any) => m.role)).toEqual(['system', 'user']);
      expect(p.chosen).toHaveLength(1);
      expect(p.chosen[0].role).toBe('assistant');
      expect(p.rejected[0].role).toBe('assistant');
      expect(p.chosen[0].content).not.toBe(p.rejected[0].content);
      if (p.rejected_correct) {
        expect(p.margin).toBeCloseTo(p.chosen_speedup / p.rejected_speedup, 9);
        expect(p.margin).toBeGreaterThanOrEqual(1.25);
      } else expect(p.margin).toBeNull();
    }
  });

  it('writes a Hugging Face dataset folder that DuckDB reads, with a dataset card', async () => {
    const out = join(dir, 'hf');
    await kforge(['export', run, '--format', 'hf', '--validation-fraction', '0.5', '--name', 'kernels-test', '--out', out]);
    const files = await readdir(join(out, 'data'));
    expect(files.every((f) => /^(train|validation)-\d{5}\.parquet$/.test(f))).toBe(true);
    const rows = await duckQuery(`SELECT count(*) AS n, count(DISTINCT problem_key) AS p, bool_and(correct) AS c, max(length(kernel_source)) AS k FROM read_parquet(${sqlStr(join(out, 'data', '*.parquet'))})`);
    expect(rows[0]).toMatchObject({ n: 9n, p: 4n, c: true });
    const card = await readFile(join(out, 'README.md'), 'utf8');
    expect(card).toMatch(/^---\nlicense: mit\n[\s\S]*configs:\n- config_name: default\n  data_files:\n  - split: train\n    path: data\/train-\*\.parquet/);
    expect(card).toContain('# kernels-test');
    expect(card).toContain('`run-a`');
    expect(card).toContain('weak problems excluded');
    expect(card).toContain('| kernel_source | artifact | utf8 | no |');
    expect(card).toMatch(/Duplicates removed .*: 1\./);
  });

  it('refuses a selected record without kernel source, naming it and the way out, and writes no export.json', async () => {
    const file = join(dir, 'no-source.parquet');
    await duckQuery(`COPY (SELECT * REPLACE (CASE WHEN record_id = '2-1-0' THEN NULL ELSE kernel_source END AS kernel_source)
      FROM read_parquet(${sqlStr(join(run, 'records', '*.parquet'))})) TO ${sqlStr(file)} (FORMAT parquet)`);
    const out = join(dir, 'no-source-out');
    const err = await kforge(['export', file, '--format', 'chat', '--min-speedup', '1.0', '--out', out]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError); // a known error: the CLI prints its message, not a stack
    expect(String((err as Error).message)).toMatch(/record 2-1-0 has no kernel_source .*--correct.* repair its part file/);
    expect(await readdir(out).catch(() => [])).not.toContain('export.json');
  });
});
