/** Pulling the payload out of an LLM reply: the ModelNew module, or the JSON list of ideas. */
import { z } from 'zod';
import { IDEA_CATEGORIES, type IdeaCategory } from '../../provider.ts';

const FENCE = /```([\w+-]*)[^\n]*\n([\s\S]*?)```/g;

function fencedBlocks(text: string): { lang: string; body: string }[] {
  return [...text.matchAll(FENCE)].map((m) => ({ lang: (m[1] ?? '').toLowerCase(), body: m[2] ?? '' }));
}

/** The module that defines ModelNew; null when the reply holds no such code block. */
export function extractKernelSource(reply: string): string | null {
  const blocks = fencedBlocks(reply);
  const withModel = blocks.filter((b) => /class\s+ModelNew\b/.test(b.body));
  const pick = withModel.find((b) => b.lang === 'python' || b.lang === 'py') ?? withModel[0];
  if (pick) return pick.body.trim() + '\n';
  // An unfenced reply that is itself the module (some models skip the fence).
  if (!blocks.length && /class\s+ModelNew\b/.test(reply) && /^\s*(import|from)\s/m.test(reply)) return reply.trim() + '\n';
  return null;
}

const ideaItem = z.object({ idea: z.string().min(1), category: z.string().optional() });

export interface ParsedIdea {
  text: string;
  category: IdeaCategory;
}

/** Ideas from a JSON list (fenced or bare); falls back to a bulleted list, category 'other'. */
export function extractIdeas(reply: string): ParsedIdea[] {
  const candidates = [...fencedBlocks(reply).map((b) => b.body), reply];
  for (const text of candidates) {
    const start = text.indexOf('[');
    const end = text.lastIndexOf(']');
    if (start < 0 || end <= start) continue;
    try {
      const parsed = z.array(ideaItem).safeParse(JSON.parse(text.slice(start, end + 1)));
      if (parsed.success && parsed.data.length) {
        return parsed.data.map((item) => ({ text: item.idea.trim(), category: toCategory(item.category) }));
      }
    } catch {
      // not JSON: try the next candidate
    }
  }
  const bullets = reply
    .split('\n')
    .map((line) => /^\s*(?:[-*]|\d+[.)])\s+(.{10,})$/.exec(line)?.[1]?.trim())
    .filter((line): line is string => Boolean(line));
  return bullets.map((text) => ({ text, category: 'other' }));
}

function toCategory(raw: string | undefined): IdeaCategory {
  const normalised = (raw ?? '').toLowerCase().replace(/[^a-z]+/g, '_').replace(/^_|_$/g, '');
  return (IDEA_CATEGORIES as readonly string[]).includes(normalised) ? (normalised as IdeaCategory) : 'other';
}
