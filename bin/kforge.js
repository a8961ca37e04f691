#!/usr/bin/env node
// The kforge command. Runs the TypeScript sources through tsx, so there is no build step to forget.
import { register } from 'tsx/esm/api';

register();
await import('../pipeline/cli/main.ts');
