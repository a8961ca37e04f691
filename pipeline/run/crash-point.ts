/**
 * Named points where the resume tests kill the process, as `kill -9` would: KFORGE_CRASH_AT=name:n
 * sends SIGKILL to this process the n-th time (1-based) `name` is reached. Unset, it costs one lookup.
 * The points sit where a crash hurts most: mid-write of a part file, between a reply and its cache
 * entry, while a verification is in flight, between a part file and the manifest that lists it.
 */
const spec = process.env.KFORGE_CRASH_AT ?? '';
const [target, countText] = spec.split(':');
const killAt = Number(countText ?? '1');
let reached = 0;

export function crashPoint(name: string): void {
  if (!spec || name !== target) return;
  reached++;
  if (reached === killAt) process.kill(process.pid, 'SIGKILL');
}
