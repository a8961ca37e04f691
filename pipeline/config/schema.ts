/**
 * The run configuration: YAML under configs/, validated here at load. Every default lives in this
 * file, so an empty configuration is a complete one (the embedded default: builtin problems, builtin
 * provider, cpu verification).
 */
import { z } from 'zod';
import { BACKENDS, PRECISIONS, TOLERANCE_POLICIES } from '../../stages/verify/protocol.ts';
import { problemSourceSchema } from '../../kernelbench/sources/spec.ts';


const problemsSchema = z
  .strictObject({
    source: problemSourceSchema.default('builtin'),
    levels: z.array(z.number().int().min(0)).optional(),
    ids: z.array(z.number().int().min(0)).optional(),
    /** Regular expression matched against the problem name. */
    name: z.string().optional(),
    limit: z.number().int().positive().optional(),
  })
  .prefault({});

const providerSchema = z
  .strictObject({
    /** auto: openai when a base_url is configured, else builtin. */
    kind: z.enum(['auto', 'openai', 'builtin']).default('auto'),
    base_url: z.string().url().optional(),
    /** Name of the environment variable holding the API key (never the key itself). */
    api_key_env: z.string().default('OPENAI_API_KEY'),
    model: z.string().optional(),
    temperature: z.number().min(0).max(2).default(0.7),
    top_p: z.number().min(0).max(1).optional(),
    seed: z.number().int().optional(),
    max_tokens: z.number().int().positive().default(4096),
    timeout_s: z.number().positive().default(300),
    max_retries: z.number().int().min(0).default(5),
    rpm: z.number().positive().optional(),
    tpm: z.number().positive().optional(),
    concurrency: z
      .strictObject({
        initial: z.number().int().positive().default(4),
        min: z.number().int().positive().default(1),
        max: z.number().int().positive().default(16),
      })
      .prefault({}),
    /** USD per million tokens; omit to leave cost unknown (null), never zero. */
    prices: z.strictObject({ input_per_mtok: z.number().min(0), output_per_mtok: z.number().min(0) }).optional(),
  })
  .prefault({});

const searchSchema = z
  .strictObject({
    rounds: z.number().int().positive().default(1),
    ideas_per_round: z.number().int().positive().default(2),
    impls_per_idea: z.number().int().positive().default(1),
    beam: z.number().int().positive().default(2),
    /** Stop a problem after this many candidates (all rounds). */
    max_candidates: z.number().int().positive().optional(),
    /** Stop a problem after this many rounds without a better speedup. */
    patience: z.number().int().positive().optional(),
    /** Run folders or datasets whose correct kernels seed problems that have none yet. */
    bank: z.array(z.string()).default([]),
  })
  .prefault({});

/** verify.mode: queue. The queue a job goes to is named from `name`, the backend and `device`. */
const queueSchema = z
  .strictObject({
    url: z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379').default('redis://127.0.0.1:6379'),
    /** Base name; the queue is <name>-<backend>[-<device>] so a mixed fleet never mixes timings. */
    name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only').default('kforge-verify'),
    /** GPU kind the jobs are for (e.g. h200); empty: any worker of the backend. */
    device: z.string().regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only').default(''),
    /** Tries of a job whose worker hit an infrastructure fault (harness could not start). */
    attempts: z.number().int().positive().default(3),
    /** Seconds to wait for a first worker to register before giving up. */
    worker_wait_s: z.number().positive().default(600),
    /** Builds off the GPU: each job goes to the build queue first, then to the device queue (README). */
    split_builds: z.boolean().default(false),
    /** Workers: the content-addressed build store (a folder every build and device worker reads); '' none. */
    build_store: z.string().default(''),
  })
  .prefault({});

const verifySchema = z
  .strictObject({
    backend: z.enum(BACKENDS).default('cpu'),
    /** KernelBench's precision: inputs, weights and both models cast to it; tolerance follows it. */
    precision: z.enum(PRECISIONS).default('fp32'),
    tolerance: z.enum(TOLERANCE_POLICIES).default('default'),
    trials: z.number().int().positive().default(3),
    warmup: z.number().int().min(0).default(3),
    repeats: z.number().int().positive().default(20),
    /** Per candidate, build time excluded (the build has build_timeout_s). */
    timeout_s: z.number().positive().default(300),
    build_timeout_s: z.number().positive().default(900),
    /** Candidate processes at once (builds overlap; timing is one at a time per device). */
    workers: z.number().int().positive().default(2),
    cpu_threads: z.number().int().positive().default(1),
    /** Candidates whose construction and correctness checks may share one device at once (each
     * NaN-poisons at most its 1/N of the memory); timing and profiling stay exclusive (the harness's
     * PROTOCOL.md, "Device locks"). Default: 1 here (all exclusive); a `kforge worker`'s concurrency there. */
    device_share: z.number().int().positive().optional(),
    compile_reference: z.boolean().default(false),
    /** Python with torch; default: $KFORGE_PYTHON, python3, /usr/bin/python3. */
    python: z.string().optional(),
    seed: z.number().int().default(20251122),
    /** local: a harness on this machine; queue: jobs on a Redis queue, run by `kforge worker` hosts. */
    mode: z.enum(['local', 'queue']).default('local'),
    queue: queueSchema,
  })
  .prefault({});

const concurrencySchema = z
  .strictObject({
    ideas: z.number().int().positive().default(4),
    implement: z.number().int().positive().default(8),
    verify: z.number().int().positive().default(4),
  })
  .prefault({});

export const runConfigSchema = z.strictObject({
  run: z
    .strictObject({
      /** Folder that holds run folders. */
      out: z.string().default('runs'),
      /** Run id; default: build-<UTC timestamp>. */
      id: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only').optional(),
      /** Records per Parquet part file. */
      part_size: z.number().int().positive().default(200),
    })
    .prefault({}),
  problems: problemsSchema,
  provider: providerSchema,
  search: searchSchema,
  verify: verifySchema,
  concurrency: concurrencySchema,
  cache: z
    .strictObject({ dir: z.string().default('.kforge-cache'), enabled: z.boolean().default(true) })
    .prefault({}),
  budget: z
    .strictObject({ max_tokens: z.number().int().positive().optional(), max_usd: z.number().positive().optional() })
    .prefault({}),
});

export type RunConfig = z.infer<typeof runConfigSchema>;
export type RunConfigInput = z.input<typeof runConfigSchema>;
