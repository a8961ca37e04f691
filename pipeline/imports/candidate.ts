/**
 * A kernel produced elsewhere, as `kforge verify` and `kforge serve` take it in: the problem it is
 * for, its source, and what is known of how it was made. Validated here, at the edge; a line that does
 * not fit is not dropped but becomes a `load` failure with the reason (see import-record.ts).
 */
import { z } from 'zod';
import { IDEA_CATEGORIES } from '../../stages/provider.ts';

const int = z.coerce.number().int().min(0);

/**
 * Which problem: `{level, id}` (or `problem_id`), `{name}`, `{key}`, or one string: a problem key (64
 * hex digits), `L1/19` (also `1/19`, `L1#19`), or a name such as `19_ReLU`.
 */
export const problemRefSchema = z.union([
  z.string().min(1),
  z.strictObject({ level: int, id: int }),
  z.strictObject({ level: int, problem_id: int }),
  z.strictObject({ name: z.string().min(1) }),
  z.strictObject({ key: z.string().min(1) }),
]);
export type ProblemRef = z.infer<typeof problemRefSchema>;

/** How the kernel was made, where the input says: each key fills the record column of that meaning. */
export const candidateMetadataSchema = z.object({
  round: z.coerce.number().int().min(1).optional(),
  idea: z.string().optional(),
  idea_category: z.enum(IDEA_CATEGORIES).optional(),
  prompt: z.union([z.string(), z.array(z.unknown())]).optional(),
  raw_response: z.string().optional(),
  temperature: z.number().optional(),
  max_tokens: z.number().int().optional(),
  tokens_in: z.number().int().optional(),
  tokens_out: z.number().int().optional(),
  latency_ms: z.number().optional(),
  cost_usd: z.number().optional(),
  parent_ids: z.array(z.string()).optional(),
});
export type CandidateMetadata = z.infer<typeof candidateMetadataSchema>;
export const METADATA_KEYS = Object.keys(candidateMetadataSchema.shape);

/** One line of a generations JSONL, one row of a generations Parquet file. */
export const candidateLineSchema = z
  .object({
    problem: problemRefSchema.optional(),
    level: int.optional(),
    problem_id: int.optional(),
    problem_name: z.string().min(1).optional(),
    problem_key: z.string().min(1).optional(),
    kernel: z.string().optional(),
    kernel_source: z.string().optional(),
    model: z.string().min(1).optional(),
    sample: int.optional(),
    metadata: candidateMetadataSchema.optional(),
  })
  .refine((c) => c.kernel !== undefined || c.kernel_source !== undefined, { message: 'no kernel: give the module source as "kernel" (or "kernel_source")' })
  .refine((c) => c.problem !== undefined || c.problem_key !== undefined || c.problem_name !== undefined || (c.level !== undefined && c.problem_id !== undefined), {
    message: 'no problem: give "problem" (level+id, name or key), or "level" and "problem_id", "problem_name" or "problem_key"',
  });
export type CandidateLine = z.infer<typeof candidateLineSchema>;

/** A candidate read from some input, or the reason it could not be read. */
export interface ImportedCandidate {
  /** Where it came from, e.g. gens.jsonl:7 or runs/x/level_1_problem_19_sample_0_kernel.py. */
  origin: string;
  /** How the input named its problem (shown in messages, kept for unresolved ones). */
  ref: ProblemRef | null;
  kernel: string | null;
  model: string | null;
  sample: number;
  metadata: CandidateMetadata;
  /** Set when the input itself is unusable (unreadable JSON, not UTF-8, no kernel): a load failure. */
  failure: string | null;
}

export function refOf(line: CandidateLine): ProblemRef {
  if (line.problem !== undefined) return line.problem;
  if (line.problem_key !== undefined) return { key: line.problem_key };
  if (line.level !== undefined && line.problem_id !== undefined) return { level: line.level, id: line.problem_id };
  return { name: line.problem_name! };
}

export function fromLine(line: CandidateLine, origin: string): ImportedCandidate {
  const kernel = line.kernel ?? line.kernel_source ?? '';
  return {
    origin,
    ref: refOf(line),
    kernel,
    model: line.model ?? null,
    sample: line.sample ?? 0,
    metadata: line.metadata ?? {},
    failure: kernel.trim() ? null : 'the kernel is empty',
  };
}

/** A value that failed the schema, as one line: the path and what was wrong. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'line'}: ${i.message}`).join('; ');
}

export function describeRef(ref: ProblemRef | null): string {
  if (ref === null) return '(none)';
  if (typeof ref === 'string') return ref;
  if ('key' in ref) return `key ${ref.key.slice(0, 16)}`;
  if ('name' in ref) return ref.name;
  return `L${ref.level} #${'id' in ref ? ref.id : ref.problem_id}`;
}
