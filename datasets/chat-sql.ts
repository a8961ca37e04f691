/**
 * The chat examples of chat-format.ts as DuckDB SQL over the `records` view, so that DuckDB writes
 * the JSON lines itself: the same text, and the same bytes as `JSON.stringify(chatExample(...))`
 * (test/datasets/chat-sql.test.ts compares them).
 */
import { sqlStr } from './duck.ts';

/** What JS's trimEnd removes: WhiteSpace and LineTerminator characters. */
const JS_TRIM_CHARS = '\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff';
const trimEnd = (e: string): string => `rtrim(${e}, ${sqlStr(JS_TRIM_CHARS)})`;

/**
 * A JSON string literal of `e`, byte for byte as JSON.stringify writes it. DuckDB's to_json escapes
 * like JSON.stringify except for the control characters whose \u escape has a hex letter (U+000B,
 * U+000E, U+000F, U+001A..U+001F): it writes them in upper case. The rare values holding one take an
 * escaper of our own (a replace per control character), the others DuckDB's.
 */
export function jsonStringSql(e: string): string {
  let esc = `replace(replace(${e}, '\\', '\\\\'), '"', '\\"')`;
  for (let c = 0; c < 32; c++) esc = `replace(${esc}, chr(${c}), ${sqlStr(JSON.stringify(String.fromCharCode(c)).slice(1, -1))})`;
  return `(CASE WHEN regexp_matches(${e}, '[\\x0B\\x0E\\x0F\\x1A-\\x1F]') THEN '"' || ${esc} || '"' ELSE to_json(${e})::VARCHAR END)`;
}

const NL = 'chr(10)';
const FENCE = "'```python'";

/** userPrompt() of chat-format.ts; with `withIdea`, the idea part when the record has one. */
function userSql(withIdea: boolean): string {
  const head = `'Optimise this PyTorch reference (KernelBench level ' || level::VARCHAR || ', ' || problem_name || ').' || ${NL} || ${NL}`;
  const code = `${FENCE} || ${NL} || ${trimEnd('problem_code')} || ${NL} || '\`\`\`'`;
  const idea = withIdea ? ` || (CASE WHEN coalesce(idea_text, '') <> '' THEN ${NL} || ${NL} || 'Implement this optimisation idea:' || ${NL} || idea_text ELSE '' END)` : '';
  return `${head} || ${code}${idea}`;
}

/** assistantReply() of chat-format.ts. */
const assistantSql = `${FENCE} || ${NL} || ${trimEnd('kernel_source')} || ${NL} || '\`\`\`'`;

/** One JSON line (without the newline) of {"messages": [system, user, assistant]}, as exportSft wrote it. */
export function chatLineSql(system: string, withIdea: boolean): string {
  // The fixed parts come from JSON.stringify itself, so key order and spacing cannot drift.
  const hole = '\u0000hole';
  const shape = JSON.stringify({ messages: [{ role: 'system', content: system }, { role: 'user', content: hole }, { role: 'assistant', content: hole }] });
  const [before, between, after] = shape.split(JSON.stringify(hole)) as [string, string, string];
  return `${sqlStr(before)} || ${jsonStringSql(userSql(withIdea))} || ${sqlStr(between)} || ${jsonStringSql(assistantSql)} || ${sqlStr(after)}`;
}
