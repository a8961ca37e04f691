/** The GPUs a `kforge worker` may use when --gpus is not given: CUDA_VISIBLE_DEVICES, else nvidia-smi's list. */
import { execa } from 'execa';

export async function visibleGpus(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const pinned = env['CUDA_VISIBLE_DEVICES'];
  if (pinned !== undefined) return pinned.split(',').map((g) => g.trim()).filter((g) => g !== '' && g !== '-1');
  const r = await execa('nvidia-smi', ['--query-gpu=index', '--format=csv,noheader'], { reject: false, timeout: 30_000 });
  if (r.exitCode !== 0) return [];
  return String(r.stdout).split('\n').map((l) => l.trim()).filter(Boolean);
}

/** --gpus 0,1 (or 0 1): the list as given, checked to be device indexes or UUIDs. */
export function parseGpuList(values: readonly (string | number)[]): string[] {
  const gpus = values.flatMap((v) => String(v).split(',')).map((g) => g.trim()).filter(Boolean);
  const bad = gpus.filter((g) => !/^(\d+|GPU-[0-9a-fA-F-]+|MIG-[0-9a-zA-Z/-]+)$/.test(g));
  if (bad.length) throw new TypeError(`--gpus takes device indexes or UUIDs, e.g. --gpus 0,1 (got ${bad.join(', ')})`);
  return gpus;
}
