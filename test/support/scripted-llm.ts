/**
 * Scripted LLM answers for pipeline tests: the ideas request gets a fixed JSON list of ideas, each
 * carrying a marker; the implementation request gets the fixture kernel its idea's marker names.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Responder, ScriptedReply } from './openai-server.ts';
import { REPO_ROOT } from './paths.ts';

export interface ScriptedIdea {
  marker: string; // e.g. 'IDEA-CORRECT'
  text: string;
  category: string;
  /** Fixture under test/fixtures/e2e/ (a relative path may leave it: the harness tests' candidates are
   * reused where their C++ would be compiled again otherwise), or a function of the implementation prompt. */
  kernel: string | ((prompt: string) => string);
}

export function fixtureKernel(name: string): string {
  return readFileSync(path.join(REPO_ROOT, 'test/fixtures/e2e', name), 'utf8');
}

export function lastUserMessage(body: { messages?: { role: string; content: string }[] }): string {
  return [...(body.messages ?? [])].reverse().find((m) => m.role === 'user')?.content ?? '';
}

export const isIdeasPrompt = (prompt: string): boolean => prompt.includes('Propose ') && prompt.includes('optimisation ideas');

/** A responder that answers ideas requests with `ideasFor(prompt)` and implementations from the markers. */
export function scriptedKernelResponder(ideasFor: (prompt: string) => ScriptedIdea[]): Responder {
  const known = new Map<string, ScriptedIdea>();
  return ({ body }): ScriptedReply => {
    const prompt = lastUserMessage(body);
    if (isIdeasPrompt(prompt)) {
      const ideas = ideasFor(prompt);
      for (const idea of ideas) known.set(idea.marker, idea);
      const list = ideas.map((i) => ({ idea: `${i.marker}: ${i.text}`, category: i.category }));
      return { content: `Here are my ideas.\n\`\`\`json\n${JSON.stringify(list, null, 2)}\n\`\`\`\n` };
    }
    const idea = [...known.values()].find((i) => prompt.includes(`${i.marker}:`));
    if (!idea) return { content: 'I do not know which idea you mean.' };
    const source = typeof idea.kernel === 'string' ? fixtureKernel(idea.kernel) : idea.kernel(prompt);
    return { content: `Here is the implementation.\n\`\`\`python\n${source}\`\`\`\n` };
  };
}
