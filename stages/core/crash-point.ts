/**
 * Named points where the resume tests kill the process, as `kill -9` would: KFORGE_CRASH_AT=name:n
 * sends SIGKILL to this process the n-th time (1-based) `name` is reached. Unset, it costs one lookup.
 * The points sit where a crash hurts most: mid-write of a part file, between a reply and its cache
 * entry, while a verification is in flight, between a part file and the manifest that lists it.
 */
const spec = process.env.KFORGE_CRASH_AT ?? '';
// Point names contain ':' themselves (verify:in-flight), so the count is what follows the last one.
const cut = spec.lastIndexOf(':');
const target = spec.slice(0, cut);
const killAt = Number(spec.slice(cut + 1));
let reached = 0;

export function crashPoint(name: string): void {
  if (!spec || name !== target) return;
  reached++;
  if (reached === killAt) process.kill(process.pid, 'SIGKILL');
}
