// The kforge CLI's sources bundled into one ES module, kept in .kforge-cli/ of this checkout and rebuilt
// when a source it was built from changes. Why: through tsx every one of the ~150 source modules goes
// through tsx's loader hooks, which run on their own thread and answer each import by message; a
// `kforge --help` took 4.3 s of CPU that way and 1.9 s from the bundle (2-core dev machine, Node 20).
// Packages stay outside the bundle (imported from node_modules as usual). Nothing about the build changes
// what runs: the same TypeScript through the same esbuild transform tsx uses, one module graph.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** A replaced bundle is removed when older than this. */
export const STALE_MS = 10 * 60_000;
/** This checkout. */
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** @param {string} text */
const sha = (text) => createHash('sha256').update(text).digest('hex');

/**
 * The bundle of `entry` (a path under `root`) if it is up to date with every file it was built from;
 * otherwise builds it, into `root`/.kforge-cli/ (bare imports then resolve from `root`'s node_modules).
 * Returns its path, or null when no bundle can be had (no esbuild, a read-only checkout): the caller
 * then runs the sources through tsx as before.
 * @param {string} entry
 * @param {string} [root]
 * @returns {Promise<string | null>}
 */
export async function cliBundle(entry, root = ROOT) {
  const key = sha(entry).slice(0, 16);
  const current = fresh(root, key);
  if (current) return current;
  try {
    return await rebuild(root, entry, key);
  } catch (e) {
    if (process.env['KFORGE_DEBUG_BUNDLE']) process.stderr.write(`kforge: running from source (no bundle: ${String(e)})\n`);
    return null;
  }
}

/** @param {string} root */
const dirOf = (root) => path.join(root, '.kforge-cli');
/** @param {string} root */
const manifestOf = (root) => path.join(dirOf(root), 'bundles.json');

/**
 * The recorded bundle for `key` when each of its inputs still has the content it was built from.
 * @param {string} root
 * @param {string} key
 * @returns {string | null}
 */
function fresh(root, key) {
  try {
    /** @type {Record<string, { bundle: string; inputs: Record<string, string> }>} */
    const manifest = JSON.parse(readFileSync(manifestOf(root), 'utf8'));
    const entry = manifest[key];
    if (!entry) return null;
    for (const [file, digest] of Object.entries(entry.inputs)) {
      if (sha(readFileSync(path.join(root, file), 'utf8')) !== digest) return null;
    }
    return path.join(dirOf(root), entry.bundle);
  } catch {
    return null; // no manifest yet, or an input gone: build again
  }
}

/**
 * @param {string} root
 * @param {string} entry
 * @param {string} key
 */
async function rebuild(root, entry, key) {
  const { build } = await import('esbuild');
  /** @type {Record<string, string>} the digest of each source exactly as it went into the bundle */
  const inputs = {};
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'silent',
    sourcemap: 'inline',
    plugins: [{
      name: 'kforge-module-urls',
      setup(b) {
        // Each module keeps its own import.meta.url, so files found next to it (the harness, prompts,
        // package.json) are found as when it runs from source.
        b.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
          if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
          const source = readFileSync(args.path, 'utf8');
          inputs[path.relative(root, args.path)] = sha(source);
          const contents = source.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href));
          return { contents, loader: args.path.endsWith('ts') ? 'ts' : 'js' };
        });
      },
    }],
  });
  const code = result.outputFiles[0]?.text;
  if (!code) throw new Error('esbuild wrote no output');
  const dir = dirOf(root);
  mkdirSync(dir, { recursive: true });
  const name = `${key}-${sha(code).slice(0, 16)}.mjs`;
  // Written whole then renamed: several kforge processes starting at once never read half a file.
  writeAtomically(path.join(dir, name), code);
  /** @type {Record<string, unknown>} */
  let manifest = {};
  try {
    manifest = JSON.parse(readFileSync(manifestOf(root), 'utf8'));
  } catch {
    // first bundle
  }
  manifest[key] = { bundle: name, inputs };
  writeAtomically(manifestOf(root), JSON.stringify(manifest, null, 1));
  // Bundles of this entry that sources edited since replaced, once no kforge starting can still be
  // about to import one (a process that read the old manifest a moment ago).
  for (const old of readdirSync(dir)) {
    const file = path.join(dir, old);
    if (old.startsWith(`${key}-`) && old !== name && Date.now() - statSync(file).mtimeMs > STALE_MS) rmSync(file, { force: true });
  }
  return path.join(dir, name);
}

/**
 * @param {string} file
 * @param {string} text
 */
function writeAtomically(file, text) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}
