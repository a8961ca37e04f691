/**
 * Writes what is generated from the verdict definition (stages/verify/harness/kforge_harness/verdict.json):
 * stages/verify/protocol.ts and the job and result tables of PROTOCOL.md (npm run docs:verdict).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { readVerdictDefinition } from '../stages/verify/verdict-definition.ts';
import { renderProtocolTs, withVerdictTables } from '../stages/verify/verdict-render.ts';

const def = readVerdictDefinition();
writeFileSync(new URL('../stages/verify/protocol.ts', import.meta.url), renderProtocolTs(def));
const protocolMd = new URL('../stages/verify/harness/PROTOCOL.md', import.meta.url);
writeFileSync(protocolMd, withVerdictTables(readFileSync(protocolMd, 'utf8'), def));
