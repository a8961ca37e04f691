/** Errors of the fleet commands (worker, fleet) raised on purpose: their message says what to do. */
import { ConfigError } from '../../stages/core/errors/config-error.ts';
import { UsageError } from '../../stages/core/errors/usage-error.ts';
import { VerifierDiedError } from '../../stages/verify/local-verifier.ts';
import { PythonNotFoundError } from '../../stages/verify/python.ts';
import { NoWorkerError } from '../../stages/verify/queue/fleet-environment.ts';
import { QueueJobFailedError, QueueProtocolError } from '../../stages/verify/queue/queue-verifier.ts';
import { RedisUnreachableError } from '../../stages/verify/queue/redis-connection.ts';
import type { ErrorClass } from './run-cli.ts';

export const FLEET_ERRORS: ErrorClass[] = [ConfigError, UsageError, PythonNotFoundError, VerifierDiedError, RedisUnreachableError, NoWorkerError, QueueJobFailedError, QueueProtocolError];
