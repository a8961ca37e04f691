/**
 * The order build workers take a batch's jobs in: the longest builds first (LPT). Jobs arrive together (a
 * jobs file, a round of candidates) and a build worker takes them first-come; in the H200 fleet runs the
 * last builds to finish were long ones started late, the host's cores idle around them (docs/fleet.md,
 * runs 3 and 4: a ~100 s tail at 6-40% CPU). A long build started first overlaps the short ones instead.
 *
 * The estimate is read off the source, before anything is built: each `load_inline` call is one extension
 * build, and one with CUDA sources costs several C++ ones (nvcc compiles the device code twice, host and
 * device passes, besides the C++ wrapper). A source that builds nothing (plain PyTorch, Triton, which
 * compiles on the GPU at its first launch) costs nothing and goes last: its build step is a moment's import.
 * Only an order: a wrong estimate costs a little idle time, never a verdict.
 */
import type { VerifyJob } from '../protocol.ts';

/** A C++ extension build's cost in units, and a CUDA one's: a rough weight, not a measurement of the ratio.
 * What was measured: one CUDA extension ~65 CPU-s on the H200 host (run 5's single-call level-1 kernels);
 * a C++ one of a few lines ~20-40 CPU-s on the 2-core dev machines (docs/ci-time.md). */
const CPP_BUILD = 1;
const CUDA_BUILD = 3;
/** BullMQ priorities: 1 is taken first, larger later (2^21 at most); every build job gets one, so none of
 * them jumps the queue as an unprioritised job would (BullMQ takes those before any prioritised one). */
const LAST = 1000;

const CALL = /\bload_inline\s*\(/g;
const CUDA_SOURCES = /\bcuda_sources\s*=/;

/** Estimated build cost of a candidate, in units of one C++ extension build. */
export function estimatedBuildCost(job: Pick<VerifyJob, 'kernel_source' | 'backend'>): number {
  const calls = job.kernel_source.match(CALL)?.length ?? 0;
  if (calls === 0) return 0;
  const cuda = job.backend === 'cuda' && CUDA_SOURCES.test(job.kernel_source);
  return calls * (cuda ? CUDA_BUILD : CPP_BUILD);
}

/** The build queue's priority for a job: the costlier, the sooner (1 = first). */
export function buildPriority(job: Pick<VerifyJob, 'kernel_source' | 'backend'>): number {
  return Math.max(1, LAST - 10 * estimatedBuildCost(job));
}
