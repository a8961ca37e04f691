/**
 * `npx tsx bench/resume.ts`: what the caches save and what a resume costs, on the resume tests' scenario
 * (builtin ReLU, 2 rounds x 2 ideas x 2 implementations, scripted OpenAI-compatible server on loopback).
 *  1. a first build (cold caches), 2. the same configuration into a new run folder (warm caches),
 *  3. a build killed -9 in the middle of a verification, then `kforge build --resume`.
 * Prints a markdown table: wall time, LLM requests the server received, verifications run.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Manifest } from '../pipeline/run/manifest.ts';
import { runLayout } from '../stages/core/run-layout.ts';
import { startOpenAiServer } from '../test/support/openai-server.ts';
import { scenarioArgs, scenarioResponder } from '../test/support/resume-scenario.ts';
import { runKforge } from '../test/support/run-kforge.ts';

const server = await startOpenAiServer({ respond: scenarioResponder() });
const work = await mkdtemp(path.join(tmpdir(), 'kforge-bench-resume-'));
const rows: string[] = [];

async function step(label: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  const before = server.requests.length;
  const started = performance.now();
  const run = await runKforge(args, { env });
  const seconds = (performance.now() - started) / 1000;
  const reused = /reused from the cache: (\d+) verification/.exec(run.stdout)?.[1] ?? '-';
  rows.push(`| ${label} | ${run.signal ?? run.exitCode} | ${seconds.toFixed(1)} | ${server.requests.length - before} | ${reused} |`);
}

await step('first build (cold caches)', scenarioArgs({ serverUrl: server.url, work, runId: 'first' }));
await step('same configuration, new run folder (warm caches)', scenarioArgs({ serverUrl: server.url, work, runId: 'second' }));
const fresh = scenarioArgs({ serverUrl: server.url, work, runId: 'killed', extra: ['--set', `cache.dir=${path.join(work, 'cache-killed')}`] });
await step('build killed -9 during its 5th verification', fresh, { KFORGE_CRASH_AT: 'verify:in-flight:5' });
await step('kforge build --resume of the killed run', ['build', '--resume', path.join(work, 'runs/killed'), '--progress', 'silent']);
const manifest = JSON.parse(await readFile(runLayout(path.join(work, 'runs/killed')).manifest, 'utf8')) as Manifest;
await server.close();

process.stdout.write(
  [
    '| step | exit | wall s | LLM requests received | verifications reused |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    `resumed run: ${manifest.counts.records} records, status ${manifest.status}, ${manifest.sessions.length} sessions`,
  ].join('\n') + '\n',
);
