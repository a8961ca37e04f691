/** Options several commands share: the configuration file and the problem selection. */
import type { Argv } from 'yargs';
import { BACKENDS, PRECISIONS } from '../../stages/verify/protocol.ts';

export interface SelectionArgs {
  config?: string | undefined;
  source?: string | undefined;
  level?: number[] | undefined;
  ids?: number[] | undefined;
  name?: string | undefined;
  limit?: number | undefined;
  set?: string[] | undefined;
  hfEndpoint?: string | undefined;
}

export function problemSelectionOptions<T>(yargs: Argv<T>): Argv<T & SelectionArgs> {
  return yargs
    .option('config', { alias: 'c', type: 'string', describe: 'run configuration (YAML); default: configs/default.yaml values' })
    .option('source', {
      type: 'string',
      describe: 'problem source: builtin, a .jsonl or .parquet file, a KernelBench checkout folder, or hf:owner/name (a Hugging Face dataset)',
    })
    .option('hf-endpoint', { type: 'string', describe: 'Hugging Face hub address for hf: sources (default $HF_ENDPOINT, else https://huggingface.co)' })
    .option('level', { type: 'number', array: true, describe: 'only these levels' })
    .option('ids', { type: 'number', array: true, describe: 'only these problem ids' })
    .option('name', { type: 'string', describe: 'only problems whose name matches this regular expression' })
    .option('limit', { type: 'number', describe: 'at most this many problems' })
    .option('set', { type: 'string', array: true, describe: 'override any config key: --set verify.trials=5' }) as Argv<T & SelectionArgs>;
}

/** A --source value as a config value: the file extension or folder decides the kind. */
export function parseSourceFlag(source: string | undefined): unknown {
  if (source === undefined) return undefined;
  if (source === 'builtin') return 'builtin';
  if (source.startsWith('hf:')) return { hf: source.slice(3) };
  if (source.endsWith('.jsonl') || source.endsWith('.json')) return { jsonl: source };
  if (source.endsWith('.parquet')) return { parquet: source };
  return { checkout: source };
}

export function selectionOverrides(args: SelectionArgs): Record<string, unknown> {
  const source = parseSourceFlag(args.source);
  const endpoint = args.hfEndpoint;
  return {
    // --hf-endpoint goes with an hf: source, given here or in the configuration file.
    ...(endpoint && source && typeof source === 'object' ? { 'problems.source': { ...source, endpoint } } : { 'problems.source': source }),
    ...(endpoint && !source ? { 'problems.source.endpoint': endpoint } : {}),
    'problems.levels': args.level,
    'problems.ids': args.ids,
    'problems.name': args.name,
    'problems.limit': args.limit,
  };
}

export interface RunArgs {
  backend?: string;
  precision?: string;
  tolerance?: string;
  out?: string;
  runId?: string;
  workers?: number;
  cache: boolean;
  progress: string;
}

/** The options of every command that verifies into a run folder (build, verify, serve). */
export function runOptions<T>(yargs: Argv<T>): Argv<T & RunArgs> {
  return yargs
    .option('backend', { choices: [...BACKENDS], describe: 'verification backend' })
    .option('precision', { choices: [...PRECISIONS], describe: 'dtype inputs and weights are cast to (KernelBench precision; default fp32)' })
    .option('tolerance', { choices: ['default', 'loose'], describe: 'tolerance policy' })
    .option('out', { type: 'string', describe: 'folder holding run folders (default runs/)' })
    .option('run-id', { type: 'string', describe: 'run id; rerunning an id continues that run' })
    .option('workers', { type: 'number', describe: 'candidate processes at once' })
    .option('cache', { type: 'boolean', default: true, describe: 'use the content cache (--no-cache to recompute everything)' })
    .option('progress', { choices: ['auto', 'bars', 'lines', 'silent'], default: 'auto', describe: 'progress display' }) as unknown as Argv<T & RunArgs>;
}

export function runOverrides(args: RunArgs): Record<string, unknown> {
  return {
    'verify.backend': args.backend,
    'verify.precision': args.precision,
    'verify.tolerance': args.tolerance,
    'verify.workers': args.workers,
    'run.out': args.out,
    'run.id': args.runId,
  };
}

/** A new run's id: the one asked for, else <command>-<UTC timestamp>. */
export function defaultRunId(prefix: string, asked: string | undefined): string {
  return asked ?? `${prefix}-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}`;
}
