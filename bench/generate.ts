/** Child process of the benchmark: write part files [from, to) of `perFile` synthetic records each. */
import { writeRecordStreamParquet } from '../datasets/parquet-writer.ts';
import { runLayout } from '../stages/core/run-layout.ts';
import { syntheticRecord } from './synthetic.ts';

const [dir, fromS, toS, perFileS, totalS] = process.argv.slice(2);
const [from, to, perFile, total] = [Number(fromS), Number(toS), Number(perFileS), Number(totalS)];
for (let f = from; f < to; f++) {
  const start = f * perFile;
  const end = Math.min(total, start + perFile);
  async function* chunks() {
    for (let i = start; i < end; i += 1024) yield Array.from({ length: Math.min(1024, end - i) }, (_, k) => syntheticRecord(i + k));
  }
  await writeRecordStreamParquet(chunks(), runLayout(dir!).partFile(f));
}
