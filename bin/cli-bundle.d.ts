/** See cli-bundle.js: the CLI's sources bundled into one module, rebuilt when one of them changes. */
export function cliBundle(entry: string, root?: string): Promise<string | null>;
/** A replaced bundle is removed when older than this. */
export const STALE_MS: number;
