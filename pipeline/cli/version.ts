/** The package version, read once from package.json so it is never written down twice. */
import { readFileSync } from 'node:fs';

export const KFORGE_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
