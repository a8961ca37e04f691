/**
 * What is written from the verdict definition: protocol.ts (the zod schema and the job type) and
 * PROTOCOL.md's job and result tables. scripts/update-verdict.ts writes them; test/verify/verdict.test.ts
 * fails when the files on disk differ from what this renders.
 */
import type { VerdictDefinition, VerdictField } from './verdict-definition.ts';

const pascal = (name: string): string => name.replace(/(^|_)([a-z])/g, (_m, _s, c: string) => c.toUpperCase());
const camel = (name: string): string => name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
/** backend -> BACKENDS, tolerance_policy -> TOLERANCE_POLICIES. */
export const enumConstName = (name: string): string => `${name.toUpperCase().replace(/Y$/, 'IE')}S`;
const objectSchemaName = (name: string): string => `${camel(name)}Schema`;
const tsDoc = (doc: string, indent: string): string => `${indent}/** ${doc.replace(/`/g, '').replace(/\*\//g, '* /')} */\n`;

function zodOf(type: string): string {
  if (type.endsWith('[]')) return `z.array(${zodOf(type.slice(0, -2))})`;
  const [kind, name] = type.split(':') as [string, string | undefined];
  if (kind === 'enum') return `z.enum(${enumConstName(name!)})`;
  if (kind === 'object') return objectSchemaName(name!);
  return { string: 'z.string()', int: 'z.number().int()', number: 'z.number()', bool: 'z.boolean()' }[kind] ?? kind;
}

function tsTypeOf(def: VerdictDefinition, type: string): string {
  if (type.endsWith('[]')) return `${tsTypeOf(def, type.slice(0, -2))}[]`;
  const [kind, name] = type.split(':') as [string, string | undefined];
  if (kind === 'enum') return pascal(name!);
  if (kind === 'object') return `{ ${def.objects[name!]!.map((f) => `${f.name}: ${tsField(def, f)}`).join('; ')} }`;
  return { string: 'string', int: 'number', number: 'number', bool: 'boolean' }[kind] ?? kind;
}

const tsField = (def: VerdictDefinition, f: VerdictField): string => `${tsTypeOf(def, f.type)}${f.nullable ? ' | null' : ''}`;

function zodObject(fields: VerdictField[]): string {
  return `z.object({\n${fields.map((f) => `${tsDoc(f.doc, '  ')}  ${f.name}: ${zodOf(f.type)}${f.nullable ? '.nullable()' : ''},\n`).join('')}})`;
}

/** Objects a result uses, in the order they must be declared. */
function resultObjects(def: VerdictDefinition): string[] {
  return def.result.filter((f) => f.type.startsWith('object:')).map((f) => f.type.slice('object:'.length));
}

export function renderProtocolTs(def: VerdictDefinition): string {
  const out: string[] = [
    '/**',
    ' * The contract between the pipeline and the Python verification harness: jobs go in as JSON lines,',
    ' * results come out as JSON lines; both sides validate (harness/PROTOCOL.md says the same for people).',
    ' *',
    ' * GENERATED from harness/kforge_harness/verdict.json by `npx tsx scripts/update-verdict.ts`: edit the',
    ' * JSON, never this file (test/verify/verdict.test.ts fails when the two differ).',
    ' */',
    "import { z } from 'zod';",
    '',
  ];
  for (const [name, e] of Object.entries(def.enums)) {
    out.push(`${tsDoc(e.doc, '')}export const ${enumConstName(name)} = [${e.values.map((v) => `'${v}'`).join(', ')}] as const;`);
    out.push(`export type ${pascal(name)} = (typeof ${enumConstName(name)})[number];`, '');
  }
  out.push('export interface VerifyJob {');
  for (const f of def.job) out.push(`${tsDoc(f.doc, '  ')}  ${f.name}${f.optional ? '?' : ''}: ${tsField(def, f)};`);
  out.push('}', '');
  for (const name of resultObjects(def)) {
    out.push(`export const ${objectSchemaName(name)} = ${zodObject(def.objects[name]!)};`);
    out.push(`export type ${pascal(name)} = z.infer<typeof ${objectSchemaName(name)}>;`, '');
  }
  out.push(`export const verifyResultSchema = ${zodObject(def.result)};`);
  out.push('export type VerifyResult = z.infer<typeof verifyResultSchema>;');
  return `${out.join('\n')}\n`;
}

const cell = (text: string): string => text.replace(/(?<!\\)\|/g, '\\|');

function mdType(def: VerdictDefinition, type: string): string {
  if (type.endsWith('[]')) return `${mdType(def, type.slice(0, -2))}[]`;
  const [kind, name] = type.split(':') as [string, string | undefined];
  if (kind === 'enum') return def.enums[name!]!.values.map((v) => `\`${v}\``).join(' \\| ');
  if (kind === 'object') return `\`{${def.objects[name!]!.map((f) => f.name).join(', ')}}\``;
  return kind;
}

function mdRows(def: VerdictDefinition, fields: VerdictField[], prefix: string, withNull: boolean): string[] {
  return fields.flatMap((f) => {
    const row = `| \`${prefix}${f.name}\` | ${mdType(def, f.type)} |${withNull ? ` ${f.nullable ? 'yes' : 'no'} |` : ''} ${cell(f.doc)} |`;
    const inner = f.type.startsWith('object:') && withNull ? mdRows(def, def.objects[f.type.slice(7)]!, `${prefix}${f.name}.`, withNull) : [];
    return [row, ...inner];
  });
}

/** PROTOCOL.md's job table. */
export function renderJobTable(def: VerdictDefinition): string {
  return ['| field | type | |', '|---|---|---|', ...mdRows(def, def.job, '', false)].join('\n') + '\n';
}

/** PROTOCOL.md's result table: every field, and every field of the objects inside it. */
export function renderResultTable(def: VerdictDefinition): string {
  return ['| field | type | null | |', '|---|---|---|---|', ...mdRows(def, def.result, '', true)].join('\n') + '\n';
}

/** A document with its `<!-- verdict:NAME:start/end -->` sections replaced by the tables. */
export function withVerdictTables(doc: string, def: VerdictDefinition): string {
  const tables: Record<string, string> = { job: renderJobTable(def), result: renderResultTable(def) };
  return doc.replace(/<!-- verdict:(\w+):start -->\n[\s\S]*?<!-- verdict:\1:end -->/g, (whole, name: string) =>
    tables[name] === undefined ? whole : `<!-- verdict:${name}:start -->\n${tables[name]}<!-- verdict:${name}:end -->`,
  );
}
