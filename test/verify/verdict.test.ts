/**
 * One definition of the verdict (stages/verify/harness/kforge_harness/verdict.json): everything that
 * spells out the job and result fields is generated from it or checked against it here, so adding or
 * changing a field is one edit to the JSON plus `npm run docs:verdict`, and forgetting a place fails CI.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { COLUMNS, FAIL_STAGES, type KernelRecord } from '../../datasets/schema.ts';
import { buildRecord } from '../../stages/records.ts';
import { HARNESS_STAGES, verifyResultSchema, type VerifyResult } from '../../stages/verify/protocol.ts';
import { findPython } from '../../stages/verify/python.ts';
import { readHarnessVersion, readVerdictDefinition, type VerdictField } from '../../stages/verify/verdict-definition.ts';
import { renderProtocolTs, withVerdictTables } from '../../stages/verify/verdict-render.ts';
import { syntheticRecord } from '../../bench/synthetic.ts';
import { makeRecord } from '../support/records.ts';
import { REPO_ROOT } from '../support/paths.ts';

const def = readVerdictDefinition();
const HARNESS_DIR = path.join(REPO_ROOT, 'stages/verify/harness');

/** A stored result field: where it sits in the result, its definition, its record column. */
interface Stored {
  at: string[];
  field: VerdictField;
  column: keyof KernelRecord;
}

function storedFields(): Stored[] {
  return def.result.flatMap((field): Stored[] => {
    if (field.record === '<fields>') {
      const inner = def.objects[field.type.slice('object:'.length)]!;
      return inner.filter((f) => f.record).map((f) => ({ at: [field.name, f.name], field: f, column: f.record as keyof KernelRecord }));
    }
    return field.record ? [{ at: [field.name], field, column: field.record as keyof KernelRecord }] : [];
  });
}

/** Column kinds a field's type may be stored as. */
const STORAGE: Record<string, string[]> = {
  string: ['utf8'], int: ['int32', 'int64'], number: ['float64'], bool: ['bool'],
  'string[]': ['list<utf8>'], 'int[]': ['list<int64>'], 'number[]': ['list<float64>'],
};
const storageOf = (type: string): string[] => (type.startsWith('enum:') ? ['utf8'] : (STORAGE[type] ?? []));

function schemaAt(at: string[]): z.ZodType {
  const top = verifyResultSchema.shape[at[0] as keyof VerifyResult];
  if (at.length === 1) return top;
  return (top as unknown as z.ZodObject<Record<string, z.ZodType>>).shape[at[1]!]!;
}

/** A result with a value in every field that differs from the field's empty, so a dropped mapping shows. */
function distinctiveResult(): VerifyResult {
  let n = 0;
  const valueOf = (f: VerdictField): unknown => {
    n++;
    if (f.type.startsWith('object:')) return Object.fromEntries(def.objects[f.type.slice(7)]!.map((g) => [g.name, valueOf(g)]));
    if (f.type.startsWith('enum:')) return def.enums[f.type.slice(5)]!.values.at(-1);
    return { string: `value ${n}`, int: n, number: n + 0.5, bool: true, 'string[]': [`item ${n}`], 'int[]': [n, n + 1], 'number[]': [n + 0.25] }[f.type];
  };
  const result = Object.fromEntries(def.result.map((f) => [f.name, valueOf(f)]));
  return verifyResultSchema.parse({ ...result, tolerance_policy: 'loose', backend: 'cuda' });
}

describe('the verdict definition', () => {
  it('generates stages/verify/protocol.ts (run npm run docs:verdict after editing verdict.json)', () => {
    expect(readFileSync(path.join(REPO_ROOT, 'stages/verify/protocol.ts'), 'utf8')).toBe(renderProtocolTs(def));
  });

  it("generates PROTOCOL.md's job and result tables", () => {
    const doc = readFileSync(path.join(HARNESS_DIR, 'PROTOCOL.md'), 'utf8');
    expect(doc).toContain('<!-- verdict:job:start -->');
    expect(doc).toContain('<!-- verdict:result:start -->');
    expect(doc).toBe(withVerdictTables(doc, def));
  });

  it('is what the Python harness reads: the empty result, the job round trip, the version', async () => {
    const script = [
      'import json',
      'from kforge_harness.protocol import VERIFIER_VERSION, VerifyJob, empty_result',
      'r = empty_result("c", "cpu", "default", 1e-4, 1e-4)',
      'job = {"candidate_id": "c", "problem": {"name": "n", "code": "x", "key": "k"}, "kernel_source": "s"}',
      'print(json.dumps({"version": VERIFIER_VERSION, "result": r, "job": VerifyJob.from_dict(job).to_dict()}))',
    ].join('\n');
    const { stdout } = await execa(await findPython(), ['-c', script], { cwd: HARNESS_DIR });
    const py = JSON.parse(stdout) as { version: string; result: Record<string, unknown>; job: Record<string, unknown> };
    expect(py.version).toBe(readHarnessVersion());
    expect(Object.keys(py.result)).toEqual(def.result.map((f) => f.name));
    expect(verifyResultSchema.parse(py.result)).toEqual(py.result);
    expect(Object.keys(py.job)).toEqual(def.job.map((f) => f.name));
    for (const f of def.job.filter((g) => g.type.startsWith('object:'))) {
      expect(Object.keys(py.job[f.name] as object)).toEqual(def.objects[f.type.slice(7)]!.map((g) => g.name));
    }
  });

  it('matches the record columns in name, storage type and nullability (datasets/schema.ts)', () => {
    const stored = storedFields();
    expect(stored.length).toBeGreaterThan(40);
    for (const { field, column } of stored) {
      const spec = COLUMNS[column];
      expect(spec, `column ${column}`).toBeDefined();
      expect(storageOf(field.type), `${column}: ${field.type} stored as ${spec.kind}`).toContain(spec.kind);
      expect(spec.nullable, `${column} nullable`).toBe(field.nullable);
    }
    // A record fails at 'generate' before any verification; every other stage is the harness's.
    expect(FAIL_STAGES).toEqual(['generate', ...HARNESS_STAGES]);
  });

  it('is carried into the record field by field (stages/records.ts)', () => {
    const v = distinctiveResult();
    const record = buildRecord({
      runId: 'r', backend: 'cuda', precision: 'fp32', tolerancePolicy: 'loose', verifierVersion: 'unused', createdAt: '2026-01-01T00:00:00Z',
      problem: { key: 'k', source: 'builtin', file: null, level: 1, problemId: 1, name: 'p', code: 'x' },
      provider: { name: 'builtin', model: 'm', promptVersion: 'v' },
      idea: { id: 'i', round: 1, text: 'idea', category: 'memory_access' }, implIndex: 0, seeds: [],
      implementation: { source: 'src', failure: null, generation: { prompt: null, rawResponse: null, temperature: null, maxTokens: null, tokensIn: null, tokensOut: null, latencyMs: null, costUsd: null, fromCache: false } },
      verification: v,
    });
    for (const { at, column } of storedFields()) {
      const value = at.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], v);
      expect(record[column], column).toEqual(value);
    }
  });

  it('types the verification columns of the test and benchmark records (test/support/records.ts, bench/synthetic.ts)', () => {
    for (const record of [makeRecord(), syntheticRecord(1), syntheticRecord(2)]) {
      for (const { at, column } of storedFields()) {
        if (column === 'fail_stage') {
          expect([null, ...FAIL_STAGES]).toContain(record.fail_stage);
          continue;
        }
        expect(schemaAt(at).safeParse(record[column]).success, `${column} = ${JSON.stringify(record[column])}`).toBe(true);
      }
    }
  });
});
