/**
 * Where a command may write. Checked before any reading starts, so a bad --out costs nothing and says
 * why: an output inside one of the inputs (a filter written into a run folder would add a part file
 * the run then counts twice), an existing output (unless --overwrite), a parent that is a file
 * (/dev/null/x), a virtual file system (/proc, /sys, /dev: writes there hang or mean something else),
 * a folder where a file is wanted (report --out <folder>).
 */
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../stages/core/errors/usage-error.ts';

export interface OutputCheck {
  /** What is written: one file, or a folder (filter: a path not ending in .parquet). */
  kind: 'file' | 'folder';
  /** Input paths; the output may be neither inside one nor hold one. */
  inputs?: readonly string[];
  overwrite?: boolean;
  /** The flag, for the message. */
  flag?: string;
}

const VIRTUAL_ROOTS = ['/proc', '/sys', '/dev'];

/** Real path of `p`, or of its nearest existing ancestor joined with the rest. */
function realish(p: string): string {
  const abs = path.resolve(p);
  let existing = abs;
  while (!existsSync(existing)) existing = path.dirname(existing);
  return path.join(realpathSync(existing), path.relative(existing, abs));
}

const inside = (child: string, parent: string): boolean => child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);

export function checkOutputPath(out: string, check: OutputCheck): void {
  const flag = check.flag ?? '--out';
  const abs = path.resolve(out);
  let ancestor = path.dirname(abs);
  while (!existsSync(ancestor)) ancestor = path.dirname(ancestor);
  if (!statSync(ancestor).isDirectory()) throw new UsageError(`${flag} ${out}: ${ancestor} is a file, not a folder; give a path in a folder you can write to.`);
  const real = realish(abs);
  const root = VIRTUAL_ROOTS.find((r) => inside(real, r));
  if (root) throw new UsageError(`${flag} ${out}: ${root} is a virtual file system of the kernel, not a place for data; give a path on a disk.`);
  for (const input of check.inputs ?? []) {
    if (!existsSync(input)) continue;
    const realInput = realpathSync(input);
    // An input folder may hold nothing of the output; an input file may only not be overwritten (a
    // file beside it is fine: readers are given that file, not its folder).
    const clash = statSync(realInput).isDirectory() ? inside(real, realInput) : real === realInput;
    if (clash || inside(realInput, real)) {
      throw new UsageError(`${flag} ${out} is inside the input ${input} (or holds it): the output would be read as part of the input. Write it somewhere else.`);
    }
  }
  if (!existsSync(abs)) return;
  const st = statSync(abs);
  if (check.kind === 'file' && st.isDirectory()) throw new UsageError(`${flag} ${out} is a folder; give a file name, e.g. ${path.join(out, 'report.html')}.`);
  if (check.kind === 'folder' && !st.isDirectory()) throw new UsageError(`${flag} ${out} is a file; give a folder (or a name ending in .parquet for one file).`);
  const empty = st.isDirectory() && readdirSync(abs).length === 0;
  if (!empty && !check.overwrite) throw new UsageError(`${flag} ${out} already exists${st.isDirectory() ? ' and is not empty' : ''}; pass --overwrite to replace it, or choose another path.`);
}
