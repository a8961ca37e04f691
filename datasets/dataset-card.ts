/** The README.md dataset card of a Hugging Face dataset folder. */
import { COLUMNS, COLUMN_NAMES } from './schema.ts';

export interface CardFacts {
  name: string;
  splits: { split: string; rows: number; problems: number; files: string[] }[];
  byLevel: Record<string, number>;
  filters: string[];
  selection: string;
  duplicatesRemoved: number;
  sourceRuns: string[];
  inputs: string[];
  problemSources: string[];
}

/** Licence of the problems by source: KernelBench files are MIT; kernelforge's samples too. */
export function problemLicence(source: string): string {
  if (source === 'builtin') return 'MIT (kernelforge builtin sample problems)';
  return 'MIT (KernelBench, github.com/ScalingIntelligence/KernelBench, (c) 2023 Anne Ouyang, Simon Guo, Azalia Mirhoseini), unless the source states otherwise';
}

const esc = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderDatasetCard(f: CardFacts): string {
  const yaml = [
    '---',
    'license: mit',
    'task_categories:',
    '- text-generation',
    'tags:',
    '- code',
    '- gpu-kernels',
    '- kernelbench',
    'configs:',
    '- config_name: default',
    '  data_files:',
    ...f.splits.filter((s) => s.files.length).flatMap((s) => [`  - split: ${s.split}`, `    path: data/${s.split}-*.parquet`]),
    '---',
  ];
  const licences = [...new Set(f.problemSources.map((s) => (s.startsWith('builtin') ? 'builtin' : s)).map(problemLicence))];
  return [
    ...yaml,
    '',
    `# ${f.name}`,
    '',
    'Candidate GPU kernels for KernelBench problems, each verified for correctness against the PyTorch',
    'reference and timed against it, made by kernelforge. One row per candidate kernel.',
    '',
    '## Counts',
    '',
    '| split | rows | problems |',
    '|---|---|---|',
    ...f.splits.map((s) => `| ${s.split} | ${s.rows} | ${s.problems} |`),
    '',
    `Rows by level: ${Object.entries(f.byLevel).map(([l, n]) => `level ${l}: ${n}`).join(', ') || 'none'}.`,
    `Duplicates removed (same kernel source up to comments and whitespace): ${f.duplicatesRemoved}.`,
    'The split is by problem (a hash of the problem key): no problem is in both splits.',
    '',
    '## Filters applied',
    '',
    `Selection: ${f.selection}.`,
    '',
    ...f.filters.map((x) => `- ${x}`),
    '',
    '## Sources',
    '',
    `Runs (${f.sourceRuns.length}): ${f.sourceRuns.map((r) => `\`${r}\``).join(', ') || 'none'}`,
    '',
    `Inputs: ${f.inputs.map((r) => `\`${r}\``).join(', ')}`,
    '',
    '## Licence',
    '',
    'The kernels are released under the MIT licence. The reference problems keep their own licence:',
    '',
    ...licences.map((l) => `- ${l}`),
    '',
    '## Schema',
    '',
    '| column | group | type | nullable | description |',
    '|---|---|---|---|---|',
    ...COLUMN_NAMES.map((c) => `| ${c} | ${COLUMNS[c].group} | ${COLUMNS[c].kind} | ${COLUMNS[c].nullable ? 'yes' : 'no'} | ${esc(COLUMNS[c].doc)} |`),
    '',
  ].join('\n');
}
