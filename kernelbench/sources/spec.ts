/**
 * Where problems come from, as a run configuration names it. It lives with the sources that read it
 * (the configuration schema embeds it), so kernelbench/ needs nothing from pipeline/.
 */
import { z } from 'zod';

export const problemSourceSchema = z.union([
  z.literal('builtin'),
  z.strictObject({ jsonl: z.string().min(1) }),
  z.strictObject({ parquet: z.string().min(1) }),
  z.strictObject({ checkout: z.string().min(1) }),
  z.strictObject({
    /** A dataset on the Hugging Face hub, e.g. ScalingIntelligence/KernelBench (its splits are the levels). */
    hf: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'owner/name, e.g. ScalingIntelligence/KernelBench'),
    /** The hub's address; default $HF_ENDPOINT, else https://huggingface.co. */
    endpoint: z.string().url().optional(),
    /** Where the Parquet files are kept; default $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
    cache_dir: z.string().min(1).optional(),
  }),
]);
export type ProblemSourceSpec = z.infer<typeof problemSourceSchema>;
