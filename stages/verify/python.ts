/**
 * Find a Python interpreter that can import torch. The `python3` on PATH may lack torch (a pyenv
 * build), while Debian's /usr/bin/python3 has it; GPU hosts have their own. Order: the explicit
 * choice (configuration), $KFORGE_PYTHON, `python3`, `/usr/bin/python3`. The first found is cached.
 */
import { execa } from 'execa';

export class PythonNotFoundError extends Error {
  override readonly name = 'PythonNotFoundError';
  constructor(readonly tried: { python: string; why: string }[]) {
    super(
      [
        'No Python interpreter with torch was found. Tried:',
        ...tried.map((t) => `  - ${t.python}: ${t.why}`),
        'Set KFORGE_PYTHON (or verify.python in the run configuration) to a python that can `import torch`.',
      ].join('\n'),
    );
  }
}

const found = new Map<string, Promise<string>>();

/** Resolves to an interpreter path/command that imports torch; rejects with PythonNotFoundError. */
export function findPython(preferred?: string): Promise<string> {
  const candidates = candidateList(preferred);
  const key = candidates.join('\0');
  let pending = found.get(key);
  if (!pending) {
    pending = firstWithTorch(candidates);
    found.set(key, pending);
    pending.catch(() => found.delete(key)); // a later call (after installing torch) may succeed
  }
  return pending;
}

function candidateList(preferred?: string): string[] {
  // An explicit choice is the only one tried: silently falling back would verify with another torch.
  if (preferred) return [preferred];
  const fromEnv = process.env['KFORGE_PYTHON'];
  if (fromEnv) return [fromEnv];
  return ['python3', '/usr/bin/python3'];
}

async function firstWithTorch(candidates: string[]): Promise<string> {
  const tried: { python: string; why: string }[] = [];
  for (const python of candidates) {
    const why = await torchProblem(python);
    if (why === null) return python;
    tried.push({ python, why });
  }
  throw new PythonNotFoundError(tried);
}

/**
 * Asks Python where torch would be imported from, without importing it: the import takes 2-3 s of CPU
 * and every verification that follows imports it anyway (the harness's environment probe first, which
 * reports a torch that is installed but broken with its own error), while a lookup takes a few ms.
 */
const FIND_TORCH = "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('torch') else 3)";

/** null when `python` has torch installed; otherwise why not. */
async function torchProblem(python: string): Promise<string | null> {
  try {
    const r = await execa(python, ['-c', FIND_TORCH], { reject: false, timeout: 60_000, cleanup: false });
    if (r.exitCode === 3) return 'no torch (no module named torch)';
    if (r.exitCode === 0) return null;
    const last = String(r.stderr).trim().split('\n').at(-1) ?? '';
    return r.failed && r.exitCode === undefined ? `cannot run (${r.shortMessage})` : `no torch (${last})`;
  } catch (e) {
    return `cannot run (${(e as Error).message})`;
  }
}
