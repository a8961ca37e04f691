import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunConfig, parseSetFlags } from '../../pipeline/config/load.ts';
import { REPO_ROOT } from '../support/paths.ts';

async function yamlFile(text: string): Promise<string> {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'kforge-cfg-')), 'run.yaml');
  await writeFile(file, text);
  return file;
}

describe('run configuration', () => {
  it('is complete with no file: builtin problems, cpu verification, provider auto', async () => {
    const config = await loadRunConfig({ env: {} });
    expect(config.problems.source).toBe('builtin');
    expect(config.provider.kind).toBe('auto');
    expect(config.verify.backend).toBe('cpu');
    expect(config.verify.tolerance).toBe('default');
  });

  it('the shipped configs/default.yaml is valid and equals the defaults', async () => {
    const fromFile = await loadRunConfig({ file: path.join(REPO_ROOT, 'configs/default.yaml'), env: {} });
    const defaults = await loadRunConfig({ env: {} });
    expect(fromFile).toEqual(defaults);
  });

  it('flags override the file, and the environment configures an endpoint', async () => {
    const file = await yamlFile('verify:\n  backend: cuda\n  trials: 5\nsearch:\n  rounds: 3\n');
    const config = await loadRunConfig({ file, overrides: { 'search.rounds': 2, ...parseSetFlags(['verify.trials=7', 'problems.ids=[1,2]']) }, env: { KFORGE_BASE_URL: 'http://127.0.0.1:9/v1' } });
    expect(config.verify.backend).toBe('cuda');
    expect(config.search.rounds).toBe(2);
    expect(config.verify.trials).toBe(7);
    expect(config.problems.ids).toEqual([1, 2]);
    expect(config.provider.base_url).toBe('http://127.0.0.1:9/v1');
  });

  it('accepts the triton backend (a file or --backend triton)', async () => {
    const config = await loadRunConfig({ file: await yamlFile('verify:\n  backend: triton\n'), env: {} });
    expect(config.verify.backend).toBe('triton');
    const flag = await loadRunConfig({ overrides: { 'verify.backend': 'triton' }, env: {} });
    expect(flag.verify.backend).toBe('triton');
  });

  it('names the bad key and what was expected', async () => {
    await expect(loadRunConfig({ file: await yamlFile('verify:\n  backend: tpu\n'), env: {} })).rejects.toThrow(/verify\.backend: .*"cpu".*"cuda".*"triton"/s);
    await expect(loadRunConfig({ file: await yamlFile('search:\n  roundz: 3\n'), env: {} })).rejects.toThrow(/unknown key "search\.roundz"/);
    await expect(loadRunConfig({ file: await yamlFile('verify:\n  trials: many\n'), env: {} })).rejects.toThrow(/verify\.trials: .*number/i);
    await expect(loadRunConfig({ file: await yamlFile('verify: [1, 2\n'), env: {} })).rejects.toThrow(/not valid YAML/);
    await expect(loadRunConfig({ file: '/nonexistent/run.yaml', env: {} })).rejects.toThrow(/Cannot read the run configuration/);
    expect(() => parseSetFlags(['novalue'])).toThrow(/key\.path=value/);
  });
});
