/**
 * The run folder's layout is named in one module, stages/core/run-layout.ts: no other source file
 * spells out a layout name (manifest.json, build.lock, budget.json, part-NNNNN.parquet, or records/,
 * journal/, scratch/ as a path segment). Only string, template and regex literals are read (through the
 * compiler's parser), so comments and prose may name the files freely.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execaSync } from 'execa';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { RUN_FILES, runLayout } from '../../stages/core/run-layout.ts';
import { REPO_ROOT } from '../support/paths.ts';

const LAYOUT_MODULE = 'stages/core/run-layout.ts';
const SOURCE_FOLDERS = ['pipeline/', 'stages/', 'datasets/', 'kernelbench/', 'bench/', 'scripts/', 'bin/'];
const FILE_NAMES = [RUN_FILES.manifest, RUN_FILES.lock, RUN_FILES.budget];
const FOLDER_NAMES: readonly string[] = [RUN_FILES.records, RUN_FILES.journal, RUN_FILES.scratch];
const PATH_CALLS = new Set(['join', 'resolve']);

function literalText(node: ts.Node): string | null {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isRegularExpressionLiteral(node)) return node.text;
  if (ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) return node.text;
  return null;
}

function isPathCallArgument(node: ts.Node): boolean {
  const call = node.parent;
  if (!call || !ts.isCallExpression(call) || !call.arguments.includes(node as ts.Expression)) return false;
  const callee = call.expression;
  const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
  return PATH_CALLS.has(name);
}

/** Why a literal spells out the layout, or null. */
function layoutName(node: ts.Node, text: string): string | null {
  const file = FILE_NAMES.find((name) => text.includes(name));
  if (file) return file;
  if (/part-(\d|\*|\\d|\(|$)/.test(text)) return 'part-NNNNN.parquet';
  for (const folder of FOLDER_NAMES) {
    if (new RegExp(`(^|/)${folder}/|/${folder}$`).test(text)) return `${folder}/`;
    if (text === folder && isPathCallArgument(node)) return `${folder}/`;
  }
  return null;
}

/** `file:line: literal (name)` for every literal of `source` that spells out a layout name. */
export function layoutLiterals(file: string, source: string): string[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    const text = literalText(node);
    const name = text === null ? null : layoutName(node, text);
    if (name) found.push(`${file}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${node.getText()} (${name})`);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

function sourceFiles(): string[] {
  const { stdout } = execaSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.mts', '*.js'], { cwd: REPO_ROOT });
  return stdout.split('\n').filter((f) => f && f !== LAYOUT_MODULE && SOURCE_FOLDERS.some((d) => f.startsWith(d)));
}

describe('the run folder layout has one home', () => {
  it('no source file outside stages/core/run-layout.ts spells out a run folder name', () => {
    const found = sourceFiles().flatMap((f) => layoutLiterals(f, readFileSync(path.join(REPO_ROOT, f), 'utf8')));
    expect(found).toEqual([]);
  });

  it('sees the spellings it forbids, and leaves other uses of the words alone', () => {
    const bad = [
      "join(run, 'records')",
      'path.resolve(run, "scratch")',
      "`${run}/budget.json`",
      "'runs/x/manifest.json'",
      '`part-${String(n).padStart(5, "0")}.parquet`',
      '/^part-(\\d{5})\\.parquet$/',
      "join(dir, 'records', '*.parquet')",
      "'records/part-*.parquet'",
      "`${dir}/journal`",
      "open(path.join(dir, 'build.lock'), 'wx')",
    ];
    for (const line of bad) expect(layoutLiterals('x.ts', `const v = ${line};`), line).toHaveLength(1);
    const fine = ["progress.done('records')", "option('records', { type: 'number' })", "// records/part-00001.parquet", "'start from scratch'"];
    for (const line of fine) expect(layoutLiterals('x.ts', `const v = ${line};`), line).toEqual([]);
    expect(runLayout('runs/a').partFile(3)).toBe(path.join('runs/a', 'records', 'part-00003.parquet'));
  });
});
