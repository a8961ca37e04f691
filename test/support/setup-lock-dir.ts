/**
 * Each test file gets its own device-lock folder for the harness (KFORGE_LOCK_DIR, inherited by every
 * driver the file starts). The lock is machine-wide by default so two runs never time at once; in the
 * suite, files verifying in parallel would otherwise queue behind each other's deliberately hanging
 * candidates, and timing accuracy is not what tests check.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

process.env.KFORGE_LOCK_DIR = mkdtempSync(path.join(tmpdir(), 'kforge-test-locks-'));
