/**
 * A build from a validated configuration: wires the provider, the verifier, the caches and the seed
 * bank, then runs it. The CLI and the tests both come through here, so they test what users run.
 */
import { mkdir } from 'node:fs/promises';
import type { Problem } from '../../kernelbench/problem.ts';
import { loadProblems } from '../../kernelbench/sources/index.ts';
import { ContentCache } from '../../stages/core/cache/content-cache.ts';
import type { RunConfig } from '../config/schema.ts';
import { ConfigError } from '../../stages/core/errors/config-error.ts';
import { RunStoppedError } from '../../stages/core/errors/run-stopping.ts';
import { KFORGE_VERSION } from '../cli/version.ts';
import type { Progress } from '../progress.ts';
import { findPython } from '../../stages/verify/python.ts';
import type { Interrupt } from '../run/interrupt.ts';
import { lockRun } from '../run/run-lock.ts';
import { journaledProvider } from '../run/search-journal.ts';
import { SeedBank } from '../search/seed-bank.ts';
import { createProvider } from './create-provider.ts';
import { QueueVerifier } from '../../stages/verify/queue/queue-verifier.ts';
import { checkQueueReachable } from './create-verifier.ts';
import { runBuild, type BuildOutcome } from './run-build.ts';
import { openVerification } from './verification.ts';

export interface BuildFromConfigOptions {
  config: RunConfig;
  runDir: string;
  runId: string;
  progress: Progress;
  /** false: recompute everything (--no-cache). */
  useCache?: boolean;
  log?: (line: string) => void;
  /** Ctrl-C / SIGTERM handling of the command (pipeline/run/interrupt.ts). */
  interrupt?: Interrupt;
}

export interface BuildReport extends BuildOutcome {
  verificationsReused: number;
  llmRepliesReused: number;
  llmRequestsSent: number;
}

export async function buildFromConfig(options: BuildFromConfigOptions): Promise<BuildReport> {
  const { config, runDir } = options;
  const problems = await loadProblems(config.problems.source, config.problems);
  if (!problems.length) {
    throw new ConfigError('The problem selection is empty: check problems.levels, problems.ids and problems.name (kforge problems lists what the source holds).');
  }
  const cache = config.cache.enabled && options.useCache !== false ? new ContentCache({ dir: config.cache.dir }) : null;
  // Before the Python probe and the run folder: an unreachable queue fails here, naming the URL and how to start Redis.
  await checkQueueReachable(config);
  const python = await findPython(config.verify.python);
  // Before any work: a missing endpoint fails here, with the ways to configure one.
  const created = createProvider(config, { python, runDir, cache });
  // Before anything is written to the run folder: a second build of the same run is refused here.
  await mkdir(runDir, { recursive: true });
  const lock = await lockRun(runDir, options.log);
  try {
    return await lockedBuild(options, problems, python, created, cache);
  } finally {
    await lock.release();
  }
}

async function lockedBuild(
  options: BuildFromConfigOptions,
  problems: Problem[],
  python: string,
  created: ReturnType<typeof createProvider>,
  cache: ContentCache | null,
): Promise<BuildReport> {
  const { config, runDir } = options;
  const { client } = created;
  const provider = journaledProvider(created.provider, runDir);
  const verification = await openVerification(config, { python, runDir, cache, interrupt: options.interrupt, reuse: options.useCache !== false, ...(options.log ? { log: options.log } : {}) });
  const { verifier, environment, verify } = verification;
  try {
    const bank = await SeedBank.load(config.search.bank, config.verify.backend);
    // Interrupted while starting up: no run folder is opened, so there is nothing to resume.
    if (options.interrupt?.signal) throw new RunStoppedError(`interrupted by ${options.interrupt.signal}`);
    options.log?.(
      `kforge build: ${problems.length} problem(s), provider ${provider.name} (${provider.model}), backend ${config.verify.backend} on ${String(environment.device_name ?? '?')}, run ${runDir}${bank.size ? `, bank of ${bank.size} kernel(s)` : ''}`,
    );
    const outcome = await runBuild(
      { config, problems, runDir, runId: options.runId, kforgeVersion: KFORGE_VERSION },
      {
        provider,
        verify,
        verifierVersion: verifier.version,
        bankSeeds: (problem) => bank.seedsFor(problem),
        progress: options.progress,
        versions: {
          torch: environment.torch_version ?? null,
          python: environment.python_version ?? null,
          device: environment.device_name ?? null,
        },
        ...(client ? { llmStatus: () => ({ ...client.status() }) } : {}),
        ...(options.interrupt ? { interrupt: options.interrupt } : {}),
        ...(verifier instanceof QueueVerifier ? { fleetLine: () => verifier.fleetLine(config.verify.backend) } : {}),
      },
    );
    const llm = client?.status();
    return { ...outcome, verificationsReused: verification.reused(), llmRepliesReused: llm?.cached ?? 0, llmRequestsSent: llm?.requestsSent ?? 0 };
  } finally {
    await verification.close();
  }
}
