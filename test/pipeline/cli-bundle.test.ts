/**
 * bin/kforge.js runs the CLI from a bundle of its sources (bin/cli-bundle.js): the bundle must behave as
 * the sources do (each module's import.meta.url its own file's), be rebuilt as soon as any source it was
 * built from changes, and be reused, not rebuilt, while none does. Checked on a small tree of its own, so
 * the repository's sources are never touched.
 */
import { mkdir, mkdtemp, readdir, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { cliBundle, STALE_MS } from '../../bin/cli-bundle.js';
import { REPO_ROOT } from '../support/paths.ts';

async function tree(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'kforge-bundle-'));
  await mkdir(path.join(root, 'lib'));
  // A package import, left outside the bundle and found in the tree's node_modules.
  await symlink(path.join(REPO_ROOT, 'node_modules'), path.join(root, 'node_modules'));
  await writeFile(path.join(root, 'main.ts'), "import { where, word } from './lib/where.ts';\nimport { z } from 'zod';\nconsole.log(JSON.stringify({ where, word: z.string().parse(word) }));\n");
  await writeFile(path.join(root, 'lib/where.ts'), "export const where: string = import.meta.url;\nexport const word: string = 'one';\n");
  return root;
}

const run = async (bundle: string) => JSON.parse((await execa(process.execPath, [bundle])).stdout) as { where: string; word: string };

describe('the CLI bundle', () => {
  it('runs as the sources do, is reused while they are unchanged, and rebuilt when one changes', async () => {
    const root = await tree();
    const first = (await cliBundle('main.ts', root))!;
    expect(first).not.toBeNull();
    expect(path.dirname(first)).toBe(path.join(root, '.kforge-cli'));
    expect(await run(first)).toEqual({ where: pathToFileURL(path.join(root, 'lib/where.ts')).href, word: 'one' });

    const built = (await stat(first)).mtimeMs;
    expect(await cliBundle('main.ts', root)).toBe(first);
    expect((await stat(first)).mtimeMs).toBe(built); // reused, not written again

    await writeFile(path.join(root, 'lib/where.ts'), "export const where: string = import.meta.url;\nexport const word: string = 'two';\n");
    const second = (await cliBundle('main.ts', root))!;
    expect(second).not.toBe(first);
    expect((await run(second)).word).toBe('two');
    // The replaced bundle stays while a kforge starting at that moment may still import it, then goes.
    const listing = async () => (await readdir(path.join(root, '.kforge-cli'))).sort();
    expect(await listing()).toEqual([path.basename(first), path.basename(second), 'bundles.json'].sort());
    const old = new Date(Date.now() - STALE_MS - 60_000);
    await utimes(first, old, old);
    await writeFile(path.join(root, 'lib/where.ts'), "export const where: string = import.meta.url;\nexport const word: string = 'three';\n");
    const third = (await cliBundle('main.ts', root))!;
    expect((await run(third)).word).toBe('three');
    expect(await listing()).toEqual([path.basename(second), path.basename(third), 'bundles.json'].sort());
  });

  it('gives null (the caller runs from source) when the sources do not build', async () => {
    const root = await tree();
    await writeFile(path.join(root, 'lib/where.ts'), 'export const where: string = ;\n');
    expect(await cliBundle('main.ts', root)).toBeNull();
  });
});
