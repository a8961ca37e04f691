/**
 * Wrap rendered kernel parts into a KernelBench candidate module: load_inline at import time and a
 * ModelNew with the reference's constructor signature (arguments are accepted and ignored: the sizes
 * are baked into the kernel call, and parameter-owning submodules are recreated under the same names
 * and in the same order so the benchmark's seeding gives identical weights).
 */
import { createHash } from 'node:crypto';
import type { KernelParts } from './kernel-parts.ts';

function pyString(text: string): string {
  if (text.includes("'''")) throw new Error("kernel source contains ''' ");
  return `r'''${text}'''`;
}

export function renderModule(parts: KernelParts, header: string): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([parts.source, parts.declaration, parts.extraCflags, parts.extraCudaCflags]))
    .digest('hex')
    .slice(0, 12);
  const name = `kf_${parts.backend}_${parts.label.replace(/[^A-Za-z0-9_]/g, '_')}_${hash}`;
  const cuda = parts.backend === 'cuda';
  const load = cuda
    ? [
        `    cpp_sources=[_DECL],`,
        `    cuda_sources=[_SOURCE],`,
        `    extra_cflags=${JSON.stringify(parts.extraCflags)},`,
        `    extra_cuda_cflags=${JSON.stringify(parts.extraCudaCflags)},`,
      ]
    : [
        `    cpp_sources=[_SOURCE],`,
        `    extra_cflags=${JSON.stringify(parts.extraCflags)},`,
        `    extra_ldflags=${JSON.stringify(parts.extraCflags.includes('-fopenmp') ? ['-fopenmp'] : [])},`,
      ];
  return [
    `# ${header}`,
    'import torch',
    'import torch.nn as nn',
    'from torch.utils.cpp_extension import load_inline',
    '',
    `_SOURCE = ${pyString(parts.source)}`,
    '',
    `_DECL = ${pyString(parts.declaration)}`,
    '',
    '_ext = load_inline(',
    `    name=${JSON.stringify(name)},`,
    ...load,
    `    functions=["kf_forward"],`,
    '    verbose=False,',
    ')',
    '',
    '',
    ...modelNewClass(parts.init, parts.inputs, [`return ${parts.call}`]),
  ].join('\n');
}

/** The ModelNew class lines: the reference's constructor arguments accepted, `init` and a forward of `inputs` tensors. */
export function modelNewClass(init: string[], inputs: number, forward: string[]): string[] {
  const args = Array.from({ length: inputs }, (_, i) => `x${i}`);
  return [
    'class ModelNew(nn.Module):',
    '    def __init__(self, *args, **kwargs):',
    '        super().__init__()',
    ...init.map((l) => `        ${l}`),
    '',
    `    def forward(self, ${args.join(', ')}):`,
    ...forward.map((l) => `        ${l}`),
    '',
  ];
}
