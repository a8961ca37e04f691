import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLAGS_PY, readFlagClasses } from '../../stages/verify/flag-classes.ts';

describe('flag classes', () => {
  it('are read from flags.py exactly as Python defines them', () => {
    // flags.py has no imports: any Python 3 reads it.
    const py = 'import json, flags; print(json.dumps([sorted(flags.SUSPECT_FLAGS), sorted(flags.INFORMATIVE_FLAGS)]))';
    const [suspect, informative] = JSON.parse(execFileSync('/usr/bin/python3', ['-c', py], { cwd: dirname(FLAGS_PY), encoding: 'utf8' })) as string[][];
    const ours = readFlagClasses();
    expect([...ours.suspect].sort()).toEqual(suspect);
    expect([...ours.informative].sort()).toEqual(informative);
    expect(ours.suspect.has('faster_than_light')).toBe(true);
    expect(ours.informative.has('speedup_over_10x')).toBe(true);
  });
});
