/**
 * Candidates in plain PyTorch arithmetic (no extension to build), for tests of the search and of
 * resume where what matters is the flow, not the compiler: each verifies in about a second.
 * (x + |x|) / 2 is ReLU exactly in floating point, so they pass the strictest tolerance.
 */
export function fastRelu(tag: string): string {
  return `# kernel ${tag}
import torch
import torch.nn as nn

class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return (x + x.abs()) * 0.5
`;
}

/** Correct but slower: the same arithmetic one row at a time. */
export function slowRelu(tag: string): string {
  return `# kernel ${tag}
import torch
import torch.nn as nn

class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        rows = [(r + r.abs()) * 0.5 for r in x.unbind(0)]
        return torch.stack(rows, 0)
`;
}

/** Wrong: drops the halving. */
export function wrongRelu(tag: string): string {
  return `# kernel ${tag}
import torch
import torch.nn as nn

class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return x + x.abs()
`;
}
