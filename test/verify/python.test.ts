/**
 * findPython looks torch up without importing it (a few ms instead of 2-3 s per kforge command): an
 * interpreter without torch is still passed over, with the reason, and one with torch is taken.
 */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPython, PythonNotFoundError } from '../../stages/verify/python.ts';

describe('findPython', () => {
  it('takes a python that has torch', async () => {
    await expect(findPython('/usr/bin/python3')).resolves.toBe('/usr/bin/python3');
  });

  it('refuses a python without torch, saying so and what to set', async () => {
    // -S: no site-packages, so this interpreter cannot see Debian's torch.
    const bare = path.join(await mkdtemp(path.join(tmpdir(), 'kforge-bare-python-')), 'python3');
    await writeFile(bare, '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n');
    await chmod(bare, 0o755);
    const error = await findPython(bare).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PythonNotFoundError);
    expect((error as Error).message).toContain(`${bare}: no torch`);
    expect((error as Error).message).toContain('KFORGE_PYTHON');
  });

  it('says when the interpreter cannot run at all', async () => {
    const error = await findPython('/nonexistent/python3').catch((e: unknown) => e);
    expect((error as Error).message).toContain('/nonexistent/python3: cannot run');
  });
});
