/** Rewrites the README's record schema table from datasets/schema.ts (npm run docs:schema). */
import { readFileSync, writeFileSync } from 'node:fs';
import { schemaMarkdown } from '../datasets/schema-doc.ts';

const file = new URL('../README.md', import.meta.url);
const readme = readFileSync(file, 'utf8');
const updated = readme.replace(/<!-- schema:start -->[\s\S]*<!-- schema:end -->/, `<!-- schema:start -->\n${schemaMarkdown()}<!-- schema:end -->`);
writeFileSync(file, updated);
