/**
 * Issue 15 item 5: `kforge stats` and `kforge report` show what the verifier found, on a run with
 * suspect, weak and failed records (the fixture run plus flags, floors and errors), written with the
 * project's own writer. The report is parsed by Python's html.parser and, where Chromium is
 * installed, rendered by it (its DOM dumped).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KernelRecord } from '../../datasets/schema.ts';
import { REPO_ROOT } from '../support/paths.ts';
import { fixtureRecords, writeRun } from './fixture.ts';
import { kforge } from './cli.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(existsSync);

/** The fixture with integrity evidence: floors on correct kernels, flags of both classes, errors. */
function integrityRecords(): KernelRecord[] {
  return fixtureRecords().map((r) => {
    const extra: Partial<KernelRecord> = {};
    if (r.correct && r.speedup !== null) extra.sol_fraction = Math.min(0.95, r.speedup / 4); // 2.5x -> 0.625
    if (r.record_id === '1-1-2') extra.flags = ['speedup_over_10x', 'library_ops_kept'];
    if (r.record_id === '2-1-0') extra.flags = ['library_ops_kept'];
    if (r.suspect) Object.assign(extra, { flags: ['output_is_input', 'faster_than_light', 'library_ops_kept'], kernels_launched: ['void copy_kernel<float>(float*)'] });
    if (r.fail_stage === 'correctness') extra.fail_message = `max abs error 3.5 on ${r.record_id}`;
    if (r.fail_stage === 'build') extra.compile_log = `error: expected ';' (${r.record_id})`;
    if (r.weak_problem) extra.weak_reasons = ['zeros_pass', 'input_insensitive'];
    return { ...r, ...extra };
  });
}

