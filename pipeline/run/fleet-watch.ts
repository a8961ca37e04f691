/**
 * The fleet's part of a run's status line (verify.mode: queue): its queue depth and live workers,
 * read from Redis every few seconds by `kforge build` and `kforge verify` alike. A failed read (Redis
 * away for a moment) keeps the last line rather than blanking it or failing the run.
 */

/** How often the fleet's queue depth is read for the status line. */
const FLEET_POLL_MS = 2000;

export interface FleetWatch {
  /** The latest line ('' until the first read). */
  text(): string;
  stop(): void;
}

export function watchFleet(fleetLine: (() => Promise<string>) | undefined, onChange: () => void): FleetWatch {
  let text = '';
  if (!fleetLine) return { text: () => text, stop: () => {} };
  const read = () =>
    void fleetLine().then((line) => {
      text = line;
      onChange();
    }, () => {});
  const timer = setInterval(read, FLEET_POLL_MS);
  timer.unref(); // never what keeps the process alive
  read();
  return { text: () => text, stop: () => clearInterval(timer) };
}
