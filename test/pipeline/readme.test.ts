import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { schemaMarkdown } from '../../datasets/schema-doc.ts';
import { REPO_ROOT } from '../support/paths.ts';

describe('README', () => {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  it('documents every record column as the schema defines it (run npm run docs:schema after a change)', () => {
    expect(readme).toContain(schemaMarkdown());
  });
  it('gives the test command that CI runs', () => {
    const ci = readFileSync(path.join(REPO_ROOT, '.ci/run'), 'utf8');
    const testLine = ci.split('\n').find((l) => l.includes('npm test'))!.trim();
    expect(readme).toContain(testLine);
  });
});
