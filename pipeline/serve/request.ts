/** The body of `POST /verify`, validated at the edge: one candidate and how to verify it. */
import { z } from 'zod';
import { BACKENDS, PRECISIONS, TOLERANCE_POLICIES } from '../../stages/verify/protocol.ts';
import { candidateMetadataSchema, problemRefSchema } from '../imports/candidate.ts';

export const verifyRequestSchema = z.strictObject({
  problem: problemRefSchema,
  kernel: z.string().refine((k) => k.trim().length > 0, 'the kernel is empty'),
  model: z.string().min(1).optional(),
  sample: z.number().int().min(0).optional(),
  metadata: candidateMetadataSchema.optional(),
  backend: z.enum(BACKENDS).optional(),
  /** The tolerance policy (precision) the verdict is judged at. */
  tolerance: z.enum(TOLERANCE_POLICIES).optional(),
  precision: z.enum(PRECISIONS).optional(),
  options: z
    .strictObject({
      trials: z.number().int().min(1).max(20).optional(),
      /** Capped at the server's verify.timeout_s. */
      timeout_s: z.number().positive().optional(),
    })
    .optional(),
});
export type VerifyRequest = z.infer<typeof verifyRequestSchema>;
