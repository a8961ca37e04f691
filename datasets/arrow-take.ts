/**
 * Take rows of an Arrow batch by index without turning them into JS values: fixed-width values,
 * bitmaps, string bytes and list children are copied buffer to buffer. This is what lets filter move
 * 8 KB kernel sources from the input file to the output file without decoding and re-encoding them.
 * Supports the column kinds of the record schema (utf8, int32, int64, float64, bool, lists of them).
 */
import * as arrow from 'apache-arrow';

export class UnsupportedTakeError extends Error {
  override readonly name = 'UnsupportedTakeError';
}

function takeValidity(data: arrow.Data, idx: ArrayLike<number>): { nullBitmap: Uint8Array | undefined; nullCount: number } {
  if (!data.nullCount) return { nullBitmap: undefined, nullCount: 0 };
  const bitmap = new Uint8Array(((idx.length + 63) >> 6) << 3);
  let nulls = 0;
  for (let k = 0; k < idx.length; k++) {
    if (data.getValid(idx[k]!)) bitmap[k >> 3]! |= 1 << (k & 7);
    else nulls++;
  }
  return { nullBitmap: bitmap, nullCount: nulls };
}

/** Row indices of a list's (or string's) children covered by the chosen rows, and the new offsets. */
function childRanges(offsets: Int32Array, base: number, idx: ArrayLike<number>): { newOffsets: Int32Array; total: number } {
  const newOffsets = new Int32Array(idx.length + 1);
  let total = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = base + idx[k]!;
    total += offsets[i + 1]! - offsets[i]!;
    newOffsets[k + 1] = total;
  }
  return { newOffsets, total };
}

export function takeData(data: arrow.Data, idx: ArrayLike<number>): arrow.Data {
  const type = data.type as arrow.DataType;
  const { nullBitmap, nullCount } = takeValidity(data, idx);
  const n = idx.length;
  const off = data.offset;
  if (arrow.DataType.isInt(type) || arrow.DataType.isFloat(type)) {
    const src = data.values as unknown as { [i: number]: number | bigint; constructor: new (n: number) => { [i: number]: number | bigint } };
    const out = new src.constructor(n);
    for (let k = 0; k < n; k++) out[k] = src[off + idx[k]!]!;
    return arrow.makeData({ type, length: n, nullCount, nullBitmap, data: out } as never);
  }
  if (arrow.DataType.isBool(type)) {
    const src = data.values as Uint8Array;
    const out = new Uint8Array(((n + 63) >> 6) << 3);
    for (let k = 0; k < n; k++) {
      const i = off + idx[k]!;
      if ((src[i >> 3]! >> (i & 7)) & 1) out[k >> 3]! |= 1 << (k & 7);
    }
    return arrow.makeData({ type, length: n, nullCount, nullBitmap, data: out });
  }
  if (arrow.DataType.isUtf8(type)) {
    const offsets = data.valueOffsets as Int32Array;
    const src = data.values as Uint8Array;
    const { newOffsets, total } = childRanges(offsets, off, idx);
    const out = new Uint8Array(total);
    for (let k = 0; k < n; k++) {
      const i = off + idx[k]!;
      out.set(src.subarray(offsets[i]!, offsets[i + 1]!), newOffsets[k]!);
    }
    return arrow.makeData({ type, length: n, nullCount, nullBitmap, valueOffsets: newOffsets, data: out });
  }
  if (arrow.DataType.isList(type)) {
    const offsets = data.valueOffsets as Int32Array;
    const { newOffsets, total } = childRanges(offsets, off, idx);
    const childIdx = new Int32Array(total);
    let p = 0;
    for (let k = 0; k < n; k++) {
      const i = off + idx[k]!;
      for (let c = offsets[i]!; c < offsets[i + 1]!; c++) childIdx[p++] = c;
    }
    const child = takeData(data.children[0]!, childIdx);
    return arrow.makeData({ type: type as arrow.List, length: n, nullCount, nullBitmap, valueOffsets: newOffsets, child });
  }
  if (arrow.DataType.isNull(type)) return arrow.makeData({ type, length: n, nullCount: n });
  throw new UnsupportedTakeError(`cannot take rows of a ${type} column`);
}

/** Batches of the chosen rows (ascending indices), same schema; one per input batch that has any. */
export function takeRows(table: arrow.Table, idx: readonly number[]): arrow.RecordBatch[] {
  const out: arrow.RecordBatch[] = [];
  let start = 0;
  let k = 0;
  for (const batch of table.batches) {
    const local: number[] = [];
    while (k < idx.length && idx[k]! < start + batch.numRows) local.push(idx[k++]! - start);
    start += batch.numRows;
    if (!local.length) continue;
    const children = batch.schema.fields.map((_, c) => takeData(batch.data.children[c] as arrow.Data, local));
    const struct = arrow.makeData({ type: new arrow.Struct(batch.schema.fields), length: local.length, nullCount: 0, children });
    out.push(new arrow.RecordBatch(batch.schema, struct));
  }
  return out;
}
