/**
 * datasets/kernel-dedup.ts's normaliser written as DuckDB SQL (RE2 regexes), for the benchmark's
 * reference point: what DuckDB alone costs for the same export, dedup included. Not used by kforge
 * (measured slower than the byte loop: docs/datasets-bench.md); test/datasets/dedup-sql.test.ts checks
 * that it gives the same text as the normaliser.
 *
 * Pass 1 is a tokenizer: every match starts where the normaliser would be outside strings and
 * comments, so strings (kept whole), block comments, `#` comments (dropped) and preprocessor lines
 * (kept: a line start, then only whitespace or block comments, then `#` and the directive within
 * the 12-character window the normaliser looks at) are found where the normaliser finds them. After
 * it, whitespace is left inside strings only; rows without a backslash before whitespace drop all of
 * it (translate), the others keep escaped whitespace inside strings (two more passes).
 */
const KEYWORDS = ['include', 'define', 'pragma', 'if', 'ifdef', 'ifndef', 'endif', 'else', 'elif', 'undef'];
/** JS's \s (what the normaliser's window regex calls whitespace). */
const JS_SPACE = '[\\t\\n\\x0B\\f\\r \\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}\\x{feff}]';
const STRING = `"(?:[^"\\\\\\n]|\\\\(?s:.))*"?|'(?:[^'\\\\\\n]|\\\\(?s:.))*'?`;
/** Up to the first closing star-slash, or to the end when there is none. */
const BLOCK = '/\\*(?:[^*]|\\*+[^*/])*(?:\\*+/|\\**$)';
/** `#`, JS whitespace and a keyword within 12 characters; a word boundary unless the window ends there. */
const DIRECTIVE = `#(?:${KEYWORDS.map((k) => `${JS_SPACE}{0,${10 - k.length}}${k}\\b|${JS_SPACE}{${11 - k.length}}${k}`).join('|')})`;
const ASCII_SPACE = '[ \\t\\r\\x0B\\f\\n]';
const PASS1 = `(${STRING})|(^|\\n)(?:[ \\t\\r\\x0B\\f]|${BLOCK})*(${DIRECTIVE})|${BLOCK}|#[^\\n]*`;

const sq = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** Pass 1 over the VARCHAR expression `e`: comments gone, strings and preprocessor lines kept. */
export const pass1Sql = (e: string): string => `regexp_replace(${e}, ${sq(PASS1)}, '\\1\\2\\3', 'g')`;

/** The normalised text from pass 1's result `p` (a column: it is used three times). */
export function finishSql(p: string): string {
  const outsideStrings = `regexp_replace(${p}, ${sq(`(${STRING})|${ASCII_SPACE}+`)}, '\\1', 'g')`;
  const unescaped = `regexp_replace(${outsideStrings}, ${sq(`(\\\\(?s:.))|${ASCII_SPACE}`)}, '\\1', 'g')`;
  const all = `translate(${p}, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13), '')`;
  return `(CASE WHEN regexp_matches(${p}, ${sq(`\\\\${ASCII_SPACE}`)}) THEN ${unescaped} ELSE ${all} END)`;
}
