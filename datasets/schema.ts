/**
 * The record: one row per candidate kernel. This file is the single source of truth for the
 * columns; the README's schema table is written from the same groups (DATASET.md's eight).
 *
 * Every column is typed. `null` means "unknown or not measured", never zero: a consumer filtering
 * on speedup must be able to tell "not timed" from "infinitely slow".
 */
import * as arrow from 'apache-arrow';

/** The stage at which a candidate failed; null on a candidate that passed every check. */
export const FAIL_STAGES = [
  'generate', // the LLM gave no usable kernel (no code block, truncated, refused)
  'load', // the module did not import, or has no ModelNew
  'build', // the extension did not compile
  'run', // forward raised, or a CUDA error
  'correctness', // wrong values, shape or dtype
  'integrity', // an anti-cheat check failed (see flags)
  'timing', // timing could not be completed
  'timeout', // the process exceeded its time limit and was killed
  'crash', // the process died (segfault, abort, OOM kill) without a verdict
  'skipped', // not attempted (provider cannot handle the problem, budget reached)
] as const;
export type FailStage = (typeof FAIL_STAGES)[number];

export const SEED_SOURCES = ['search', 'bank', 'none'] as const;
export type SeedSource = (typeof SEED_SOURCES)[number];

export interface KernelRecord {
  // 1. Identity and lineage
  record_id: string; // sha256 of problem key, backend, kernel source, idea text (content, not path)
  run_id: string;
  dataset_version: string | null;
  round: number;
  idea_id: string;
  impl_index: number;
  kernel_id: string; // sha256 of the normalised kernel source; parents point at this
  parent_ids: string[];
  seed_source: SeedSource;
  provider: string;
  model: string;

  // 2. Problem
  problem_key: string;
  problem_source: string; // 'builtin' | 'jsonl:<file>' | 'parquet:<file>' | 'checkout:<dir>' | 'hf:<repo>'
  problem_file: string | null;
  level: number;
  problem_id: number;
  problem_name: string;
  problem_code: string;
  input_shapes: string | null; // JSON: [[4096, 4096], ...] as the harness saw them
  input_dtypes: string[];
  flops: number | null;
  min_bytes: number | null;
  weak_problem: boolean | null;
  weak_reasons: string[];

  // 3. Generation
  idea_text: string;
  idea_category: string;
  prompt_version: string;
  prompt: string | null; // the rendered implementation prompt (JSON messages)
  raw_response: string | null;
  temperature: number | null;
  max_tokens: number | null;
  tokens_in: number | null;
  tokens_out: number | null;
  latency_ms: number | null;
  cost_usd: number | null; // null where no price is configured, never 0 for "unknown"
  from_cache: boolean;

  // 4. Artifact
  kernel_source: string;
  /** kernelDedupKey(kernel_source), stored at write time; null in files written before schema version 2. */
  kernel_dedup_key: string | null;
  backend: string; // 'cpu' | 'cuda' | 'triton'
  precision: string; // 'fp32' | 'fp16' | 'bf16'
  compile_flags: string | null;
  build_rewrites: string[];
  compiled: boolean;
  compile_log: string | null; // trimmed
  static_findings: string[];

  // 5. Correctness
  correct: boolean;
  trials_passed: number;
  trials_run: number;
  seeds: number[];
  tolerance_policy: string;
  atol: number;
  rtol: number;
  max_abs_error: number | null;
  max_rel_error: number | null;
  passes_policies: string[];
  inputs_unchanged: boolean | null;
  deterministic: boolean | null;
  fail_stage: FailStage | null;
  fail_message: string | null;

  // 6. Performance (milliseconds)
  ref_time_ms: number | null; // median
  ref_time_min_ms: number | null;
  ref_time_max_ms: number | null;
  ref_trials_ms: number[];
  kernel_time_ms: number | null; // median
  kernel_time_min_ms: number | null;
  kernel_time_max_ms: number | null;
  kernel_trials_ms: number[];
  speedup: number | null; // ref median / kernel median, eager reference
  compile_ref_time_ms: number | null;
  speedup_vs_compile: number | null;
  sol_floor_ms: number | null;
  sol_fraction: number | null; // floor / kernel time: 1.0 is the speed of light
  timing_method: string | null; // 'cuda_events+sync' | 'perf_counter'
  gpu_kernel_time_ms: number | null; // summed GPU time of the kernels one profiled forward launched

  // 7. Integrity
  flags: string[];
  suspect: boolean;
  own_kernel_share: number | null;
  kernels_launched: string[];
  reference_kernels_replaced: string[];
  reference_kernels_kept: string[];

  // 8. Environment
  device_name: string | null;
  compute_capability: string | null;
  driver_version: string | null;
  cuda_version: string | null;
  torch_version: string | null;
  tf32_enabled: boolean | null;
  verifier_version: string;
  created_at: string; // ISO-8601; informative only, not part of record_id
}

