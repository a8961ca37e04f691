/**
 * A small deterministic build for the resume, budget and fault tests: the builtin ReLU problem, two
 * rounds of two ideas (one correct kernel, one wrong) implemented twice each, small part files so a
 * run writes several. Plain-PyTorch kernels keep each verification to about a second.
 */
import path from 'node:path';
import type { Responder } from './openai-server.ts';
import { fastRelu, wrongRelu } from './python-kernels.ts';
import { scriptedKernelResponder } from './scripted-llm.ts';

export const SCENARIO_CANDIDATES = 8; // 2 rounds x 2 ideas x 2 implementations

export function scenarioResponder(): Responder {
  return scriptedKernelResponder((prompt) => {
    const round = prompt.includes('No ideas have been tried') ? 1 : 2;
    return [
      { marker: `R${round}-FAST`, text: `elementwise identity trick, round ${round}`, category: 'compute_instructions', kernel: () => fastRelu(`R${round}-FAST`) },
      { marker: `R${round}-WRONG`, text: `skip the halving, round ${round}`, category: 'precision', kernel: () => wrongRelu(`R${round}-WRONG`) },
    ];
  });
}

export function scenarioArgs(options: { serverUrl: string; work: string; runId: string; extra?: string[] }): string[] {
  return [
    'build', '--source', 'builtin', '--name', '^1001_ReLU$', '--base-url', options.serverUrl, '--model', 'scripted',
    '--rounds', '2', '--ideas', '2', '--impls', '2', '--beam', '1',
    '--out', path.join(options.work, 'runs'), '--run-id', options.runId, '--progress', 'silent',
    '--set', `cache.dir=${path.join(options.work, 'cache')}`, '--set', 'run.part_size=2',
    '--set', 'verify.trials=1', '--set', 'verify.repeats=3', '--set', 'verify.warmup=1',
    '--set', 'concurrency.implement=2', '--set', 'concurrency.verify=2',
    ...(options.extra ?? []),
  ];
}
