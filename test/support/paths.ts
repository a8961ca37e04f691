/** Paths tests share: the repository root and the shared test data beside the checkout. */
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const REPO_ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** ../shared/kernelbench/problems.jsonl: the 270 KernelBench problems (test data, not part of the product). */
export const SHARED_PROBLEMS_JSONL = path.resolve(REPO_ROOT, '../shared/kernelbench/problems.jsonl');
