/** Supervised fine-tuning JSONL (OpenAI chat format): train.jsonl and validation.jsonl. */
import { join } from 'node:path';
import { chatExample, DEFAULT_SYSTEM_PROMPT } from './chat-format.ts';
import { newSelectionCounts, selectForExport, type ExportSelectOptions, type SelectionCounts } from './export-select.ts';
import type { Duck } from './duck.ts';
import { JsonlWriter } from './jsonl-writer.ts';
import type { KernelRecord } from './schema.ts';

export interface SftExportOptions extends Omit<ExportSelectOptions, 'columns'> {
  outDir: string;
  /** Put the record's idea into the user turn (idea-conditioned SFT). */
  withIdea: boolean;
  systemPrompt?: string;
}

const SFT_COLUMNS: (keyof KernelRecord)[] = ['record_id', 'problem_key', 'problem_code', 'problem_name', 'level', 'kernel_source', 'idea_text', 'speedup'];

/**
 * Writes `<split>.jsonl` (only {"messages": [...]}, as OpenAI's validator wants) and
 * `<split>.index.jsonl`, line for line the record id, problem and speedup of each example.
 */
export async function exportSft(d: Duck, o: SftExportOptions): Promise<SelectionCounts> {
  const counts = newSelectionCounts();
  const system = o.systemPrompt ?? DEFAULT_SYSTEM_PROMPT;
  const writers = {
    train: { data: await JsonlWriter.create(join(o.outDir, 'train.jsonl')), index: await JsonlWriter.create(join(o.outDir, 'train.index.jsonl')) },
    validation: { data: await JsonlWriter.create(join(o.outDir, 'validation.jsonl')), index: await JsonlWriter.create(join(o.outDir, 'validation.index.jsonl')) },
  };
  for await (const { split, records } of selectForExport(d, { ...o, columns: SFT_COLUMNS }, counts)) {
    for (const r of records) {
      await writers[split].data.write(chatExample(r, system, o.withIdea));
      await writers[split].index.write({ record_id: r.record_id, problem_key: r.problem_key, problem_name: r.problem_name, level: r.level, speedup: r.speedup });
    }
  }
  for (const w of Object.values(writers)) (await w.data.close(), await w.index.close());
  return counts;
}
