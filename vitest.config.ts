import { defineConfig } from 'vitest/config';
import LongestFirst from './test/support/longest-first.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/setup-lock-dir.ts'],
    // The harness tests build C++ extensions (about 20 s each on 2 cores): generous limits (the budget
    // resume test took 241-300 s on a loaded 2-core host).
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // Two cores: running many torch-building files at once only slows each down.
    maxWorkers: 2,
    sequence: { sequencer: LongestFirst },
  },
});
