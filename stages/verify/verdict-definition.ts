/**
 * The one definition of the verification job and result (harness/kforge_harness/verdict.json), read
 * and validated. The harness reads the same file in Python; protocol.ts and PROTOCOL.md's tables are
 * rendered from it (verdict-render.ts), and the record columns are checked against it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const VERDICT_JSON = fileURLToPath(new URL('./harness/kforge_harness/verdict.json', import.meta.url));
/** The harness version, one line, read by both languages. */
export const VERSION_FILE = fileURLToPath(new URL('./harness/kforge_harness/VERSION', import.meta.url));

const fieldType = z.string().regex(/^(string|int|number|bool)(\[\])?$|^(enum|object):[a-z_]+$/);

const fieldSchema = z.strictObject({
  name: z.string().regex(/^[a-z_][a-z0-9_]*$/),
  type: fieldType,
  nullable: z.boolean(),
  doc: z.string().min(1),
  /** Results only: the value before any stage filled it (placeholders in angle brackets, see $comment). */
  empty: z.unknown().optional(),
  /** Results only: the record column it is stored in; null: not stored; '<fields>': one column per field. */
  record: z.string().nullable().optional(),
  /** Jobs only: the field may be left out (the harness uses its default); rendered as an optional property. */
  optional: z.boolean().optional(),
});
export type VerdictField = z.infer<typeof fieldSchema>;

const definitionSchema = z.strictObject({
  $comment: z.string(),
  enums: z.record(z.string(), z.strictObject({ values: z.array(z.string()).min(1), doc: z.string() })),
  objects: z.record(z.string(), z.array(fieldSchema)),
  job: z.array(fieldSchema),
  result: z.array(fieldSchema),
});
export type VerdictDefinition = z.infer<typeof definitionSchema>;

export class VerdictDefinitionError extends Error {
  override readonly name = 'VerdictDefinitionError';
}

export function readVerdictDefinition(file = VERDICT_JSON): VerdictDefinition {
  const parsed = definitionSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new VerdictDefinitionError(`${file}: ${parsed.error.message}`);
  const def = parsed.data;
  for (const field of [...def.job, ...def.result, ...Object.values(def.objects).flat()]) {
    const [kind, name] = field.type.split(':');
    if (kind === 'enum' && !(name! in def.enums)) throw new VerdictDefinitionError(`${field.name}: no enum ${name}`);
    if (kind === 'object' && !(name! in def.objects)) throw new VerdictDefinitionError(`${field.name}: no object ${name}`);
  }
  return def;
}

export function readHarnessVersion(file = VERSION_FILE): string {
  const version = readFileSync(file, 'utf8').trim();
  if (!/^kforge-harness\/\d+\.\d+\.\d+$/.test(version)) throw new VerdictDefinitionError(`${file}: not a harness version: ${JSON.stringify(version)}`);
  return version;
}
