/**
 * A kforge-like parent for the orphan test: starts a LocalVerifier (the driver `verify.py --stdin`, as
 * a build does), gives it two jobs that never finish, prints the driver's pid once its workers run,
 * and waits to be killed. Run as: node -e <boot> <work dir>.
 */
import path from 'node:path';
import { findPython } from '../../stages/verify/python.ts';
import { LocalVerifier } from '../../stages/verify/local-verifier.ts';
import { reluJob } from '../harness/jobs.ts';
import { fixtureKernel } from './scripted-llm.ts';

const work = process.argv.at(-1)!;
const verifier = new LocalVerifier({ python: await findPython(), workers: 2, buildRoot: path.join(work, 'builds'), scratchRoot: path.join(work, 'scratch') });
for (const i of [0, 1]) void verifier.verify(reluJob('relu_ok', { candidate_id: `hang-${i}`, kernel_source: `${fixtureKernel('hangs.py')}\n# ${i}\n`, timeout_s: 600 })).catch(() => {});
process.stdout.write(`driver ${String(verifier.driverPid)}\n`);
setInterval(() => {}, 1000);
