/**
 * A KernelBench checkout: KernelBench/level{L}/{id}_{Name}.py. Also accepts the KernelBench folder
 * itself, or any folder laid out as level{L}/ (the builtin samples are stored that way).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ProblemSourceError } from '../../stages/core/errors/config-error.ts';
import type { Problem } from '../problem.ts';
import { decodeUtf8, toProblem } from './raw-problem.ts';

const LEVEL_DIR = /^level(\d+)$/;
const PROBLEM_FILE = /^(\d+)_.*\.py$/;

export async function readCheckout(root: string, sourceLabel = `checkout:${root}`): Promise<Problem[]> {
  const levelsRoot = await findLevelsRoot(root);
  const problems: Problem[] = [];
  const levelDirs = (await readdir(levelsRoot)).filter((d) => LEVEL_DIR.test(d)).sort();
  for (const dir of levelDirs) {
    const level = Number(LEVEL_DIR.exec(dir)![1]);
    const files = (await readdir(path.join(levelsRoot, dir))).filter((f) => PROBLEM_FILE.test(f));
    for (const file of files) {
      const full = path.join(levelsRoot, dir, file);
      const code = decodeUtf8(await readFile(full), full);
      const problemId = Number(PROBLEM_FILE.exec(file)![1]);
      const relative = path.relative(root, full);
      problems.push(toProblem({ level, problem_id: problemId, name: file.slice(0, -3), code }, sourceLabel, relative));
    }
  }
  return problems.sort((a, b) => a.level - b.level || a.problemId - b.problemId);
}

async function findLevelsRoot(root: string): Promise<string> {
  const info = await stat(root).catch(() => null);
  if (!info) {
    throw new ProblemSourceError(`Problem source ${root} does not exist. Give builtin, a .jsonl or .parquet file, or a KernelBench checkout (the folder holding KernelBench/level1/...).`);
  }
  if (!info.isDirectory()) {
    throw new ProblemSourceError(`Problem source ${root} is not a folder. Give a KernelBench checkout (the folder holding KernelBench/level1/...).`);
  }
  for (const candidate of [path.join(root, 'KernelBench'), root]) {
    const entries = await readdir(candidate).catch(() => [] as string[]);
    if (entries.some((e) => LEVEL_DIR.test(e))) return candidate;
  }
  throw new ProblemSourceError(`No level folders (level1/, level2/, ...) found in ${root} or ${path.join(root, 'KernelBench')}.`);
}
