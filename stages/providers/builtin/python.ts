/**
 * Find a Python that has torch, for the analysis script. Local to the builtin provider until a shared
 * pipeline/python.ts exists: KFORGE_PYTHON, then `python3`, then /usr/bin/python3 (Debian's torch).
 */
import { execa } from 'execa';

let found: Promise<string> | null = null;

export class NoTorchPythonError extends Error {
  constructor(tried: string[]) {
    super(`no Python with torch found (tried ${tried.join(', ')}); set KFORGE_PYTHON`);
    this.name = 'NoTorchPythonError';
  }
}

async function hasTorch(python: string): Promise<boolean> {
  try {
    await execa(python, ['-c', 'import torch'], { timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

export function findTorchPython(): Promise<string> {
  found ??= (async () => {
    const candidates = [process.env.KFORGE_PYTHON, 'python3', '/usr/bin/python3'].filter(
      (c): c is string => typeof c === 'string' && c.length > 0,
    );
    for (const c of candidates) {
      if (await hasTorch(c)) return c;
    }
    throw new NoTorchPythonError(candidates);
  })();
  return found;
}