describe('integrity views', () => {
  let run: string;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kforge-integrity-'));
    run = await writeRun(join(dir, 'run'), integrityRecords());
  });

  it('kforge stats: records by verdict and flag (classes apart), weak problems, fractions of the floor', async () => {
    const s = JSON.parse(await kforge(['stats', run, '--json']));
    expect(s.integrity.by_verdict).toEqual([
      { verdict: 'correct', records: 11 }, { verdict: 'build', records: 2 }, { verdict: 'correctness', records: 2 },
      { verdict: 'generate', records: 1 }, { verdict: 'suspect', records: 1 },
    ]);
    // faster_than_light is suspect; library_ops_kept and speedup_over_10x informative; output_is_input is no harness flag.
    expect(s.integrity.by_flag).toEqual([
      { flag: 'faster_than_light', class: 'suspect', records: 1 },
      { flag: 'library_ops_kept', class: 'informative', records: 3 },
      { flag: 'speedup_over_10x', class: 'informative', records: 1 },
      { flag: 'output_is_input', class: 'unknown', records: 1 },
    ]);
    expect(s.integrity.weak_problems).toEqual([{ problem_key: 'key-1-4', problem_name: '4_Problem_1', level: 1, problem_id: 4, records: 2, reasons: ['input_insensitive', 'zeros_pass'] }]);
    // 11 correct kernels: fractions 0.125 .. 0.75 (speedup / 4).
    const h = s.integrity.sol_fraction_histogram;
    expect(h.kernels).toBe(11);
    expect(h.counts.reduce((a: number, c: number) => a + c, 0)).toBe(11);
    expect(h.counts[h.edges.indexOf(0.1)]).toBe(2); // 0.5/4 = 0.125, 0.7/4 = 0.175
    expect(h.counts[h.edges.indexOf(0.7)]).toBe(1); // 3.0/4 = 0.75
    expect(s.integrity.best_sol_per_problem.map((b: any) => [b.problem_name, b.sol_fraction])).toEqual([
      ['1_Problem_1', 0.625], ['2_Problem_1', 0.275], ['4_Problem_1', 0.75], ['1_Problem_2', 1.6001 / 4], ['2_Problem_2', 0.2],
    ]);
    const text = await kforge(['stats', run]);
    expect(text).toContain('Records by verdict: correct 11, build 2, correctness 2, generate 1, suspect 1');
    expect(text).toContain('Suspect flags: faster_than_light 1');
    expect(text).toContain('Informative flags: library_ops_kept 3, speedup_over_10x 1');
    expect(text).toContain('Unknown flags: output_is_input 1');
    expect(text).toContain('Weak problems: 4_Problem_1 (input_insensitive, zeros_pass)');
  });

  it('kforge report: the integrity tables, and every rejected verdict linked to its records and their evidence', async () => {
    const out = join(dir, 'report.html');
    await kforge(['report', run, '--out', out]);
    const html = await readFile(out, 'utf8');
    const outline = JSON.parse(execFileSync('/usr/bin/python3', [join(REPO_ROOT, 'test/support/html_outline.py'), out], { encoding: 'utf8' })) as { ids: string[]; links: string[]; rows: { class: string | null; id: string | null; cells: string[] }[] };
    const rows = (cls: string) => outline.rows.filter((r) => r.class === cls).map((r) => r.cells);
    expect(rows('verdict-row')).toEqual([['correct', '11'], ['build', '2'], ['correctness', '2'], ['generate', '1'], ['suspect', '1']]);
    const flagRows = (cls: string) => outline.rows.filter((r) => r.class === `flag-row ${cls}`).map((r) => r.cells);
    expect(flagRows('suspect')).toEqual([['faster_than_light', '1']]);
    expect(flagRows('informative')).toEqual([['library_ops_kept', '3'], ['speedup_over_10x', '1']]);
    expect(flagRows('unknown')).toEqual([['output_is_input', '1']]);
    expect(rows('weak-row')).toEqual([['1', '4', '4_Problem_1', '2', 'input_insensitive zeros_pass']]);
    expect(rows('sol-row').map((c) => c[3])).toEqual(['62.5%', '27.5%', '75.0%', '40.0%', '20.0%']);
    // Every in-page link lands on an element of the page; each rejected verdict is linked.
    for (const l of outline.links) expect(outline.ids).toContain(l);
    for (const v of ['build', 'correctness', 'generate', 'suspect']) expect(outline.links).toContain(`verdict-${v}`);
    const rejected = outline.rows.filter((r) => r.class === 'rejected-row');
    expect(rejected.map((r) => r.cells[0]).sort()).toEqual(['1-1-3', '1-2-0', '1-3-0', '1-3-1', '1-3-2', '2-2-0']);
    const evidenceOf = (id: string) => rejected.find((r) => r.cells[0] === id)!.cells[4]!;
    expect(evidenceOf('1-3-2')).toContain('faster_than_light');
    expect(evidenceOf('1-3-2')).toContain('void copy_kernel<float>(float*)');
    expect(evidenceOf('1-1-3')).toContain('max abs error 3.5 on 1-1-3');
    expect(evidenceOf('1-2-0')).toContain("error: expected ';' (1-2-0)");
    expect(html).toContain('data-chart="sol-fraction"');
  });

  it.skipIf(!CHROMIUM)('the report, as headless Chromium builds its DOM, links the suspect verdict to the record and its evidence', async () => {
    const out = join(dir, 'report.html');
    if (!existsSync(out)) await kforge(['report', run, '--out', out]);
    const dom = execFileSync(CHROMIUM!, ['--headless', '--no-sandbox', '--disable-gpu', '--dump-dom', `file://${out}`], { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'ignore'] });
    const section = dom.slice(dom.indexOf('id="verdict-suspect"'));
    expect(dom).toContain('href="#verdict-suspect"');
    expect(section).toMatch(/id="record-1-3-2"[\s\S]*faster_than_light[\s\S]*void copy_kernel&lt;float&gt;\(float\*\)/);
  });

  if (!CHROMIUM) it('(Chromium not installed: apt-get install -y chromium to run the browser check)', () => undefined);
});
