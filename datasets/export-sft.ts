/** Supervised fine-tuning JSONL (OpenAI chat format): train.jsonl and validation.jsonl. */
import { join } from 'node:path';
import { DEFAULT_SYSTEM_PROMPT } from './chat-format.ts';
import { chatLinesSql } from './chat-sql.ts';
import { inSplitSql, planExport, type ExportSelectOptions, type SelectionCounts } from './export-select.ts';
import { sqlStr, type Duck } from './duck.ts';
import { JsonlWriter } from './jsonl-writer.ts';
import { filterSql } from './record-filter.ts';

export interface SftExportOptions extends ExportSelectOptions {
  outDir: string;
  /** Put the record's idea into the user turn (idea-conditioned SFT). */
  withIdea: boolean;
  systemPrompt?: string;
}

/** The examples written disagree with the index: never expected, checked because the files must line up. */
export class ExportMismatchError extends Error {
  override readonly name = 'ExportMismatchError';
}

/**
 * Writes `<split>.jsonl` (only {"messages": [...]}, as OpenAI's validator wants) and
 * `<split>.index.jsonl`, line for line the record id, problem and speedup of each example. The index
 * is written during the deciding pass; the examples by DuckDB, one COPY per split, in input order
 * (a WHERE over one table keeps it), each line the text chat-format.ts would give.
 */
export async function exportSft(d: Duck, o: SftExportOptions): Promise<SelectionCounts> {
  const index = { train: await JsonlWriter.create(join(o.outDir, 'train.index.jsonl')), validation: await JsonlWriter.create(join(o.outDir, 'validation.index.jsonl')) };
  const counts = await planExport(d, o, (split, r) => index[split].write({ record_id: r.record_id, problem_key: r.problem_key, problem_name: r.problem_name, level: r.level, speedup: r.speedup }));
  await index.train.close();
  await index.validation.close();
  for (const split of ['train', 'validation'] as const) {
    // CSV of one column without quoting writes each line as it is (a JSON line holds no raw newline).
    const rows = await d.copyAtomically(join(o.outDir, `${split}.jsonl`), (tmp) =>
      `COPY (${chatLinesSql(o.systemPrompt ?? DEFAULT_SYSTEM_PROMPT, o.withIdea, `${filterSql(o.filter)} AND ${inSplitSql(split)}`)}) TO ${sqlStr(tmp)} (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\u0001')`);
    if (rows !== counts[split]) throw new ExportMismatchError(`${split}.jsonl got ${rows} lines for ${counts[split]} index lines: a bug in kforge, please report it with the inputs`);
  }
  return counts;
}
