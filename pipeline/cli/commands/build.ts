/** `kforge build`: problems in, a run folder of verified records out. */
import path from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { buildFromConfig } from '../../build/build-from-config.ts';
import { expandDotted, loadRunConfig, mergeDeep, parseSetFlags, validateRunConfig } from '../../config/load.ts';
import { ConfigError } from '../../../stages/core/errors/config-error.ts';
import { createProgress } from '../../progress.ts';
import { Interrupt } from '../../run/interrupt.ts';
import { readManifest } from '../../run/manifest.ts';
import { problemSelectionOptions, selectionOverrides, type SelectionArgs } from '../shared-options.ts';
import { formatSummary } from '../summary.ts';
import { BACKENDS, PRECISIONS } from '../../../stages/verify/protocol.ts';
import { RUN_FILES, runLayout } from '../../../stages/core/run-layout.ts';

/** A build that completed with an empty run: distinct from 0 (records written) and 1 (an error). */
export const NO_RECORDS_EXIT_CODE = 5;

interface BuildArgs extends SelectionArgs {
  provider?: string;
  backend?: string;
  precision?: string;
  tolerance?: string;
  rounds?: number;
  ideas?: number;
  impls?: number;
  beam?: number;
  out?: string;
  runId?: string;
  resume?: string;
  baseUrl?: string;
  model?: string;
  maxTokens?: number;
  maxUsd?: number;
  workers?: number;
  cache: boolean;
  progress: string;
}

export const buildCommand: CommandModule<object, BuildArgs> = {
  command: 'build',
  describe: 'Build a dataset: ideas, kernels, verification and Parquet records for each problem',
  builder: (yargs: Argv) =>
    problemSelectionOptions(yargs)
      .option('provider', { choices: ['auto', 'openai', 'builtin'], describe: 'who writes ideas and kernels (auto: openai if an endpoint is configured)' })
      .option('backend', { choices: [...BACKENDS], describe: 'verification backend' })
      .option('precision', { choices: [...PRECISIONS], describe: 'dtype inputs and weights are cast to (KernelBench precision; default fp32)' })
      .option('tolerance', { choices: ['default', 'loose'], describe: 'tolerance policy' })
      .option('rounds', { type: 'number', describe: 'search rounds per problem (R)' })
      .option('ideas', { type: 'number', describe: 'ideas per round (K)' })
      .option('impls', { type: 'number', describe: 'implementations per idea (M)' })
      .option('beam', { type: 'number', describe: 'best kernels carried into the next round (B)' })
      .option('out', { type: 'string', describe: 'folder holding run folders (default runs/)' })
      .option('run-id', { type: 'string', describe: 'run id; rerunning an id continues that run' })
      .option('resume', { type: 'string', describe: 'continue a run folder (runs/<id>) with its own configuration' })
      .option('base-url', { type: 'string', describe: 'OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1' })
      .option('model', { type: 'string', describe: 'model name at the endpoint' })
      .option('max-tokens', { type: 'number', describe: 'stop cleanly after this many LLM tokens (in + out)' })
      .option('max-usd', { type: 'number', describe: 'stop cleanly after this much LLM cost (needs provider.prices)' })
      .option('workers', { type: 'number', describe: 'candidate processes at once' })
      .option('cache', { type: 'boolean', default: true, describe: 'use the content cache (--no-cache to recompute everything)' })
      .option('progress', { choices: ['auto', 'bars', 'lines', 'silent'], default: 'auto', describe: 'progress display' }) as unknown as Argv<BuildArgs>,
  handler: async (args: ArgumentsCamelCase<BuildArgs>) => {
    // Before anything starts a process: a Ctrl-C from here on stops the build cleanly.
    const interrupt = new Interrupt().install();
    try {
      await build(args, interrupt);
    } finally {
      interrupt.uninstall();
    }
  },
};

async function build(args: ArgumentsCamelCase<BuildArgs>, interrupt: Interrupt): Promise<void> {
  const { config, runDir, runId } = await resolveRun(args);
  let report;
  try {
    report = await buildFromConfig({
      config,
      runDir,
      runId,
      progress: createProgress(args.progress as 'auto'),
      useCache: args.cache,
      log: (line) => process.stderr.write(`${line}\n`),
      interrupt,
    });
  } catch (error) {
    // Interrupted before the run folder was opened (interpreter check, environment probe): nothing to keep.
    if (!interrupt.signal) throw error;
    process.stderr.write(`kforge: interrupted by ${interrupt.signal} before any candidate was verified\n`);
    process.exitCode = interrupt.exitCode!;
    return;
  }
  process.stdout.write(formatSummary(report.manifest, runDir));
  process.stdout.write(
    `reused from the cache: ${report.verificationsReused} verification(s), ${report.llmRepliesReused} LLM repl(ies); LLM requests sent: ${report.llmRequestsSent}\n`,
  );
  if (report.manifest.status === 'interrupted') {
    process.stdout.write(`interrupted (${report.manifest.stop_reason}): what was complete is written; continue with kforge build --resume ${runDir}\n`);
    process.exitCode = interrupt.exitCode!;
  } else if (report.manifest.status === 'stopped') {
    process.stdout.write(`stopped: ${report.manifest.stop_reason}. Continue with: kforge build --resume ${runDir}\n`);
    process.exitCode = 3;
  } else if (report.manifest.counts.records === 0) {
    // Nothing to train on is not a success a script should take for one.
    process.stderr.write(`kforge: the build wrote no records (every problem skipped or no candidate produced); see the summary above for why\n`);
    process.exitCode = NO_RECORDS_EXIT_CODE;
  }
}

async function resolveRun(args: BuildArgs) {
  const overrides: Record<string, unknown> = {
    ...selectionOverrides(args),
    'provider.kind': args.provider,
    'provider.base_url': args.baseUrl,
    'provider.model': args.model,
    'verify.backend': args.backend,
    'verify.precision': args.precision,
    'verify.tolerance': args.tolerance,
    'verify.workers': args.workers,
    'search.rounds': args.rounds,
    'search.ideas_per_round': args.ideas,
    'search.impls_per_idea': args.impls,
    'search.beam': args.beam,
    'run.out': args.out,
    'run.id': args.runId,
    'budget.max_tokens': args.maxTokens,
    'budget.max_usd': args.maxUsd,
    ...parseSetFlags(args.set ?? []),
  };
  if (args.resume) {
    const manifest = await readManifest(args.resume);
    if (!manifest) throw new ConfigError(`--resume ${args.resume}: no ${RUN_FILES.manifest} there; give the run folder, e.g. runs/<id>.`);
    // The run's own configuration, with only what the flags change (a larger budget, say).
    const config = validateRunConfig(mergeDeep(manifest.config, expandDotted(overrides)), runLayout(args.resume).manifest);
    return { config, runDir: args.resume, runId: manifest.run_id };
  }
  const config = await loadRunConfig({ file: args.config, overrides });
  const runId = config.run.id ?? `build-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}`;
  return { config, runDir: path.join(config.run.out, runId), runId };
}