export type ColumnKind = 'utf8' | 'int32' | 'int64' | 'float64' | 'bool' | 'list<utf8>' | 'list<float64>' | 'list<int64>';

interface ColumnSpec {
  kind: ColumnKind;
  nullable: boolean;
  group: 'identity' | 'problem' | 'generation' | 'artifact' | 'correctness' | 'performance' | 'integrity' | 'environment';
  doc: string;
}

/** Column order, types and documentation. The README table is generated from this. */
export const COLUMNS: { [K in keyof KernelRecord]-?: ColumnSpec } = {
  record_id: { kind: 'utf8', nullable: false, group: 'identity', doc: 'sha256 of problem key (with the precision when not fp32), backend, tolerance policy, round, idea text, implementation index and kernel source: the same candidate in two runs has the same id' },
  run_id: { kind: 'utf8', nullable: false, group: 'identity', doc: 'the run that produced the row' },
  dataset_version: { kind: 'utf8', nullable: true, group: 'identity', doc: 'nightly dataset version the row was merged into' },
  round: { kind: 'int32', nullable: false, group: 'identity', doc: 'search round, from 1' },
  idea_id: { kind: 'utf8', nullable: false, group: 'identity', doc: 'hash of problem key, round and idea text' },
  impl_index: { kind: 'int32', nullable: false, group: 'identity', doc: 'which of the M implementations of the idea, from 0' },
  kernel_id: { kind: 'utf8', nullable: false, group: 'identity', doc: 'sha256 of the kernel source; parent_ids refer to it' },
  parent_ids: { kind: 'list<utf8>', nullable: false, group: 'identity', doc: 'kernel ids the implementation prompt started from' },
  seed_source: { kind: 'utf8', nullable: false, group: 'identity', doc: 'where the parents came from: search, bank or none' },
  provider: { kind: 'utf8', nullable: false, group: 'identity', doc: "'openai' (any compatible endpoint), 'builtin', or 'import' (kforge verify / serve: made elsewhere)" },
  model: { kind: 'utf8', nullable: false, group: 'identity', doc: 'model name as sent to the endpoint' },

  problem_key: { kind: 'utf8', nullable: false, group: 'problem', doc: 'sha256 of the reference code with comments and whitespace removed' },
  problem_source: { kind: 'utf8', nullable: false, group: 'problem', doc: 'builtin, jsonl:<path>, parquet:<path>, checkout:<path> or hf:<repo>' },
  problem_file: { kind: 'utf8', nullable: true, group: 'problem', doc: 'file of the problem inside its source, where it has one' },
  level: { kind: 'int32', nullable: false, group: 'problem', doc: 'KernelBench level (builtin samples use 1 and 2 with ids from 1001)' },
  problem_id: { kind: 'int32', nullable: false, group: 'problem', doc: 'problem id within the level' },
  problem_name: { kind: 'utf8', nullable: false, group: 'problem', doc: 'file name without .py' },
  problem_code: { kind: 'utf8', nullable: false, group: 'problem', doc: 'the reference code, verbatim' },
  input_shapes: { kind: 'utf8', nullable: true, group: 'problem', doc: 'JSON list of input shapes (null for scalars)' },
  input_dtypes: { kind: 'list<utf8>', nullable: false, group: 'problem', doc: 'dtype per input' },
  flops: { kind: 'float64', nullable: true, group: 'problem', doc: 'floating-point operations of one forward, where counted' },
  min_bytes: { kind: 'float64', nullable: true, group: 'problem', doc: 'fewest bytes one forward must move: inputs read once, output written once' },
  weak_problem: { kind: 'bool', nullable: true, group: 'problem', doc: 'the reference is a weak test (see weak_reasons); null if not measured' },
  weak_reasons: { kind: 'list<utf8>', nullable: false, group: 'problem', doc: 'why: zeros_pass, all_zero_output, constant_output, input_insensitive, scalar_output_insensitive, nondeterministic, ... (flags.WEAK_REASON_DOCS)' },

  idea_text: { kind: 'utf8', nullable: false, group: 'generation', doc: 'the optimisation idea in natural language' },
  idea_category: { kind: 'utf8', nullable: false, group: 'generation', doc: 'one of the six categories of METHOD.md, or other' },
  prompt_version: { kind: 'utf8', nullable: false, group: 'generation', doc: 'version of the prompt files used' },
  prompt: { kind: 'utf8', nullable: true, group: 'generation', doc: 'the rendered implementation prompt, as JSON chat messages' },
  raw_response: { kind: 'utf8', nullable: true, group: 'generation', doc: 'the reply the kernel was extracted from' },
  temperature: { kind: 'float64', nullable: true, group: 'generation', doc: 'sampling temperature' },
  max_tokens: { kind: 'int32', nullable: true, group: 'generation', doc: 'reply token limit' },
  tokens_in: { kind: 'int32', nullable: true, group: 'generation', doc: 'prompt tokens of the implementation request' },
  tokens_out: { kind: 'int32', nullable: true, group: 'generation', doc: 'completion tokens of the implementation request' },
  latency_ms: { kind: 'float64', nullable: true, group: 'generation', doc: 'request latency' },
  cost_usd: { kind: 'float64', nullable: true, group: 'generation', doc: 'cost where a price is configured; null where unknown' },
  from_cache: { kind: 'bool', nullable: false, group: 'generation', doc: 'the reply came from the LLM cache' },

  kernel_source: { kind: 'utf8', nullable: false, group: 'artifact', doc: 'the candidate module (ModelNew) as verified' },
  kernel_dedup_key: { kind: 'utf8', nullable: true, group: 'artifact', doc: "the export's dedup key: sha1 (base64) of kernel_source with comments and whitespace removed (datasets/kernel-dedup.ts); null in records written before it existed (schema version 1), where readers compute it from kernel_source" },
  backend: { kind: 'utf8', nullable: false, group: 'artifact', doc: 'cpu, cuda or triton' },
  precision: { kind: 'utf8', nullable: false, group: 'artifact', doc: 'fp32, fp16 or bf16: the dtype inputs, weights and both models were cast to (KernelBench\'s precision)' },
  compile_flags: { kind: 'utf8', nullable: true, group: 'artifact', doc: 'extra compiler flags the candidate asked for, as written in its source' },
  build_rewrites: { kind: 'list<utf8>', nullable: false, group: 'artifact', doc: 'what the harness rewrote so the candidate builds here (an arch flag the toolchain rejects or that is not the device\'s; an AT_DISPATCH on x.type(), which torch 2.11 removed), each as from -> to' },
  compiled: { kind: 'bool', nullable: false, group: 'artifact', doc: 'the module loaded and its extension built' },
  compile_log: { kind: 'utf8', nullable: true, group: 'artifact', doc: 'compiler output, trimmed to its head and tail' },
  static_findings: { kind: 'list<utf8>', nullable: false, group: 'artifact', doc: 'findings of the static check of the source' },

  correct: { kind: 'bool', nullable: false, group: 'correctness', doc: 'passed every trial at the run tolerance and no suspect flag' },
  trials_passed: { kind: 'int32', nullable: false, group: 'correctness', doc: 'correctness trials passed' },
  trials_run: { kind: 'int32', nullable: false, group: 'correctness', doc: 'correctness trials run' },
  seeds: { kind: 'list<int64>', nullable: false, group: 'correctness', doc: 'seeds of the input draws' },
  tolerance_policy: { kind: 'utf8', nullable: false, group: 'correctness', doc: 'policy of the run: default or loose' },
  atol: { kind: 'float64', nullable: false, group: 'correctness', doc: 'absolute tolerance applied' },
  rtol: { kind: 'float64', nullable: false, group: 'correctness', doc: 'relative tolerance applied' },
  max_abs_error: { kind: 'float64', nullable: true, group: 'correctness', doc: 'largest absolute error over all trials' },
  max_rel_error: { kind: 'float64', nullable: true, group: 'correctness', doc: 'largest relative error over all trials' },
  passes_policies: { kind: 'list<utf8>', nullable: false, group: 'correctness', doc: 'tolerance policies the measured errors pass' },
  inputs_unchanged: { kind: 'bool', nullable: true, group: 'correctness', doc: 'the candidate left its inputs as given' },
  deterministic: { kind: 'bool', nullable: true, group: 'correctness', doc: 'two runs on the same inputs gave identical outputs' },
  fail_stage: { kind: 'utf8', nullable: true, group: 'correctness', doc: `where it failed: ${FAIL_STAGES.join(', ')}` },
  fail_message: { kind: 'utf8', nullable: true, group: 'correctness', doc: 'why it failed, trimmed' },

  ref_time_ms: { kind: 'float64', nullable: true, group: 'performance', doc: 'median reference (eager) time' },
  ref_time_min_ms: { kind: 'float64', nullable: true, group: 'performance', doc: 'fastest reference trial' },
  ref_time_max_ms: { kind: 'float64', nullable: true, group: 'performance', doc: 'slowest reference trial' },
  ref_trials_ms: { kind: 'list<float64>', nullable: false, group: 'performance', doc: 'every reference trial' },
  kernel_time_ms: { kind: 'float64', nullable: true, group: 'performance', doc: 'median candidate time' },
  kernel_time_min_ms: { kind: 'float64', nullable: true, group: 'performance', doc: 'fastest candidate trial' },
  kernel_time_max_ms: { kind: 'float64', nullable: true, group: 'performance', doc: 'slowest candidate trial' },
  kernel_trials_ms: { kind: 'list<float64>', nullable: false, group: 'performance', doc: 'every candidate trial' },
  speedup: { kind: 'float64', nullable: true, group: 'performance', doc: 'ref_time_ms / kernel_time_ms; null unless timed' },
  compile_ref_time_ms: { kind: 'float64', nullable: true, group: 'performance', doc: 'median torch.compile reference time, when asked for' },
  speedup_vs_compile: { kind: 'float64', nullable: true, group: 'performance', doc: 'compile_ref_time_ms / kernel_time_ms' },
  sol_floor_ms: { kind: 'float64', nullable: true, group: 'performance', doc: 'max(flops / peak rate, bytes / bandwidth) on this device' },
  sol_fraction: { kind: 'float64', nullable: true, group: 'performance', doc: 'sol_floor_ms / kernel_time_ms (1.0 = speed of light)' },
  timing_method: { kind: 'utf8', nullable: true, group: 'performance', doc: 'cuda_events+sync or perf_counter' },
  gpu_kernel_time_ms: { kind: 'float64', nullable: true, group: 'performance', doc: 'summed GPU time of the kernels one profiled candidate forward launched (CUDA), next to the event time' },

  flags: { kind: 'list<utf8>', nullable: false, group: 'integrity', doc: 'anti-cheat and informative flags (README: Verification)' },
  suspect: { kind: 'bool', nullable: false, group: 'integrity', doc: 'a flag says the verdict cannot be trusted' },
  own_kernel_share: { kind: 'float64', nullable: true, group: 'integrity', doc: "share of GPU time in the candidate's own kernels (CUDA)" },
  kernels_launched: { kind: 'list<utf8>', nullable: false, group: 'integrity', doc: 'kernels the profiler saw during the forward (CUDA)' },
  reference_kernels_replaced: { kind: 'list<utf8>', nullable: false, group: 'integrity', doc: "kernel families of the reference's forward that the candidate runs fewer times than the reference, or not at all (CUDA)" },
  reference_kernels_kept: { kind: 'list<utf8>', nullable: false, group: 'integrity', doc: "kernel families of the reference's forward that the candidate still runs, e.g. a library GEMM (CUDA)" },

  device_name: { kind: 'utf8', nullable: true, group: 'environment', doc: 'GPU name, or the CPU model' },
  compute_capability: { kind: 'utf8', nullable: true, group: 'environment', doc: 'e.g. 9.0' },
  driver_version: { kind: 'utf8', nullable: true, group: 'environment', doc: 'GPU driver' },
  cuda_version: { kind: 'utf8', nullable: true, group: 'environment', doc: 'CUDA runtime torch was built with' },
  torch_version: { kind: 'utf8', nullable: true, group: 'environment', doc: 'torch.__version__' },
  tf32_enabled: { kind: 'bool', nullable: true, group: 'environment', doc: 'torch.backends.cuda.matmul.allow_tf32 during timing' },
  verifier_version: { kind: 'utf8', nullable: false, group: 'environment', doc: 'version of the verification harness' },
  created_at: { kind: 'utf8', nullable: false, group: 'environment', doc: 'ISO-8601 time the row was made (not part of record_id)' },
};

