/**
 * The chat examples of chat-format.ts as DuckDB SQL over the `records` view, so that DuckDB writes
 * the JSON lines itself: the same text, and the same bytes as `JSON.stringify(chatExample(...))`
 * (test/datasets/chat-sql.test.ts compares them).
 */
import { sqlStr } from './duck.ts';

/**
 * JS's trimEnd: its WhiteSpace and LineTerminator characters, as a regex anchored at the end (RE2
 * runs such a pattern backwards from the end, so only the tail is read; rtrim() reads the whole text).
 */
const JS_TRIM_CLASS = '[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]';
const trimEnd = (e: string): string => `regexp_replace(${e}, ${sqlStr(`${JS_TRIM_CLASS}+$`)}, '')`;

/** The control characters whose \u escape has a hex letter: DuckDB writes those in upper case. */
const UPPER_ESCAPED = [0x0b, 0x0e, 0x0f, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f];

/**
 * A JSON string literal of `e`, byte for byte as JSON.stringify writes it. DuckDB's to_json escapes
 * like JSON.stringify except for UPPER_ESCAPED; the rare values holding one take an escaper of our
 * own (a replace per control character), the others DuckDB's. `e` should be a column (it is used
 * three times).
 */
export function jsonStringSql(e: string): string {
  let esc = `replace(replace(${e}, '\\', '\\\\'), '"', '\\"')`;
  for (let c = 0; c < 32; c++) esc = `replace(${esc}, chr(${c}), ${sqlStr(JSON.stringify(String.fromCharCode(c)).slice(1, -1))})`;
  const odd = UPPER_ESCAPED.map((c) => `contains(${e}, chr(${c}))`).join(' OR ');
  return `(CASE WHEN ${odd} THEN '"' || ${esc} || '"' ELSE to_json(${e})::VARCHAR END)`;
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

/**
 * One JSON line (without the newline) of {"messages": [system, user, assistant]}, as exportSft wrote
 * it, for the rows of `records` that `where` keeps, as a SELECT with one column `line`.
 */
export function chatLinesSql(system: string, withIdea: boolean, where: string): string {
  // The fixed parts come from JSON.stringify itself, so key order and spacing cannot drift.
  const hole = '\u0000hole';
  const shape = JSON.stringify({ messages: [{ role: 'system', content: system }, { role: 'user', content: hole }, { role: 'assistant', content: hole }] });
  const [before, between, after] = shape.split(JSON.stringify(hole)) as [string, string, string];
  const line = `${sqlStr(before)} || ${jsonStringSql('u')} || ${sqlStr(between)} || ${jsonStringSql('a')} || ${sqlStr(after)}`;
  return `SELECT ${line} AS line FROM (SELECT ${userSql(withIdea)} AS u, ${assistantSql} AS a FROM records WHERE ${where})`;
}
