/**
 * The contract between the pipeline and the Python verification harness: jobs go in as JSON lines,
 * results come out as JSON lines; both sides validate (harness/PROTOCOL.md says the same for people).
 *
 * GENERATED from harness/kforge_harness/verdict.json by `npx tsx scripts/update-verdict.ts`: edit the
 * JSON, never this file (test/verify/verdict.test.ts fails when the two differ).
 */
import { z } from 'zod';

/** cpu: C++ candidates against PyTorch on the CPU; cuda: CUDA C++ (load_inline) on the GPU; triton: @triton.jit kernels on the GPU, or in Triton's CPU interpreter where the harness runs with TRITON_INTERPRET=1 */
export const BACKENDS = ['cpu', 'cuda', 'triton'] as const;
export type Backend = (typeof BACKENDS)[number];

/** the dtype float inputs, init inputs and both models are cast to (KernelBench's precision; integer inputs keep theirs) */
export const PRECISIONS = ['fp32', 'fp16', 'bf16'] as const;
export type Precision = (typeof PRECISIONS)[number];

/** default: fp32 atol=rtol=1e-4, fp16/bf16 1e-2; loose: 1e-2 for all */
export const TOLERANCE_POLICIES = ['default', 'loose'] as const;
export type TolerancePolicy = (typeof TOLERANCE_POLICIES)[number];

/** where a candidate stopped */
export const HARNESS_STAGES = ['load', 'build', 'run', 'correctness', 'integrity', 'timing', 'timeout', 'crash', 'skipped'] as const;
export type HarnessStage = (typeof HARNESS_STAGES)[number];

/** all: the whole job in one worker (as before the split); build: only the candidate's extension builds, into the build store, without a GPU; gpu: load (prebuilt extensions from the store), correctness, timing, profiling */
export const PHASES = ['all', 'build', 'gpu'] as const;
export type Phase = (typeof PHASES)[number];

/** built_here: this worker ran load_inline/load (compiling, or finding its own local build); store: every extension came prebuilt from the build store and no compiler ran; deferred: the build phase could not build it without the device, the GPU phase builds it */
export const BUILD_SOURCES = ['built_here', 'store', 'deferred'] as const;
export type BuildSource = (typeof BUILD_SOURCES)[number];

export interface VerifyJob {
  /** echoed in the result; results come back in completion order */
  candidate_id: string;
  /** the problem file's text; key is informative */
  problem: { name: string; code: string; key: string };
  /** the candidate module */
  kernel_source: string;
  /** cpu: C++ candidates against PyTorch on the CPU */
  backend: Backend;
  /** fp32 (absent: fp32), fp16 or bf16: float inputs, init inputs and both models' parameters are cast to it; the default tolerance follows it; precision_lowered is judged against it */
  precision: Precision;
  /** default: fp32 atol=rtol=1e-4, fp16/bf16 1e-2; loose: 1e-2 for all */
  tolerance_policy: TolerancePolicy;
  /** correctness trials (>= 1), each on a fresh input draw */
  trials: number;
  /** warmup and timed calls */
  timing: { warmup: number; repeats: number };
  /** the worker's whole life (import, checks, timing), lock wait and extension builds excluded (builds have --build-timeout) */
  timeout_s: number;
  /** base of the secret input seeds; the harness derives one seed per trial from it */
  seed: number;
  /** also time torch.compile(Model) */
  compile_reference: boolean;
  /** which part of the job to run (default all; verify.py --phase overrides it). Not part of the verdict: a build then a gpu run give the all verdict */
  phase?: Phase;
}

export const problemFactsSchema = z.object({
  /** JSON list of the input shapes as the harness saw them (null for scalars) */
  input_shapes: z.string().nullable(),
  /** dtype per input */
  input_dtypes: z.array(z.string()),
  /** floating-point operations of one forward, where counted */
  flops: z.number().nullable(),
  /** fewest bytes one forward must move: inputs read once, output written once */
  min_bytes: z.number().nullable(),
  /** the reference is a weak test (zeros pass, input-insensitive, nondeterministic); null if not measured */
  weak_problem: z.boolean().nullable(),
  /** why the problem is weak */
  weak_reasons: z.array(z.string()),
});
export type ProblemFacts = z.infer<typeof problemFactsSchema>;

export const environmentSchema = z.object({
  /** GPU name, or the CPU model */
  device_name: z.string().nullable(),
  /** e.g. 9.0 */
  compute_capability: z.string().nullable(),
  /** GPU driver */
  driver_version: z.string().nullable(),
  /** CUDA runtime torch was built with */
  cuda_version: z.string().nullable(),
  /** torch.__version__ */
  torch_version: z.string().nullable(),
  /** torch.backends.cuda.matmul.allow_tf32 during timing */
  tf32_enabled: z.boolean().nullable(),
  /** the worker's Python */
  python_version: z.string().nullable(),
});
export type Environment = z.infer<typeof environmentSchema>;

