/** `kforge serve`: verdicts over HTTP for RL loops, every one also a record of a run folder. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { describeSource, loadProblems } from '../../../kernelbench/sources/index.ts';
import { ContentCache } from '../../../stages/core/cache/content-cache.ts';
import { UsageError } from '../../../stages/core/errors/usage-error.ts';
import { findPython } from '../../../stages/verify/python.ts';
import { checkQueueReachable } from '../../build/create-verifier.ts';
import { openVerification } from '../../build/verification.ts';
import { loadRunConfig, parseSetFlags } from '../../config/load.ts';
import { ProblemIndex } from '../../imports/problem-index.ts';
import { newImportManifest } from '../../imports/run-verify.ts';
import { withInterrupt, type Interrupt } from '../../run/interrupt.ts';
import { lockRun } from '../../run/run-lock.ts';
import { RunSession } from '../../run/run-session.ts';
import { createHttpServer, isLoopback, listen } from '../../serve/http-server.ts';
import { VerdictService } from '../../serve/verdict-service.ts';
import { defaultRunId, problemSelectionOptions, runOptions, runOverrides, selectionOverrides, type RunArgs, type SelectionArgs } from '../shared-options.ts';
import { KFORGE_VERSION } from '../version.ts';

interface ServeArgs extends SelectionArgs, RunArgs {
  host: string;
  port: number;
  token?: string;
  model?: string;
  concurrency?: number;
  maxQueued: number;
  maxBodyBytes: number;
}

export const serveCommand: CommandModule<object, ServeArgs> = {
  command: 'serve',
  describe: 'Serve verdicts over HTTP (POST /verify) for RL loops; every verdict is also a record of a run folder',
  builder: (yargs: Argv) =>
    runOptions(problemSelectionOptions(yargs))
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'address to bind; beyond loopback a token is required' })
      .option('port', { type: 'number', default: 8765, describe: 'port (0: any free one, printed at start)' })
      .option('token', { type: 'string', describe: 'bearer token clients must send (default $KFORGE_SERVE_TOKEN; prefer the variable: flags show in ps)' })
      .option('model', { type: 'string', describe: 'model name for candidates that name none (default: unknown)' })
      .option('concurrency', { type: 'number', describe: 'candidates verified at once (default verify.workers)' })
      .option('max-queued', { type: 'number', default: 256, describe: 'candidates verifying or waiting before requests get 503' })
      .option('max-body-bytes', { type: 'number', default: 1_048_576, describe: 'largest request body (413 beyond)' }) as unknown as Argv<ServeArgs>,
  // Before anything starts a process: a Ctrl-C from here on stops the command cleanly.
  handler: (args: ArgumentsCamelCase<ServeArgs>) => withInterrupt((interrupt) => serve(args, interrupt)),
};

async function serve(args: ArgumentsCamelCase<ServeArgs>, interrupt: Interrupt): Promise<void> {
  const token = args.token ?? (process.env.KFORGE_SERVE_TOKEN || null);
  if (!isLoopback(args.host) && !token) {
    throw new UsageError(
      `kforge serve --host ${args.host} reaches beyond this machine: set a token (KFORGE_SERVE_TOKEN=<secret> kforge serve --host ${args.host}, clients send Authorization: Bearer <secret>), or bind 127.0.0.1`,
    );
  }
  const config = await loadRunConfig({ file: args.config, overrides: { ...selectionOverrides(args), ...runOverrides(args), ...parseSetFlags(args.set ?? []) } });
  await checkQueueReachable(config); // before the Python probe and the run folder
  const runId = defaultRunId('serve', config.run.id);
  const runDir = path.join(config.run.out, runId);
  const sourceLabel = describeSource(config.problems.source);
  const index = new ProblemIndex(await loadProblems(config.problems.source, config.problems), sourceLabel);
  const cache = config.cache.enabled && args.cache ? new ContentCache({ dir: config.cache.dir }) : null;
  const python = await findPython(config.verify.python);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  await mkdir(runDir, { recursive: true });
  const lock = await lockRun(runDir, log);
  try {
    const cacheHits = new Set<string>();
    const verification = await openVerification(config, { python, runDir, cache, interrupt, onHit: (job) => cacheHits.add(job.candidate_id) });
    try {
      const env = verification.environment;
      const model = args.model ?? 'unknown';
      const versions = { torch: env.torch_version ?? null, python: env.python_version ?? null, device: env.device_name ?? null };
      const session = await RunSession.open({
        runDir,
        config,
        newManifest: () => newImportManifest({ config, runId, model, kforgeVersion: KFORGE_VERSION }, { verifierVersion: verification.verifier.version, versions }),
      });
      const service = new VerdictService({
        config,
        session,
        index,
        verify: verification.verify,
        cacheHits,
        context: { runId, model, verifierVersion: verification.verifier.version, sourceLabel },
        concurrency: args.concurrency ?? config.verify.workers,
        maxQueued: args.maxQueued,
        log,
      });
      const server = createHttpServer(service, { host: args.host, port: args.port, token, maxBodyBytes: args.maxBodyBytes });
      const stopped = new Promise<void>((resolve) => interrupt.onInterrupt(() => resolve()));
      const url = await listen(server, args.host, args.port);
      log(
        `kforge serve: listening on ${url} (POST /verify); ${index.size} problem(s) from ${sourceLabel}; backend ${config.verify.backend} on ${String(env.device_name ?? '?')}; records to ${runDir}; ${token ? 'bearer token required' : 'no token (loopback only)'}`,
      );
      await stopped;
      // Stop taking requests, let the answers under way go out, then write what is complete.
      server.close();
      server.closeIdleConnections();
      await service.close();
      server.closeAllConnections();
      const manifest = session.manifest;
      log(`kforge serve: stopped; ${service.verdicts} verdict(s) given, ${manifest.counts.records} record(s) in ${runDir}`);
    } finally {
      await verification.close();
    }
  } finally {
    await lock.release();
  }
}
