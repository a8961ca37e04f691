/**
 * Synthetic records for the benchmark: ~8 KB of varied but realistic kernel code each (a CUDA
 * extension inside a Python module, with random names, sizes and a random mix of code blocks), so
 * zstd sees text like real kernels rather than one repeated string. Deterministic per seed.
 */
import { kernelDedupKey } from '../datasets/kernel-dedup.ts';
import type { KernelRecord } from '../datasets/schema.ts';
import { seededRandom as rng } from '../test/support/seeded-random.ts';


const OPS = ['fmaxf(v, 0.f)', 'v * scale', '__expf(v - m)', 'v / (1.f + __expf(-v))', 'tanhf(v)', 'v * v', 'rsqrtf(v + eps)', 'fminf(v, clamp)'];
const NAMES = ['fused', 'tiled', 'vec4', 'warp', 'block', 'smem', 'coalesced', 'unrolled', 'async', 'reduce'];
const CATEGORIES = ['memory access', 'asynchronous work and latency hiding', 'data type and precision', 'compute and instruction optimisation', 'parallelism and occupancy', 'control flow and loops'];

function block(r: () => number, i: number): string {
  const name = `${NAMES[Math.floor(r() * NAMES.length)]}_${i}_${Math.floor(r() * 1e6).toString(36)}`;
  const tile = [16, 32, 64, 128][Math.floor(r() * 4)]!;
  const op = OPS[Math.floor(r() * OPS.length)];
  const unroll = 1 + Math.floor(r() * 8);
  return `
__global__ void ${name}_kernel(const float* __restrict__ x, float* __restrict__ y, int n, float scale, float eps) {
    __shared__ float tile[${tile}][${tile + 1}];
    int idx = blockIdx.x * blockDim.x + threadIdx.x;
    int stride = gridDim.x * blockDim.x;
    float m = ${(r() * 4).toFixed(3)}f, clamp = ${(r() * 10).toFixed(2)}f;
    #pragma unroll ${unroll}
    for (int i = idx; i < n; i += stride) {
        float v = x[i];
        v = ${op};
        tile[threadIdx.y % ${tile}][threadIdx.x % ${tile}] = v;
        __syncthreads();
        y[i] = tile[threadIdx.y % ${tile}][threadIdx.x % ${tile}] + ${(r() * 0.01).toFixed(5)}f;
    }
}

torch::Tensor ${name}_forward(torch::Tensor x, double scale) {
    auto y = torch::empty_like(x);
    int n = x.numel();
    int threads = ${[128, 256, 512, 1024][Math.floor(r() * 4)]};
    int blocks = (n + threads - 1) / threads;
    ${name}_kernel<<<blocks, threads>>>(x.data_ptr<float>(), y.data_ptr<float>(), n, (float)scale, 1e-5f);
    return y;
}
`;
}

export function kernelSource(r: () => number, targetBytes = 8192): string {
  let cuda = '';
  for (let i = 0; cuda.length < targetBytes - 700; i++) cuda += block(r, i);
  return `import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cuda_source = r"""
#include <torch/extension.h>
#include <cuda_runtime.h>
${cuda}"""

cpp_source = "torch::Tensor forward(torch::Tensor x, double scale);"

ext = load_inline(name="ext_${Math.floor(r() * 1e9).toString(36)}", cpp_sources=cpp_source, cuda_sources=cuda_source, functions=["forward"], verbose=False)


class ModelNew(nn.Module):
    def __init__(self, *args):
        super().__init__()

    def forward(self, x):
        return ext.forward(x, ${(r() * 2).toFixed(4)})
`;
}

const PROBLEM_CODE = (level: number, id: number): string =>
  `import torch\nimport torch.nn as nn\n\nclass Model(nn.Module):\n    def forward(self, x):\n        return torch.relu(x) * ${level * 1000 + id}\n\nbatch_size = 16\ndim = 16384\n\ndef get_inputs():\n    return [torch.randn(batch_size, dim)]\n\ndef get_init_inputs():\n    return []\n`;