export const verifyResultSchema = z.object({
  /** the job's candidate_id */
  candidate_id: z.string(),
  /** the harness version (kforge_harness/VERSION) */
  verifier_version: z.string(),
  /** the job's backend */
  backend: z.enum(BACKENDS),
  /** the job's precision */
  precision: z.enum(PRECISIONS),
  /** the candidate module imported (its extension built) */
  compiled: z.boolean(),
  /** passed every correctness trial and no suspect flag */
  correct: z.boolean(),
  /** null, or the stage where it stopped: load, build, run, correctness, integrity, timing, timeout, crash, skipped */
  fail_stage: z.enum(HARNESS_STAGES).nullable(),
  /** why it failed, trimmed */
  fail_message: z.string().nullable(),
  /** the compiler's output, head and tail (about 4 KB) */
  compile_log: z.string().nullable(),
  /** extra flags passed to load_inline/load, as the candidate wrote them */
  compile_flags: z.string().nullable(),
  /** each rewrite the harness made so the candidate builds on this toolchain, as from -> to: an arch flag the toolchain rejects or that is not the device's, and an AT_DISPATCH_*(x.type(), ...) argument (x.scalar_type(); torch 2.11 removed the overload); nothing else in the source is ever rewritten */
  build_rewrites: z.array(z.string()),
  /** correctness trials passed */
  trials_passed: z.number().int(),
  /** correctness trials run */
  trials_run: z.number().int(),
  /** seeds of the input draws */
  seeds: z.array(z.number().int()),
  /** the job's policy */
  tolerance_policy: z.enum(TOLERANCE_POLICIES),
  /** the policy's absolute tolerance for the output dtype */
  atol: z.number(),
  /** the policy's relative tolerance for the output dtype */
  rtol: z.number(),
  /** max \|out - ref\| over all elements and trials (NaN counts as infinite; non-finite is recorded as null) */
  max_abs_error: z.number().nullable(),
  /** max \|out - ref\| / \|ref\| over elements where ref != 0 */
  max_rel_error: z.number().nullable(),
  /** which of default, loose every trial passes */
  passes_policies: z.array(z.string()),
  /** the candidate left its inputs as given; null when not reached */
  inputs_unchanged: z.boolean().nullable(),
  /** two runs on the same inputs gave identical bits; null when not reached */
  deterministic: z.boolean().nullable(),
  /** median reference (eager) time */
  ref_time_ms: z.number().nullable(),
  /** fastest reference trial */
  ref_time_min_ms: z.number().nullable(),
  /** slowest reference trial */
  ref_time_max_ms: z.number().nullable(),
  /** every reference trial */
  ref_trials_ms: z.array(z.number()),
  /** median candidate time */
  kernel_time_ms: z.number().nullable(),
  /** fastest candidate trial */
  kernel_time_min_ms: z.number().nullable(),
  /** slowest candidate trial */
  kernel_time_max_ms: z.number().nullable(),
  /** every candidate trial */
  kernel_trials_ms: z.array(z.number()),
  /** ref median / kernel median; null unless timed */
  speedup: z.number().nullable(),
  /** median torch.compile reference time, when asked for */
  compile_ref_time_ms: z.number().nullable(),
  /** compile_ref_time_ms / kernel_time_ms */
  speedup_vs_compile: z.number().nullable(),
  /** speed-of-light floor: max(flops / peak rate, bytes / bandwidth) on this device */
  sol_floor_ms: z.number().nullable(),
  /** floor / kernel time (1.0 = speed of light) */
  sol_fraction: z.number().nullable(),
  /** cuda_events+sync or perf_counter */
  timing_method: z.string().nullable(),
  /** summed GPU time of the kernels one profiled forward of the candidate launched (CUDA), a cross-check of the event time */
  gpu_kernel_time_ms: z.number().nullable(),
  /** anti-cheat and informative flags; see kforge_harness/flags.py for every flag and its meaning */
  flags: z.array(z.string()),
  /** a flag in flags.SUSPECT_FLAGS says the verdict cannot be trusted */
  suspect: z.boolean(),
  /** findings of the static check of the source */
  static_findings: z.array(z.string()),
  /** share of GPU time in the candidate's own kernels, from the profiler (CUDA) */
  own_kernel_share: z.number().nullable(),
  /** kernels the profiler saw during the forward (CUDA) */
  kernels_launched: z.array(z.string()),
  /** kernel families (normalised names) of the reference's forward that the candidate runs fewer times than the reference, or not at all (CUDA) */
  reference_kernels_replaced: z.array(z.string()),
  /** kernel families (normalised names) of the reference's forward that the candidate still runs (CUDA) */
  reference_kernels_kept: z.array(z.string()),
  /** what the harness measured about the problem */
  problem_facts: problemFactsSchema,
  /** where it was measured */
  env: environmentSchema,
  /** the candidate's whole time in the driver, seconds */
  wall_s: z.number(),
  /** the phase that produced this result: a build result with fail_stage null is evidence, not a verdict (run the gpu phase next); with a fail_stage it is final */
  phase: z.enum(PHASES),
  /** where the candidate's extensions came from; null: it built none (or stopped before) */
  build_source: z.enum(BUILD_SOURCES).nullable(),
  /** build-store keys of the candidate's load_inline builds (<store>/<key>/), in call order */
  build_store_keys: z.array(z.string()),
  /** CPU seconds (user + system, compilers included) its extension builds took where they ran; from the build phase's evidence when loaded from the store */
  build_cpu_s: z.number().nullable(),
  /** wall seconds its extension builds took where they ran; from the build phase's evidence when loaded from the store */
  build_wall_s: z.number().nullable(),
  /** wall seconds importing the candidate took in the phase that measured it (with store hits: loading the prebuilt extensions) */
  load_s: z.number().nullable(),
  /** wall seconds from taking the device (after the import) to the end of the measurements */
  gpu_busy_s: z.number().nullable(),
  /** wall seconds it held the device's exclusive (timing) lock */
  gpu_exclusive_s: z.number().nullable(),
});
export type VerifyResult = z.infer<typeof verifyResultSchema>;
