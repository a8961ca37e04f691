/** The part of a chat-completions reply the client uses, checked at the edge. */
import { z } from 'zod';
import { ReplyContentFault } from './failure-policy.ts';

const replySchema = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullable().optional() }).optional(),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .optional(),
  usage: z
    .object({ prompt_tokens: z.number().nullable().optional(), completion_tokens: z.number().nullable().optional() })
    .nullable()
    .optional(),
});

export interface ParsedReply {
  text: string;
  finishReason: string | null;
  tokensIn: number | null;
  tokensOut: number | null;
  model: string | null;
}

/** Usage first (it was paid for whatever the content), then the content, which may be unusable. */
export function parseReplyUsage(raw: unknown): { reply: ParsedReply | null; fault: ReplyContentFault | null } {
  const parsed = replySchema.safeParse(raw);
  if (!parsed.success || typeof raw !== 'object' || raw === null) {
    const excerpt = typeof raw === 'string' ? raw.slice(0, 120) : JSON.stringify(raw)?.slice(0, 120);
    return { reply: null, fault: new ReplyContentFault('malformed', `reply is not a chat completion: ${excerpt}`) };
  }
  const r = parsed.data;
  const choice = r.choices?.[0];
  const reply: ParsedReply = {
    text: choice?.message?.content ?? '',
    finishReason: choice?.finish_reason ?? null,
    tokensIn: r.usage?.prompt_tokens ?? null,
    tokensOut: r.usage?.completion_tokens ?? null,
    model: r.model ?? null,
  };
  return { reply, fault: null };
}

export function contentFault(reply: ParsedReply, maxChars: number): ReplyContentFault | null {
  if (reply.text.trim() === '') return new ReplyContentFault('empty', `empty reply (finish_reason ${reply.finishReason})`);
  if (reply.finishReason === 'length') {
    return new ReplyContentFault('truncated', `reply cut off at max_tokens (${reply.tokensOut ?? '?'} tokens, ${reply.text.length} chars)`);
  }
  if (reply.text.length > maxChars) return new ReplyContentFault('oversized', `reply of ${reply.text.length} chars exceeds the limit of ${maxChars}`);
  return null;
}