/** Record number `i` (global index), deterministic. */
export function syntheticRecord(i: number, kernelBytes = 8192): KernelRecord {
  const r = rng(i * 2654435761);
  const level = 1 + Math.floor(r() * 3);
  const problemId = 1 + Math.floor(r() * 90);
  const outcome = r();
  const compiled = outcome > 0.15;
  const correct = outcome > 0.4;
  const speedup = correct ? Math.exp((r() - 0.55) * 2.2) : null; // ~22% of records >= 1.5
  const suspect = correct && r() < 0.01;
  const key = `problem-${level}-${problemId}`;
  const kernel = kernelSource(r, kernelBytes);
  return {
    record_id: `rec-${i.toString(16).padStart(12, '0')}`, run_id: `bench-run-${Math.floor(i / 100_000)}`, dataset_version: null,
    round: 1 + Math.floor(r() * 5), idea_id: `idea-${i % 50_000}`, impl_index: Math.floor(r() * 4), kernel_id: `kernel-${i}`,
    parent_ids: r() < 0.5 ? [] : [`kernel-${Math.max(0, i - 1000)}`], seed_source: 'search', provider: 'openai', model: r() < 0.5 ? 'o3' : 'gemini-2.5-pro',
    problem_key: key, problem_source: 'jsonl:problems.jsonl', problem_file: null, level, problem_id: problemId, problem_name: `${problemId}_Problem`,
    problem_code: PROBLEM_CODE(level, problemId), input_shapes: '[[16, 16384]]', input_dtypes: ['float32'], flops: 262144, min_bytes: 2097152,
    weak_problem: problemId === 7 ? true : false, weak_reasons: problemId === 7 ? ['zeros_pass'] : [],
    idea_text: `Use ${NAMES[i % NAMES.length]} tiling with shared memory and vectorised float4 loads (variant ${i % 977})`,
    idea_category: CATEGORIES[i % CATEGORIES.length]!, prompt_version: 'v1', prompt: null, raw_response: null,
    temperature: 0.7, max_tokens: 8192, tokens_in: 2000 + Math.floor(r() * 3000), tokens_out: 1500 + Math.floor(r() * 2000), latency_ms: 20_000 * r(), cost_usd: 0.02 * r(), from_cache: false,
    kernel_source: kernel, kernel_dedup_key: kernelDedupKey(kernel), backend: 'cuda', precision: 'fp32', compile_flags: null, build_rewrites: [], compiled, compile_log: compiled ? null : 'error: identifier "foo" is undefined', static_findings: [],
    correct, trials_passed: correct ? 5 : Math.floor(r() * 5), trials_run: 5, seeds: [1, 2, 3, 4, 5], tolerance_policy: 'default', atol: 1e-4, rtol: 1e-4,
    max_abs_error: correct ? r() * 1e-5 : r(), max_rel_error: correct ? r() * 1e-5 : r(), passes_policies: correct ? ['default', 'loose'] : [],
    inputs_unchanged: true, deterministic: true, fail_stage: !compiled ? 'build' : !correct ? 'correctness' : null, fail_message: !correct ? 'mismatch' : null,
    ref_time_ms: 1, ref_time_min_ms: 0.95, ref_time_max_ms: 1.05, ref_trials_ms: [1, 0.95, 1.05],
    kernel_time_ms: speedup ? 1 / speedup : null, kernel_time_min_ms: null, kernel_time_max_ms: null, kernel_trials_ms: speedup ? [1 / speedup] : [],
    speedup, compile_ref_time_ms: null, speedup_vs_compile: null, sol_floor_ms: null, sol_fraction: null, timing_method: 'cuda_events+sync', gpu_kernel_time_ms: speedup ? 0.9 / speedup : null,
    flags: suspect ? ['timing_anomaly'] : [], suspect, own_kernel_share: 0.9, kernels_launched: ['kernel'], reference_kernels_replaced: ['elementwise'], reference_kernels_kept: [],
    device_name: 'NVIDIA H100', compute_capability: '9.0', driver_version: '570', cuda_version: '12.8', torch_version: '2.7.0', tf32_enabled: false,
    verifier_version: '1', created_at: '2025-06-01T00:00:00.000Z',
  };
}
