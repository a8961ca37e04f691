/**
 * Once per test run, before any test file starts: one speed-of-light peaks file for every verification
 * of the run (the harness measures a device's peak rates once per cache and each measurement is seconds
 * of CPU under the device lock; the tests make a fresh build root almost per build, so without this the
 * same CPU would be measured dozens of times). A fresh folder per run: no state left between runs, and
 * whichever test verifies first measures, so no file depends on another having run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(path.join(tmpdir(), 'kforge-test-peaks-'));
  process.env.KFORGE_PEAKS_CACHE = path.join(dir, 'peaks.json');
  return () => rmSync(dir, { recursive: true, force: true });
}
