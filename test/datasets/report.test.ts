import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countColour, decodePng } from '../support/png.ts';
import { fixtureRecords, writeRun } from './fixture.ts';
import { kforge } from './cli.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(existsSync);

describe('kforge report', () => {
  let dir: string;
  let html: string;
  let out: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kforge-report-'));
    const run = await writeRun(join(dir, 'run'), fixtureRecords());
    out = join(dir, 'report.html');
    await kforge(['report', run, '--out', out, '--title', 'Fixture report']);
    html = await readFile(out, 'utf8');
  });

  it('is one self-contained file with the four charts and the best kernel per problem', () => {
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    for (const id of ['speedup-distribution', 'fast-p', 'trajectory', 'failures']) expect(html).toContain(`data-chart="${id}"`);
    expect(html.match(/<tr class="best-row">/g)).toHaveLength(6);
    // Five problems have a correct, non-suspect kernel; its code sits in a <details>.
    expect(html.match(/<details>/g)).toHaveLength(5);
    expect(html).toContain('return x * 11 + 0 * 2'); // 1/1's best kernel (2.5x), escaped as text
    expect(html.match(/class="bar"/g)!.length).toBeGreaterThanOrEqual(20 + 4);
  });

  it.skipIf(!CHROMIUM)('renders in headless Chromium with the charts drawn', () => {
    const png = join(dir, 'report.png');
    execFileSync(CHROMIUM!, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--screenshot=${png}`, '--window-size=1400,1400', `file://${out}`], { stdio: 'ignore', timeout: 120_000 });
    const px = decodePng(execFileSync('cat', [png]));
    expect(px.width).toBe(1400);
    // The bar/line blue and the second series' orange must be on screen in quantity.
    expect(countColour(px, [0x3b, 0x6f, 0xd8])).toBeGreaterThan(3000);
    expect(countColour(px, [0xe0, 0x7b, 0x28])).toBeGreaterThan(200);
  });

  if (!CHROMIUM) it('(Chromium not installed: apt-get install -y chromium to run the browser check)', () => undefined);
});
