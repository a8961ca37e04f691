/** The README's record schema table, generated from COLUMNS so the two cannot drift apart. */
import { COLUMNS, COLUMN_NAMES } from './schema.ts';

const GROUP_TITLES: Record<string, string> = {
  identity: 'Identity and lineage',
  problem: 'Problem',
  generation: 'Generation',
  artifact: 'Artifact',
  correctness: 'Correctness',
  performance: 'Performance',
  integrity: 'Integrity',
  environment: 'Environment',
};

export function schemaMarkdown(): string {
  const lines: string[] = [];
  let group = '';
  for (const name of COLUMN_NAMES) {
    const spec = COLUMNS[name];
    if (spec.group !== group) {
      group = spec.group;
      lines.push('', `**${GROUP_TITLES[group]}**`, '', '| column | type | null | meaning |', '|---|---|---|---|');
    }
    lines.push(`| \`${name}\` | ${spec.kind} | ${spec.nullable ? 'yes' : 'no'} | ${spec.doc.replace(/\|/g, '\\|')} |`);
  }
  return lines.join('\n').trim() + '\n';
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  process.stdout.write(schemaMarkdown());
}
