/**
 * KernelRecord <-> Arrow conversion, driven by COLUMNS so that a new column needs no change here.
 * int64 columns are BigInt in Arrow and plain numbers in records (ids and seeds stay below 2^53).
 */
import * as arrow from 'apache-arrow';
import { COLUMNS, recordArrowSchema, type KernelRecord } from './schema.ts';

type Cell = unknown;

/** Convert one record value to what arrow.vectorFromArray expects for the column's kind. */
function toArrowCell(name: keyof KernelRecord, value: Cell): Cell {
  if (value === null || value === undefined) return null;
  switch (COLUMNS[name].kind) {
    case 'int64':
      return BigInt(value as number);
    case 'list<int64>':
      return (value as number[]).map((v) => BigInt(v));
    default:
      return value;
  }
}

/** Build one Arrow RecordBatch with exactly recordArrowSchema() from plain records. */
export function recordsToArrowBatch(records: readonly KernelRecord[], schema = recordArrowSchema()): arrow.RecordBatch {
  const children = schema.fields.map((field) => {
    const name = field.name as keyof KernelRecord;
    const builder = arrow.makeBuilder({ type: field.type, nullValues: [null, undefined] });
    for (const r of records) builder.append(toArrowCell(name, r[name]));
    // flush() yields a single Data, which a RecordBatch child must be.
    const data = builder.finish().flush();
    return data;
  });
  const struct = arrow.makeData({ type: new arrow.Struct(schema.fields), length: records.length, nullCount: 0, children });
  return new arrow.RecordBatch(schema, struct);
}

/** An Arrow table (one batch) of the given records. */
export function recordsToArrowTable(records: readonly KernelRecord[]): arrow.Table {
  const schema = recordArrowSchema();
  return new arrow.Table(schema, [recordsToArrowBatch(records, schema)]);
}

function fromArrowCell(name: string, value: Cell): Cell {
  if (value === null || value === undefined) return null;
  const spec = COLUMNS[name as keyof KernelRecord];
  if (!spec) return value;
  switch (spec.kind) {
    case 'int64':
      return Number(value as bigint);
    case 'list<int64>':
      return Array.from(value as Iterable<bigint>, (v) => Number(v));
    case 'list<float64>':
    case 'list<utf8>':
      return Array.from(value as Iterable<unknown>);
    default:
      return value;
  }
}

/**
 * Convert rows of an Arrow table or batch to plain objects. With a subset of columns the result
 * only has those keys (hence Partial); `rows` picks row indices (default: all).
 */
export function arrowToRecords(
  table: arrow.Table | arrow.RecordBatch,
  rows?: readonly number[],
): Partial<KernelRecord>[] {
  const columns = table.schema.fields.map((f) => ({ name: f.name, vector: table.getChild(f.name)! }));
  const indices = rows ?? Array.from({ length: table.numRows }, (_, i) => i);
  const out: Partial<KernelRecord>[] = new Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    const rec: Record<string, Cell> = {};
    for (const c of columns) rec[c.name] = fromArrowCell(c.name, c.vector.get(i));
    out[k] = rec as Partial<KernelRecord>;
  }
  return out;
}
