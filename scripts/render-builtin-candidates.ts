/**
 * Render every builtin candidate to a folder of files, so two commits can be compared byte for byte
 * (`diff -r`): a refactoring of the templates, or a move of the code around them, must leave every
 * rendered source as it was. For each problem of level 1 or 2 and each backend (cpu, cuda), every
 * catalogue idea at every implementation variant is rendered through the builtin provider, as a build
 * would; a problem or idea the provider refuses gets its reason written instead.
 *
 *   npx tsx scripts/render-builtin-candidates.ts --out /tmp/rendered [--problems NAME=/path/problems.jsonl ...]
 *
 * The problem sets are the builtin problems and the fixture KernelBench (test/fixtures/kernelbench),
 * plus each --problems JSONL named (rendered under out/NAME/). It imports only modules whose paths have
 * not moved since before issue 12, so the same file runs in an older checkout (one without the fixture
 * KernelBench is told so; give it that file with --problems fixture=FILE). The analysis needs a Python
 * with torch.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBuiltinProvider } from '../stages/providers/builtin/index.ts';
import { readCheckout } from '../kernelbench/sources/checkout.ts';
import { readJsonlProblems } from '../kernelbench/sources/jsonl.ts';
import type { Problem } from '../kernelbench/problem.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BACKENDS = ['cpu', 'cuda'] as const;

const USAGE = 'usage: render-builtin-candidates.ts --out DIR [--problems NAME=FILE.jsonl ...]';

function options(argv: string[]): { out: string; jsonl: [string, string][] } {
  const out = argv[argv.indexOf('--out') + 1];
  if (!argv.includes('--out') || !out) throw new Error(USAGE);
  const jsonl = argv.flatMap((a, i) => (a === '--problems' ? [argv[i + 1] ?? ''] : [])).map((spec): [string, string] => {
    const [name, file] = spec.split('=', 2);
    if (!name || !file) throw new Error(`--problems ${spec}: give NAME=FILE.jsonl. ${USAGE}`);
    return [name, file];
  });
  return { out, jsonl };
}

async function problemSets(jsonl: [string, string][]): Promise<[string, Problem[]][]> {
  const sets: [string, Problem[]][] = [['builtin', await readCheckout(join(ROOT, 'kernelbench/builtin'), 'builtin')]];
  const fixture = join(ROOT, 'test/fixtures/kernelbench/problems.jsonl');
  if (existsSync(fixture)) sets.push(['fixture', await readJsonlProblems(fixture)]);
  else process.stderr.write(`no fixture KernelBench in this checkout (${fixture}); give one with --problems fixture=FILE\n`);
  for (const [name, file] of jsonl) sets.push([name, await readJsonlProblems(file)]);
  return sets.map(([name, problems]) => [name, problems.filter((p) => p.level === 1 || p.level === 2)]);
}

async function main(): Promise<void> {
  const { out, jsonl } = options(process.argv.slice(2));
  const provider = createBuiltinProvider();
  const counts = { problems: 0, candidates: 0, failures: 0, unsupported: 0 };
  for (const [set, problems] of await problemSets(jsonl)) {
    for (const problem of problems) {
      counts.problems++;
      for (const backend of BACKENDS) {
        const dir = join(out, set, `L${problem.level}_${problem.problemId}_${problem.name}`, backend);
        await mkdir(dir, { recursive: true });
        const reason = await provider.unsupportedReason(problem, backend);
        if (reason !== null) {
          counts.unsupported++;
          await writeFile(join(dir, 'unsupported.txt'), `${reason}\n`);
          continue;
        }
        for (const [i, idea] of (await provider.catalogue(problem, backend)).entries()) {
          for (let variant = 0; variant < Math.max(1, idea.implVariants.length); variant++) {
            const request = { problem, backend, idea: { id: '', round: 1, text: idea.text, category: idea.category }, implIndex: variant, seeds: [], precision: 'fp32' as const }; // fp32: what existed before the move (older commits ignore the field)
            const impl = await provider.implement(request);
            const stem = join(dir, `${String(i).padStart(2, '0')}_${idea.category}_v${variant}`);
            if (impl.source === null) counts.failures++;
            else counts.candidates++;
            await writeFile(impl.source === null ? `${stem}.failure.txt` : `${stem}.py`, impl.source ?? `${impl.failure}\n`);
          }
        }
      }
    }
    process.stderr.write(`${set}: ${problems.length} problem(s) rendered\n`);
  }
  process.stdout.write(`${JSON.stringify(counts)}\n`);
}

await main();
