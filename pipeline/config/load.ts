/**
 * Loading a run configuration: YAML file, then environment, then command-line flags, each overriding
 * the last; validated once at the end so an error names the key whichever layer it came from.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../../stages/core/errors/config-error.ts';
import { runConfigSchema, type RunConfig } from './schema.ts';

/** A partial configuration tree; flags and environment produce these. */
export type ConfigOverrides = Record<string, unknown>;

export interface LoadConfigOptions {
  /** YAML file; omitted: the embedded defaults. */
  file?: string | undefined;
  /** Dotted paths to values, e.g. { 'verify.backend': 'cuda' }; undefined values are ignored. */
  overrides?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
}

export async function loadRunConfig(options: LoadConfigOptions = {}): Promise<RunConfig> {
  const base = options.file ? await readConfigFile(options.file) : {};
  const withEnv = mergeDeep(base, envOverrides(options.env ?? process.env));
  const merged = mergeDeep(withEnv, expandDotted(options.overrides ?? {}));
  return validateRunConfig(merged, options.file ?? '(defaults and flags)');
}

export function validateRunConfig(raw: unknown, origin: string): RunConfig {
  const parsed = runConfigSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new ConfigError(`Invalid run configuration in ${origin}:`, parsed.error.issues.map(describeIssue));
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path.length ? issue.path.join('.') : '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length ? `${key}.` : '';
    return `unknown key ${issue.keys.map((k) => `"${where}${k}"`).join(', ')} (check the spelling against configs/default.yaml)`;
  }
  return `${key}: ${issue.message}`;
}

async function readConfigFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read the run configuration ${file}: ${(error as Error).message}`);
  }
  try {
    const value: unknown = parseYaml(text);
    if (value === null || value === undefined) return {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new ConfigError(`The run configuration ${file} must be a YAML mapping (key: value), not ${Array.isArray(value) ? 'a list' : typeof value}.`);
    }
    return value;
  } catch (error) {
    if (error instanceof YAMLParseError) {
      throw new ConfigError(`The run configuration ${file} is not valid YAML: ${error.message}`);
    }
    throw error;
  }
}

/** KFORGE_BASE_URL and KFORGE_MODEL configure an endpoint without a file. */
function envOverrides(env: NodeJS.ProcessEnv): ConfigOverrides {
  const provider: Record<string, unknown> = {};
  if (env.KFORGE_BASE_URL) provider.base_url = env.KFORGE_BASE_URL;
  if (env.KFORGE_MODEL) provider.model = env.KFORGE_MODEL;
  return Object.keys(provider).length ? { provider } : {};
}

export function expandDotted(flat: Record<string, unknown>): ConfigOverrides {
  const root: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(flat)) {
    if (value === undefined) continue;
    const keys = path.split('.');
    let node = root;
    for (const key of keys.slice(0, -1)) {
      const next = node[key];
      if (typeof next !== 'object' || next === null) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[keys[keys.length - 1]!] = value;
  }
  return root;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function mergeDeep(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = mergeDeep(base[key], value);
  return out;
}

/** Parse `--set key.path=value` flags: numbers, booleans and JSON lists become typed values. */
export function parseSetFlags(items: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set expects key.path=value, got "${item}"`);
    const raw = item.slice(eq + 1);
    out[item.slice(0, eq)] = parseScalar(raw);
  }
  return out;
}

function parseScalar(raw: string): unknown {
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (/^-?\d+(\.\d+)?(e-?\d+)?$/i.test(raw)) return Number(raw);
  if (raw.startsWith('[') || raw.startsWith('{')) {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return raw;
    }
  }
  return raw;
}
