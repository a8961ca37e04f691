/** `kforge build`: problems in, a run folder of verified records out. */
import path from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { buildFromConfig } from '../../build/build-from-config.ts';
import { expandDotted, loadRunConfig, mergeDeep, parseSetFlags, validateRunConfig } from '../../config/load.ts';
import { ConfigError } from '../../../stages/core/errors/config-error.ts';
import { createProgress } from '../../progress.ts';
import { withInterrupt, type Interrupt } from '../../run/interrupt.ts';
import { readManifest } from '../../run/manifest.ts';
import { defaultRunId, problemSelectionOptions, runOptions, runOverrides, selectionOverrides, type RunArgs, type SelectionArgs } from '../shared-options.ts';
import { formatSummary } from '../summary.ts';
import { RUN_FILES, runLayout } from '../../../stages/core/run-layout.ts';

/** A build that completed with an empty run: distinct from 0 (records written) and 1 (an error). */
export const NO_RECORDS_EXIT_CODE = 5;

interface BuildArgs extends SelectionArgs, RunArgs {
  provider?: string;
  rounds?: number;
  ideas?: number;
  impls?: number;
  beam?: number;
  resume?: string;
  baseUrl?: string;
  model?: string;
  maxTokens?: number;
  maxUsd?: number;
}

export const buildCommand: CommandModule<object, BuildArgs> = {
  command: 'build',
  describe: 'Build a dataset: ideas, kernels, verification and Parquet records for each problem',
  builder: (yargs: Argv) =>
    runOptions(problemSelectionOptions(yargs))
      .option('provider', { choices: ['auto', 'openai', 'builtin'], describe: 'who writes ideas and kernels (auto: openai if an endpoint is configured)' })
      .option('rounds', { type: 'number', describe: 'search rounds per problem (R)' })
      .option('ideas', { type: 'number', describe: 'ideas per round (K)' })
      .option('impls', { type: 'number', describe: 'implementations per idea (M)' })
      .option('beam', { type: 'number', describe: 'best kernels carried into the next round (B)' })
      .option('resume', { type: 'string', describe: 'continue a run folder (runs/<id>) with its own configuration' })
      .option('base-url', { type: 'string', describe: 'OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1' })
      .option('model', { type: 'string', describe: 'model name at the endpoint' })
      .option('max-tokens', { type: 'number', describe: 'stop cleanly after this many LLM tokens (in + out)' })
      .option('max-usd', { type: 'number', describe: 'stop cleanly after this much LLM cost (needs provider.prices)' }) as unknown as Argv<BuildArgs>,
  // Before anything starts a process: a Ctrl-C from here on stops the command cleanly.
  handler: (args: ArgumentsCamelCase<BuildArgs>) => withInterrupt((interrupt) => build(args, interrupt)),
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
    ...runOverrides(args),
    'provider.kind': args.provider,
    'provider.base_url': args.baseUrl,
    'provider.model': args.model,
    'search.rounds': args.rounds,
    'search.ideas_per_round': args.ideas,
    'search.impls_per_idea': args.impls,
    'search.beam': args.beam,
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
  const runId = defaultRunId('build', config.run.id);
  return { config, runDir: path.join(config.run.out, runId), runId };
}
