/** The command line's errors say what to do, and fail before any work is done. */
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runKforge } from '../support/run-kforge.ts';

describe('kforge errors', () => {
  it('build with the LLM provider but no endpoint stops before any work and names the ways to configure one', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'kforge-noendpoint-'));
    const run = await runKforge(['build', '--provider', 'openai', '--out', path.join(work, 'runs')], { env: { KFORGE_BASE_URL: '' } });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('No LLM endpoint is configured');
    expect(run.stderr).toMatch(/--base-url/);
    expect(run.stderr).toMatch(/KFORGE_BASE_URL/);
    expect(run.stderr).toMatch(/--provider builtin/);
    expect(run.stderr).not.toMatch(/at .*\.ts:\d+/); // a message, not a stack trace
    expect(existsSync(path.join(work, 'runs'))).toBe(false);
  });

  it('a bad configuration names the key', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'kforge-badcfg-'));
    const file = path.join(work, 'run.yaml');
    await writeFile(file, 'verify:\n  backend: tpu\n');
    const run = await runKforge(['build', '--config', file]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/verify\.backend/);
  });

  it('problems lists a source, and inspect of a missing run says where to look', async () => {
    const problems = await runKforge(['problems', '--source', 'builtin']);
    expect(problems.exitCode, problems.all).toBe(0);
    expect(problems.stdout).toMatch(/^6 problems from builtin/);
    const inspect = await runKforge(['inspect', '/nonexistent/run']);
    expect(inspect.exitCode).toBe(1);
    expect(inspect.stderr).toMatch(/manifest\.json/);
  });
});
