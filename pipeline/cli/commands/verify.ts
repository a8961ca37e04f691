/** `kforge verify <generations...>`: kernels made elsewhere in, a run folder of verified records out. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { describeSource, loadProblems } from '../../../kernelbench/sources/index.ts';
import { ContentCache } from '../../../stages/core/cache/content-cache.ts';
import { findPython } from '../../../stages/verify/python.ts';
import { QueueVerifier } from '../../../stages/verify/queue/queue-verifier.ts';
import { checkQueueReachable } from '../../build/create-verifier.ts';
import { openVerification } from '../../build/verification.ts';
import { loadRunConfig, parseSetFlags } from '../../config/load.ts';
import { readGenerations } from '../../imports/read-generations.ts';
import { ProblemIndex } from '../../imports/problem-index.ts';
import { runVerifyImport, type ImportCounts } from '../../imports/run-verify.ts';
import { createProgress } from '../../progress.ts';
import { withInterrupt, type Interrupt } from '../../run/interrupt.ts';
import { lockRun } from '../../run/run-lock.ts';
import { defaultRunId, problemSelectionOptions, runOptions, runOverrides, selectionOverrides, type RunArgs, type SelectionArgs } from '../shared-options.ts';
import { formatSummary } from '../summary.ts';
import { KFORGE_VERSION } from '../version.ts';

interface VerifyArgs extends SelectionArgs, RunArgs {
  generations: string[];
  model?: string;
  maxCandidates?: number;
}

export const verifyCommand: CommandModule<object, VerifyArgs> = {
  command: 'verify <generations...>',
  describe: 'Verify kernels made elsewhere (a JSONL, a Parquet file, or a KernelBench runs folder) into a run folder of records',
  builder: (yargs: Argv) =>
    runOptions(problemSelectionOptions(yargs))
      .positional('generations', { type: 'string', array: true, describe: 'generations .jsonl / .parquet files, or folders of level_{L}_problem_{P}_sample_{S}_kernel.py' })
      .option('model', { type: 'string', describe: 'model name for candidates whose input names none (default: unknown)' })
      .option('max-candidates', { type: 'number', describe: 'stop cleanly after verifying this many (exit 3; rerun the same --run-id to continue)' }) as unknown as Argv<VerifyArgs>,
  // Before anything starts a process: a Ctrl-C from here on stops the command cleanly.
  handler: (args: ArgumentsCamelCase<VerifyArgs>) => withInterrupt((interrupt) => verify(args, interrupt)),
};

async function verify(args: ArgumentsCamelCase<VerifyArgs>, interrupt: Interrupt): Promise<void> {
  const config = await loadRunConfig({ file: args.config, overrides: { ...selectionOverrides(args), ...runOverrides(args), ...parseSetFlags(args.set ?? []) } });
  await checkQueueReachable(config); // before the Python probe and the run folder
  const runId = defaultRunId('verify', config.run.id);
  const runDir = path.join(config.run.out, runId);
  const candidates = (await Promise.all(args.generations.map((g) => readGenerations(g)))).flat();
  const sourceLabel = describeSource(config.problems.source);
  const index = new ProblemIndex(await loadProblems(config.problems.source, config.problems), sourceLabel);
  const cache = config.cache.enabled && args.cache ? new ContentCache({ dir: config.cache.dir }) : null;
  const python = await findPython(config.verify.python);
  await mkdir(runDir, { recursive: true });
  const lock = await lockRun(runDir, (line) => process.stderr.write(`${line}\n`));
  try {
    const verification = await openVerification(config, { python, runDir, cache, interrupt });
    try {
      const { environment: env, verifier } = verification;
      process.stderr.write(
        `kforge verify: ${candidates.length} candidate(s) from ${args.generations.join(', ')}, problems from ${sourceLabel} (${index.size}), backend ${config.verify.backend} on ${String(env.device_name ?? '?')}, run ${runDir}\n`,
      );
      const { manifest, counts } = await runVerifyImport(
        { config, runDir, runId, candidates, index, sourceLabel, model: args.model ?? 'unknown', kforgeVersion: KFORGE_VERSION, maxCandidates: args.maxCandidates },
        {
          verify: verification.verify,
          verifierVersion: verification.verifier.version,
          progress: createProgress(args.progress as 'auto'),
          versions: { torch: env.torch_version ?? null, python: env.python_version ?? null, device: env.device_name ?? null },
          interrupt,
          ...(verifier instanceof QueueVerifier ? { fleetLine: () => verifier.fleetLine(config.verify.backend) } : {}),
        },
      );
      process.stdout.write(formatSummary(manifest, runDir));
      process.stdout.write(formatImportCounts(counts, verification.reused()));
      if (manifest.status === 'interrupted') {
        process.stdout.write(`interrupted (${manifest.stop_reason}): what was complete is written; continue with the same command (--run-id ${runId})\n`);
        process.exitCode = interrupt.exitCode!;
      } else if (manifest.status === 'stopped') {
        process.stdout.write(`stopped: ${manifest.stop_reason}. Continue with the same command (--run-id ${runId})\n`);
        process.exitCode = 3;
      }
    } finally {
      await verification.close();
    }
  } finally {
    await lock.release();
  }
}

export function formatImportCounts(c: ImportCounts, reused: number): string {
  const failures = Object.entries(c.loadFailures);
  const failed = failures.reduce((n, [, k]) => n + k, 0);
  return (
    `input: ${c.read} candidate(s); verified now: ${c.verified} (${reused} from the cache); load failures: ${failed}` +
    (failed ? ` (${failures.map(([kind, n]) => `${kind} ${n}`).join(', ')})` : '') +
    `; already in the run: ${c.alreadyInRun}; duplicates in the input: ${c.duplicates}` +
    (c.notStarted ? `; not started: ${c.notStarted}` : '') +
    '\n'
  );
}
