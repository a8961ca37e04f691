#!/usr/bin/env node
// The kforge command. Runs the TypeScript sources, so there is no build step to forget: from a bundle of
// them that bin/cli-bundle.js keeps up to date (about half the start-up CPU), else through tsx.
import { cliBundle } from './cli-bundle.js';

const bundle = process.env['KFORGE_FROM_SOURCE'] ? null : await cliBundle('pipeline/cli/main.ts');
if (bundle) {
  // Stacks of unexpected errors name the .ts files and lines, as from source.
  process.setSourceMapsEnabled(true);
  await import(bundle);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../pipeline/cli/main.ts');
}