export const COLUMN_NAMES = Object.keys(COLUMNS) as (keyof KernelRecord)[];

function arrowType(kind: ColumnKind): arrow.DataType {
  switch (kind) {
    case 'utf8':
      return new arrow.Utf8();
    case 'int32':
      return new arrow.Int32();
    case 'int64':
      return new arrow.Int64();
    case 'float64':
      return new arrow.Float64();
    case 'bool':
      return new arrow.Bool();
    case 'list<utf8>':
      return new arrow.List(new arrow.Field('item', new arrow.Utf8(), true));
    case 'list<float64>':
      return new arrow.List(new arrow.Field('item', new arrow.Float64(), true));
    case 'list<int64>':
      return new arrow.List(new arrow.Field('item', new arrow.Int64(), true));
  }
}

/**
 * Written into every part file's metadata. 2: kernel_dedup_key. Readers take any version: a column
 * an older file lacks reads as null (datasets/record-sql.ts), and each reader says what null means.
 */
export const RECORD_SCHEMA_VERSION = '2';

/** The Arrow schema of a record part file. */
export function recordArrowSchema(): arrow.Schema {
  const fields = COLUMN_NAMES.map((name) => {
    const spec = COLUMNS[name];
    return new arrow.Field(name, arrowType(spec.kind), spec.nullable);
  });
  return new arrow.Schema(fields, new Map([['kforge.schema_version', RECORD_SCHEMA_VERSION]]));
}

export function columnKind(name: keyof KernelRecord): ColumnKind {
  return COLUMNS[name].kind;
}
