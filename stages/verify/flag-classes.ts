/**
 * Which flags are suspect (the verdict cannot be trusted) and which informative, as the harness
 * defines them in kforge_harness/flags.py (FLAG_DOCS, SUSPECT_FLAGS). Read from that file so there is
 * one definition; test/verify/flag-classes.test.ts checks this reading against Python's own sets.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FLAGS_PY = fileURLToPath(new URL('./harness/kforge_harness/flags.py', import.meta.url));

export interface FlagClasses {
  suspect: ReadonlySet<string>;
  informative: ReadonlySet<string>;
}

export class FlagClassesError extends Error {
  override readonly name = 'FlagClassesError';
}

/** The quoted names of the top-level `NAME...= {` block of a Python file (dict keys or set items). */
function namesOf(text: string, name: string, keysOnly: boolean): string[] {
  const start = text.search(new RegExp(`^${name}\\b[^=\\n]*=\\s*\\{`, 'm'));
  if (start < 0) throw new FlagClassesError(`${FLAGS_PY}: no ${name} = {...} block`);
  const end = text.indexOf('\n}', start);
  const body = text.slice(text.indexOf('{', start) + 1, end);
  const re = keysOnly ? /^\s*"([^"]+)"\s*:/gm : /"([^"]+)"/g;
  return [...body.matchAll(re)].map((m) => m[1]!);
}

export function readFlagClasses(file = FLAGS_PY): FlagClasses {
  const text = readFileSync(file, 'utf8');
  const all = namesOf(text, 'FLAG_DOCS', true);
  const suspect = new Set(namesOf(text, 'SUSPECT_FLAGS', false));
  return { suspect, informative: new Set(all.filter((f) => !suspect.has(f))) };
}
