/**
 * The benchmark's DuckDB-only reference (bench/dedup-sql.ts) normalises kernel sources exactly as
 * datasets/kernel-dedup.ts does: 20,000 random strings over the characters where the two could part
 * (quotes, backslashes, comment starts, directives, every kind of whitespace, non-ASCII), and a few
 * written out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishSql, pass1Sql } from '../../bench/dedup-sql.ts';
import { Duck } from '../../datasets/duck.ts';
import { normaliseKernelSource } from '../../datasets/kernel-dedup.ts';
import { seededRandom } from '../support/seeded-random.ts';

const PIECES = ['"', "'", '\\', '#', '/', '*', '\n', ' ', '\t', '\r', '\v', 'a', 'x', '1', '_', 'include', 'if', 'ifdef', 'define', '\u00a0', '\ufeff', '\u2028', '😀', 'é', '/*', '*/', '#include', '\\\n', '     ', '//'];
const WRITTEN = ['import torch\n# fast path\nx = a // 2  # halve\ns = "#not a comment"\n', '#include <cuda.h>\n/* block */int x;', 'y /* c */ #define Z\n/* a\n b */ #define W', '/*1\r/\n*/\\\n*/x #if', "s = 'a\\ b' \\\n c"];

describe('the SQL normaliser of the benchmark', () => {
  let d: Duck;
  const cases: string[] = [...WRITTEN];
  beforeAll(async () => {
    const r = seededRandom(7);
    for (let i = 0; i < 20_000; i++) cases.push(Array.from({ length: Math.floor(r() * 40) }, () => PIECES[Math.floor(r() * PIECES.length)]).join(''));
    d = await Duck.open([]);
    await d.run('CREATE TABLE t (i INTEGER, s VARCHAR)');
    const app = await d.conn.createAppender('t');
    cases.forEach((s, i) => (app.appendInteger(i), app.appendVarchar(s), app.endRow()));
    app.closeSync();
  });
  afterAll(() => d.close());

  it('gives the text normaliseKernelSource gives', async () => {
    const rows = await d.rows(`SELECT i, ${finishSql('p')} AS n FROM (SELECT i, ${pass1Sql('s')} AS p FROM t) ORDER BY i`);
    const wrong = rows.filter((r) => r.n !== normaliseKernelSource(cases[Number(r.i)]!)).map((r) => cases[Number(r.i)]);
    expect(wrong).toEqual([]);
    expect(rows).toHaveLength(cases.length);
  });
});
