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
]);
export type ProblemSourceSpec = z.infer<typeof problemSourceSchema>;
