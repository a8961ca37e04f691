/**
 * The problem key is computed in both languages (kernelbench/problem.ts for the pipeline,
 * kforge_harness/discovery.py for the harness on its own, gpu_suite.py included): they must agree, or a
 * problem verified by hand would not match the pipeline's records.
 */
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { problemKey } from '../../kernelbench/problem.ts';
import { findPython } from '../../stages/verify/python.ts';
import { REPO_ROOT } from '../support/paths.ts';

const INPUTS = [
  'import torch\nclass Model(torch.nn.Module):\n    def forward(self, x):\n        return torch.relu(x)  # the op\n',
  "s = '# not a comment'  # a comment\nt = \"it's\"\n",
  'x = "escaped \\" # still a string" # gone\r\ny = 1\r\n',
  '\n\n   \t\n# only a comment\n',
  'a = 1\fb = 2\u2028c = 3\x0bd = 4\n',
  '"""docstring # kept"""\nz = 3\n',
];

describe('problem key', () => {
  it('is the same in TypeScript and in the harness', async () => {
    const script = 'import json, sys\nfrom kforge_harness.discovery import problem_key\nprint(json.dumps([problem_key(c) for c in json.load(sys.stdin)]))';
    const { stdout } = await execa(await findPython(), ['-c', script], {
      cwd: path.join(REPO_ROOT, 'stages/verify/harness'),
      input: JSON.stringify(INPUTS),
    });
    expect(JSON.parse(stdout)).toEqual(INPUTS.map(problemKey));
  });
});
