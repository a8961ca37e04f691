/**
 * A command line that cannot be run as given (a bad flag value, an output path that cannot be used).
 * Reported like yargs' own usage errors: the message and exit status 2, before any work.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly exitCode = 2;
}
