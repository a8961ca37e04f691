/**
 * The chat JSON lines DuckDB writes (datasets/chat-sql.ts) are byte for byte what
 * JSON.stringify(chatExample(...)) gives, on the values where the two could part: every control
 * character (DuckDB's to_json writes some \u escapes in upper case), quotes and backslashes, unicode,
 * trailing whitespace of every kind trimEnd removes, empty and missing ideas.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatExample, DEFAULT_SYSTEM_PROMPT } from '../../datasets/chat-format.ts';
import { chatLinesSql } from '../../datasets/chat-sql.ts';
import { Duck } from '../../datasets/duck.ts';

const controls = Array.from({ length: 32 }, (_, c) => String.fromCharCode(c)).join('');
const TEXTS = [
  `all controls ${controls} end`,
  'esc \u001b[31mred\u001b[0m and vt \u000b',
  'quotes "a" \'b\' back\\slash \\n not a newline',
  'unicode ünï ∑ 😀 \u2028 \u2029 \u007f',
  'trailing whitespace of every kind \t\n\u000b\u000c\r \u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000\ufeff',
  '   leading kept',
  '',
];

describe('chat lines written by DuckDB', () => {
  let d: Duck;
  const rows = TEXTS.flatMap((t, i) => [
    { level: 1 + i, problem_name: `p ${t.slice(0, 8)}`, problem_code: `import torch ${t}`, kernel_source: `class ModelNew: ${t}`, idea_text: t },
    { level: 2, problem_name: 'plain', problem_code: t, kernel_source: t, idea_text: `idea ${t}` },
  ]);
  beforeAll(async () => {
    d = await Duck.open([]);
    // An appender, not SQL literals: DuckDB's parser stops at a NUL character.
    await d.run('CREATE TABLE records (level INTEGER, problem_name VARCHAR, problem_code VARCHAR, kernel_source VARCHAR, idea_text VARCHAR, i INTEGER)');
    const app = await d.conn.createAppender('records');
    rows.forEach((r, i) => {
      app.appendInteger(r.level);
      for (const v of [r.problem_name, r.problem_code, r.kernel_source, r.idea_text]) app.appendVarchar(v);
      app.appendInteger(i);
      app.endRow();
    });
    app.closeSync();
  });
  afterAll(() => d.close());

  it.each([false, true])('withIdea %s: the same bytes as JSON.stringify(chatExample)', async (withIdea) => {
    for (const system of [DEFAULT_SYSTEM_PROMPT, `custom "system" \u001f ${controls}`]) {
      const got = (await d.rows(`${chatLinesSql(system, withIdea, 'true')}`)).map((r) => r.line);
      expect(got).toEqual(rows.map((r) => JSON.stringify(chatExample(r, system, withIdea))));
    }
  });
});
