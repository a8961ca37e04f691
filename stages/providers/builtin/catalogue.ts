/**
 * The builtin idea catalogue: per operator family and backend, ideas that each name a template and
 * its parameters, ordered so that the first six cover METHOD.md's six categories and later entries
 * vary the parameters (so later rounds bring new ideas). implVariants vary a secondary parameter
 * per implementation index (block size, chunk, tile).
 */
import type { Backend, Precision } from '../../verify/protocol.ts';
import type { IdeaCategory } from '../../provider.ts';
import type { Family, SupportedAnalysis } from './analysis.ts';
import type { Params } from './kernel-parts.ts';
import { TRANSCENDENTAL } from './ops.ts';

// v2: triton templates, fp16/bf16 CUDA elementwise; v3: Triton elementwise ideas reordered, Triton middle-dim
// reductions with column tiles fastest across programs and a split form first
export const CATALOGUE_VERSION = 'builtin-catalogue-v3';

export interface CatalogueIdea {
  category: IdeaCategory;
  template: string;
  params: Params;
  text: string;
  implVariants: Params[];
}

type Entry = Omit<CatalogueIdea, 'template'>;

function cpuElementwise(analysis: SupportedAnalysis): Entry[] {
  const base = { chunk: 16384, simd: true, unroll: 1, prefetch: false, fastMath: false };
  const chunks = [{ chunk: 16384 }, { chunk: 65536 }, { chunk: 4096 }];
  const transcendental = analysis.op.family === 'unary' && TRANSCENDENTAL.has(analysis.op.op);
  return [
    { category: 'memory_access', params: base, implVariants: chunks,
      text: 'Stream the tensor once in contiguous chunks per OpenMP thread, inner loop vectorised with omp simd (unit-stride loads and stores).' },
    { category: 'async_latency_hiding', params: { ...base, prefetch: true, chunk: 8192 }, implVariants: [{}, { chunk: 32768 }],
      text: 'Software-prefetch the next chunk with __builtin_prefetch while the current chunk is computed, hiding DRAM latency.' },
    { category: 'precision', params: { ...base, fastMath: true }, implVariants: chunks,
      text: transcendental
        ? 'Compile with -ffast-math so the transcendental call vectorises through the vector math library (fp32 kept, error far below 1e-4).'
        : 'Compile with -ffast-math: relaxed IEEE semantics let the compiler use min/max vector instructions for the comparisons.' },
    { category: 'compute_instructions', params: { ...base, simd: false }, implVariants: chunks,
      text: 'Branch-free scalar expression for the op in a plain loop that GCC auto-vectorises at -O3 (no OpenMP simd clause).' },
    { category: 'parallelism_occupancy', params: { ...base, chunk: 1 << 20 }, implVariants: [{}, { chunk: 1 << 18 }],
      text: 'One large static chunk per thread (about 1M elements) so thread scheduling overhead is negligible and each core streams its own range.' },
    { category: 'control_flow_loops', params: { ...base, unroll: 8 }, implVariants: chunks,
      text: 'Unroll the vectorised inner loop 8x (GCC unroll pragma) to cut loop overhead and keep several vector loads in flight.' },
    { category: 'control_flow_loops', params: { ...base, unroll: 4, chunk: 4096 }, implVariants: [{}, { chunk: 2048 }],
      text: 'Small 4K-element chunks with a 4x unrolled inner loop, so each chunk stays in L1 between load and store.' },
    { category: 'memory_access', params: { ...base, fastMath: true, unroll: 4, chunk: 32768 }, implVariants: [{}, { chunk: 131072 }],
      text: 'Fast-math, 4x unrolled, 32K-element chunks: combine vectorisation with larger streaming blocks.' },
  ];
}

function cpuSoftmax(): Entry[] {
  const base = { strategy: 'three_pass', simd: true, fastMath: false };
  return [
    { category: 'memory_access', params: { ...base, strategy: 'store_exp' }, implVariants: [{}, { simd: false }],
      text: 'Write exp(x - max) to the output while summing, then scale the output row in place: the second read hits the cached output instead of the input.' },
    { category: 'async_latency_hiding', params: { ...base, strategy: 'online' }, implVariants: [{}, { fastMath: true }],
      text: 'Online softmax: one read of each row keeps a running max and a rescaled running sum, then one pass writes the result.' },
    { category: 'precision', params: { ...base, fastMath: true }, implVariants: [{}, { strategy: 'store_exp' }],
      text: 'Compile with -ffast-math so expf vectorises through the vector math library; fp32 throughout.' },
    { category: 'compute_instructions', params: base, implVariants: [{}, { fastMath: true }],
      text: 'Three vectorised passes per row (max, sum of exp, normalise with one reciprocal multiply instead of a divide per element).' },
    { category: 'parallelism_occupancy', params: { ...base, strategy: 'store_exp', fastMath: true }, implVariants: [{}],
      text: 'Rows split statically across OpenMP threads, each row handled entirely by one thread (no synchronisation), exp vectorised.' },
    { category: 'control_flow_loops', params: { ...base, simd: false }, implVariants: [{}],
      text: 'Plain scalar loops without simd pragmas, leaving unrolling to -O3, as a baseline for the vectorised variants.' },
  ];
}

function cpuLayerNorm(): Entry[] {
  const base = { stats: 'two_pass', simd: true, fastMath: false };
  return [
    { category: 'memory_access', params: { ...base, stats: 'sumsq' }, implVariants: [{}, { simd: false }],
      text: 'One read of each row for sum and sum of squares (double accumulators), then one normalise pass: two passes over memory instead of three.' },
    { category: 'async_latency_hiding', params: { ...base, stats: 'sumsq', fastMath: true }, implVariants: [{}],
      text: 'Single statistics pass with vectorised double accumulation, letting the hardware prefetcher stream the row while the FMAs run.' },
    { category: 'precision', params: base, implVariants: [{}, { fastMath: true }],
      text: 'Two-pass statistics (mean, then centred variance) in double: the numerically safest form for long rows.' },
    { category: 'compute_instructions', params: { ...base, stats: 'welford', simd: false }, implVariants: [{}],
      text: 'Welford running mean and M2 in a single read of the row (no catastrophic cancellation).' },
    { category: 'parallelism_occupancy', params: { ...base, stats: 'sumsq', fastMath: true }, implVariants: [{}],
      text: 'Rows split statically across OpenMP threads; each row normalised by the thread that computed its statistics (data stays in its cache).' },
    { category: 'control_flow_loops', params: { ...base, fastMath: true }, implVariants: [{}],
      text: 'Two-pass statistics with -ffast-math so the reductions vectorise and unroll freely.' },
  ];
}

function cpuReduction(): Entry[] {
  const base = { accs: 8, tile: 1024, simd: true, fastMath: false };
  return [
    { category: 'memory_access', params: base, implVariants: [{}, { tile: 256 }, { tile: 4096 }],
      text: 'Accumulate whole rows of the reduced dimension into an L1-resident tile of outputs, so every load is contiguous.' },
    { category: 'async_latency_hiding', params: { ...base, accs: 16 }, implVariants: [{}, { accs: 32 }],
      text: 'Sixteen independent accumulators per output so consecutive loads do not wait on the previous add.' },
    { category: 'precision', params: { ...base, fastMath: true }, implVariants: [{}, { tile: 512 }],
      text: 'Compile with -ffast-math to allow reassociation of the fp32 reduction (vector partial sums), staying within 1e-4.' },
    { category: 'compute_instructions', params: { ...base, accs: 4, simd: false }, implVariants: [{}],
      text: 'Four scalar accumulators and no simd pragma: the compiler maps them onto one SSE register.' },
    { category: 'parallelism_occupancy', params: { ...base, tile: 256 }, implVariants: [{}, { tile: 128 }],
      text: 'Small output tiles (256 columns) so there are many more OpenMP work items than threads.' },
    { category: 'control_flow_loops', params: { ...base, accs: 8, tile: 2048 }, implVariants: [{}],
      text: 'Fixed-trip inner loops over 8 accumulators with the remainder peeled off, so the hot loop has no bounds checks.' },
  ];
}

function cpuMatmul(): Entry[] {
  const base = { mb: 64, nb: 256, kb: 128, mr: 4, simd: true, fastMath: false };
  return [
    { category: 'memory_access', params: base, implVariants: [{}, { nb: 512 }, { kb: 256 }],
      text: 'Cache blocking: 64-row blocks, 256-column tiles and 128-deep k-slices, B packed row-major so the inner loop is a contiguous vector FMA.' },
    { category: 'async_latency_hiding', params: { ...base, kb: 64, nb: 128 }, implVariants: [{}, { kb: 32 }],
      text: 'Smaller B panels (64 x 128) that fit L1, so the next k-slice streams in while the current one is consumed.' },
    { category: 'precision', params: { ...base, fastMath: true }, implVariants: [{}, { mr: 2 }],
      text: 'fp32 accumulation with -ffast-math to let the compiler contract multiply-adds into FMAs and reassociate.' },
    { category: 'compute_instructions', params: { ...base, mr: 8 }, implVariants: [{}, { mr: 6 }],
      text: 'Register blocking: each B row load feeds 8 rows of C (8 FMAs per load), raising arithmetic intensity.' },
    { category: 'parallelism_occupancy', params: { ...base, mb: 16 }, implVariants: [{}, { mb: 32 }],
      text: '16-row blocks with dynamic OpenMP scheduling so every core gets work even for small M.' },
    { category: 'control_flow_loops', params: { ...base, mr: 1 }, implVariants: [{}],
      text: 'Simple i-k-j loop order (one row of C per pass) with the fused bias and activation epilogue in the same loop nest.' },
  ];
}

function cudaElementwise(analysis: SupportedAnalysis): Entry[] {
  const base = { vec: 4, ilp: 1, block: 256, grid: 'persistent', waves: 4, fast: false, streaming: false };
  const blocks = [{ block: 256 }, { block: 512 }, { block: 128 }];
  const transcendental = analysis.op.family === 'unary' && TRANSCENDENTAL.has(analysis.op.op);
  const out: Entry[] = [
    // Measured on H100 (KernelBench L1 19, 6.4 GB): the exact grid reaches PyTorch's bandwidth
    // (1.01x), a grid-stride persistent grid stays ~5% below it.
    { category: 'memory_access', params: { ...base, grid: 'exact' }, implVariants: [{ block: 256 }, { block: 1024 }, { block: 128 }],
      text: 'Vectorised 16-byte float4 loads and stores, one float4 per thread over an exact grid (every load coalesced, no loop).' },
    { category: 'async_latency_hiding', params: { ...base, ilp: 4 }, implVariants: blocks,
      text: 'Four independent float4 loads issued per thread before any compute (ILP 4) in a grid-stride loop, keeping more bytes in flight per SM.' },
    { category: 'compute_instructions', params: { ...base, grid: 'exact', ilp: 2 }, implVariants: blocks,
      text: 'Two float4 per thread over an exact grid: half the blocks to schedule and the index arithmetic amortised over 8 elements.' },
    { category: 'parallelism_occupancy', params: { ...base, grid: 'exact', block: 1024 }, implVariants: [{}, { block: 512 }],
      text: '1024-thread blocks (two resident per SM, full occupancy), one float4 per thread over an exact grid.' },
    { category: 'control_flow_loops', params: { ...base, ilp: 2, streaming: true }, implVariants: blocks,
      text: 'Grid-stride loop unrolled 2x over float4s with the tail peeled into a scalar loop, and streaming (evict-first) stores.' },
  ];
  if (transcendental) {
    out.splice(2, 0, { category: 'precision', params: { ...base, fast: true }, implVariants: blocks,
      text: 'fp32 with the fast __expf intrinsic for the exponential (a few ulp, well inside 1e-4), float4 grid-stride.' });
  } else {
    out.splice(2, 0, { category: 'memory_access', params: { ...base, vec: 1, grid: 'exact' }, implVariants: blocks,
      text: 'Scalar coalesced loads, one element per thread over an exact grid (the simplest coalesced kernel).' });
  }
  out.push({ category: 'async_latency_hiding', params: { ...base, ilp: 8, streaming: true }, implVariants: blocks,
    text: 'Eight float4 loads in flight per thread with streaming stores, so the write stream does not evict the read stream from L2.' });
  return out;
}

function cudaSoftmax(): Entry[] {
  const base = { threads: 1024, strategy: 'online', ilp: 2, fast: false };
  return [
    { category: 'memory_access', params: { ...base, strategy: 'smem_cache' }, implVariants: [{}, { threads: 512 }],
      text: 'One block per row; the row is cached in shared memory on the first read (when it fits), so global memory is read once and written once.' },
    { category: 'async_latency_hiding', params: base, implVariants: [{}, { threads: 512 }, { ilp: 4 }],
      text: 'Online softmax: one float4 pass keeps a running max and rescaled sum (two float4 loads in flight per thread), warp-shuffle combine of (max, sum) pairs, then one write pass.' },
    { category: 'precision', params: { ...base, fast: true }, implVariants: [{}, { threads: 512 }],
      text: 'Online softmax with the __expf intrinsic (fp32, error a few ulp).' },
    { category: 'compute_instructions', params: { ...base, strategy: 'two_pass' }, implVariants: [{}, { threads: 512 }],
      text: 'Separate max and sum passes (one exp per element instead of the online rescale), warp-shuffle reductions, one reciprocal per row.' },
    { category: 'parallelism_occupancy', params: { ...base, threads: 256 }, implVariants: [{}, { threads: 512 }],
      text: 'Online softmax with 256-thread blocks so several rows run per SM at once.' },
    { category: 'control_flow_loops', params: { ...base, ilp: 4 }, implVariants: [{}, { ilp: 1 }],
      text: 'Online softmax with the float4 loop unrolled 4x; the per-vector max/rescale update is branch-free.' },
  ];
}

function cudaLayerNorm(): Entry[] {
  const base = { threads: 512, blocksPerRow: 0, acc: 'float', fma: false, smemCache: false };
  return [
    { category: 'memory_access', params: { ...base, smemCache: true }, implVariants: [{}, { threads: 256 }],
      text: 'float4 loads of x, weight and bias; short rows cached in shared memory; long rows split over many blocks (partial sums, then normalise).' },
    { category: 'async_latency_hiding', params: { ...base, blocksPerRow: -2 }, implVariants: [{}, { threads: 256 }],
      text: 'Split each row over enough blocks to fill every SM twice over, so the statistics pass streams at full bandwidth even for few rows.' },
    { category: 'precision', params: { ...base, acc: 'double' }, implVariants: [{}, { threads: 256 }],
      text: 'Per-thread partial sums and sums of squares in double, so the variance of long rows keeps full fp32 accuracy.' },
    { category: 'compute_instructions', params: { ...base, fma: true }, implVariants: [{}, { threads: 256 }],
      text: 'Fold mean and rstd into one scale and shift per element (y = x * (w * rstd) + (b - mean * rstd * w)): one FMA chain, rsqrtf once per row.' },
    { category: 'parallelism_occupancy', params: { ...base, threads: 1024, blocksPerRow: -4 }, implVariants: [{}, { threads: 256 }],
      text: '1024-thread blocks for short rows; for long rows, four waves of blocks per SM across the row splits.' },
    { category: 'control_flow_loops', params: { ...base, threads: 256 }, implVariants: [{}, { threads: 128 }],
      text: 'Grid-stride float4 loops with compile-time vector width and a peeled scalar tail; block-wide reduction by warp shuffles.' },
  ];
}

function cudaReduction(): Entry[] {
  // Measured on H100 (KernelBench L1 47, sum over dim 1 of 128x4096x4095): 1024-thread blocks with
  // the reduced dim split over 8-32 warps reach 1.02x PyTorch; one thread per column stays at 0.85-0.9x.
  const base = { block: 1024, unroll: 4, splitY: 8, threadsRow: 256 };
  return [
    { category: 'memory_access', params: base, implVariants: [{}, { splitY: 16 }, { block: 512, splitY: 4 }],
      text: 'Threads of a 128 x 8 block run along the contiguous inner dim (512-byte coalesced spans per row), the 8 warps split the reduced dim and combine in shared memory; rows use float4 loads and warp shuffles.' },
    { category: 'async_latency_hiding', params: { ...base, splitY: 32, unroll: 8 }, implVariants: [{}, { unroll: 4 }],
      text: 'Eight independent loads in flight per thread (unrolled accumulation with separate partial sums) across 32 warps per column tile.' },
    { category: 'precision', params: { ...base, block: 512, splitY: 4, unroll: 4 }, implVariants: [{}],
      text: 'Pairwise-style accumulation: each output sums several independent partial chains (4 per thread, 4 threads), combined at the end (smaller fp32 rounding error).' },
    { category: 'compute_instructions', params: { ...base, block: 256, splitY: 1, unroll: 1 }, implVariants: [{}],
      text: 'One thread per output column, one accumulator, no shared memory: the simplest coalesced column reduction.' },
    { category: 'parallelism_occupancy', params: { ...base, splitY: 32, unroll: 8 }, implVariants: [{}, { splitY: 16, unroll: 4 }],
      text: 'Split the reduced dimension over all 32 warps of a 32 x 32 block and combine in shared memory: 32x more threads than outputs when outputs are few.' },
    { category: 'control_flow_loops', params: { ...base, block: 256, splitY: 1, unroll: 8 }, implVariants: [{}],
      text: 'Reduction loop unrolled 8x with a peeled remainder, one thread per column.' },
  ];
}

function cudaMatmul(): Entry[] {
  const base = { bm: 128, bn: 128, bk: 8, tm: 8, tn: 8, db: false };
  return [
    { category: 'memory_access', params: base, implVariants: [{}, { bk: 16 }],
      text: 'Shared-memory tiling 128x128x8 with 8x8 register micro-tiles per thread (256 threads), A tile stored k-major for conflict-free reads.' },
    { category: 'async_latency_hiding', params: { ...base, db: true }, implVariants: [{}, { bm: 64, bn: 64, bk: 16, tm: 4, tn: 4 }],
      text: 'Double buffering: the next A/B tiles are loaded into registers while the current shared-memory tiles are consumed, one barrier per k-step.' },
    { category: 'precision', params: { ...base, bk: 16 }, implVariants: [{}],
      text: 'fp32 FMAs throughout (no TF32) with 16-deep k tiles, keeping the 1e-4 fp32 tolerance.' },
    { category: 'compute_instructions', params: { ...base, bm: 64, bn: 64, bk: 16, tm: 4, tn: 4 }, implVariants: [{}, { bk: 8 }],
      text: '64x64 tiles with 4x4 micro-tiles: fewer registers per thread, strided micro-tile columns for conflict-free shared-memory reads.' },
    { category: 'parallelism_occupancy', params: { ...base, bm: 64, bn: 128, tm: 4, tn: 8 }, implVariants: [{}, { bm: 128, bn: 64, tm: 8, tn: 4 }],
      text: '64x128 tiles (256 threads) so twice as many blocks run, better for small or non-square outputs.' },
    { category: 'control_flow_loops', params: { ...base, db: true, bk: 16 }, implVariants: [{}],
      text: 'Fully unrolled inner k loop over 16-deep tiles with the fused bias and activation epilogue in the store loop.' },
  ];
}

function tritonEntries(family: Family): Entry[] {
  if (family === 'unary' || family === 'binary') {
    const base = { block: 4096, warps: 8 };
    return [
      // First the one that was fastest on the H200 in all three precisions (session 8: ReLU 1.003/1.059/0.986x
      // eager against 0.963/1.029/0.973x for 4096-element tiles), so a build of one idea gets it.
      { category: 'parallelism_occupancy', params: { block: 1024, warps: 4 }, implVariants: [{}, { block: 512, warps: 2 }],
        text: 'Triton: small 1024-element tiles with 4 warps, so many programs are resident per SM to hide memory latency.' },
      { category: 'memory_access', params: base, implVariants: [{}, { block: 2048, warps: 4 }],
        text: 'Triton: one 4096-element tile per program, masked contiguous loads in the tensor\'s dtype, fp32 arithmetic, one store.' },
      { category: 'async_latency_hiding', params: { block: 16384, warps: 16 }, implVariants: [{}, { block: 8192, warps: 8 }],
        text: 'Triton: large 16K-element tiles with 16 warps, many loads in flight per program.' },
    ];
  }
  if (family === 'softmax') {
    return [
      { category: 'memory_access', params: { strategy: 'online', block: 4096, warps: 8 }, implVariants: [{}, { block: 8192, warps: 16 }],
        text: 'Triton online softmax: one program per row loops over 4096-column tiles keeping a running max and rescaled sum (one read), then writes exp(x - max) / sum.' },
      { category: 'compute_instructions', params: { strategy: 'two_pass', block: 4096, warps: 8 }, implVariants: [{}, { block: 2048, warps: 4 }],
        text: 'Triton two-pass softmax: a max pass, then a sum-of-exp pass with one exp per element (no rescaling), then the write pass.' },
      { category: 'parallelism_occupancy', params: { strategy: 'online', block: 1024, warps: 4 }, implVariants: [{}],
        text: 'Triton online softmax with 1024-column tiles and 4 warps: more rows resident per SM.' },
    ];
  }
  if (family === 'layernorm') {
    return [
      { category: 'parallelism_occupancy', params: { block: 4096, warps: 8 }, implVariants: [{}, { block: 8192, warps: 8 }],
        text: 'Triton layer norm split over row chunks: per-chunk mean and M2 (fp32), combined exactly by Chan\'s formula in the normalise kernel, so long rows fill every SM.' },
      { category: 'memory_access', params: { block: 16384, warps: 16 }, implVariants: [{}],
        text: 'Triton layer norm with 16K-element chunks: fewer partials to combine, each chunk read once per pass with wide loads.' },
      { category: 'precision', params: { block: 2048, warps: 4 }, implVariants: [{}],
        text: 'Triton layer norm with small 2K chunks: many short fp32 partial sums (smaller rounding error), combined by Chan\'s formula.' },
    ];
  }
  if (family === 'reduction') {
    // Session 9 on the H200 (KernelBench 47, sum over dim 1 of 128x4096x4095), through the harness
    // (docs/precision-gpu.md, run 3): the 4-way split 0.996x eager at fp32, 1.11x at fp16/bf16; 32x128 tiles
    // 0.89x / 1.06x; 64x128 0.95x / 0.95x; the session-8 64x256 tile was 0.39-0.56x.
    return [
      { category: 'parallelism_occupancy', params: { blockR: 32, blockN: 256, warps: 8, split: 8 }, implVariants: [{}],
        text: 'Triton reduction over a middle dim split into up to 8 slices of the reduced dim (enough programs to fill the GPU), fp32 partials combined by a second kernel in a fixed order; a last-dim reduction keeps one program per row.' },
      { category: 'memory_access', params: { blockR: 32, blockN: 128, warps: 8 }, implVariants: [{}, { blockR: 64, blockN: 64, warps: 4 }],
        text: 'Triton reduction: programs tile the contiguous inner dim (128 columns, neighbouring tiles in neighbouring programs) and loop over the reduced dim in 32-row tiles, fp32 accumulators.' },
      { category: 'async_latency_hiding', params: { blockR: 64, blockN: 128, warps: 8 }, implVariants: [{}],
        text: 'Triton reduction with 64 x 128 tiles: more independent loads in flight per program.' },
    ];
  }
  return [
    { category: 'compute_instructions', params: { bm: 128, bn: 128, bk: 32, warps: 8, stages: 3 }, implVariants: [{}, { bk: 64, stages: 4 }],
      text: 'Triton tl.dot matmul, 128x128x32 tiles, fp32 accumulation, grouped launch order for L2 reuse, 3 pipeline stages (tensor cores at fp16/bf16; IEEE fp32 at fp32).' },
    { category: 'async_latency_hiding', params: { bm: 128, bn: 256, bk: 64, warps: 8, stages: 3 }, implVariants: [{}],
      text: 'Triton tl.dot matmul with 128x256x64 tiles and software pipelining (3 stages) to keep the tensor cores fed.' },
    { category: 'parallelism_occupancy', params: { bm: 64, bn: 64, bk: 32, warps: 4, stages: 4 }, implVariants: [{}],
      text: 'Triton tl.dot matmul with 64x64 tiles: more programs for small or thin outputs.' },
  ];
}

function cudaHalfEntries(family: Family): Entry[] {
  if (family === 'softmax') {
    return [
      { category: 'memory_access', params: { threads: 1024 }, implVariants: [{}, { threads: 512 }],
        text: 'fp16/bf16 softmax: one block per row, 16-byte loads of 8 elements, online (max, sum) per thread in fp32, block combine, then one write pass.' },
      { category: 'parallelism_occupancy', params: { threads: 256 }, implVariants: [{}],
        text: 'fp16/bf16 online softmax with 256-thread blocks, several rows resident per SM.' },
    ];
  }
  if (family === 'reduction') {
    return [
      { category: 'memory_access', params: { splitY: 4 }, implVariants: [{}, { splitY: 8 }],
        text: 'fp16/bf16 reduction: 128 threads along the contiguous inner dim, 4 warps splitting the reduced dim, four fp32 partial accumulators per thread, combined in shared memory.' },
      { category: 'async_latency_hiding', params: { splitY: 8 }, implVariants: [{}],
        text: 'fp16/bf16 reduction with 8 row splits per column tile: more loads in flight per SM.' },
    ];
  }
  if (family === 'layernorm') {
    return [
      { category: 'parallelism_occupancy', params: { threads: 256, waves: 2 }, implVariants: [{}, { threads: 512 }],
        text: 'fp16/bf16 layer norm: 16-byte loads of 8 elements, fp32 (sum, sumsq) per thread combined in double; long rows split over enough blocks to fill every SM, a partial pass then a normalise pass.' },
      { category: 'memory_access', params: { threads: 512, waves: 4 }, implVariants: [{}],
        text: 'fp16/bf16 split layer norm with 512-thread blocks and 4 waves of blocks per SM: more 16-byte loads in flight.' },
    ];
  }
  if (family === 'matmul' || family === 'linear') {
    return [
      { category: 'compute_instructions', params: { bk: 32 }, implVariants: [{}, { bk: 64 }],
        text: 'fp16/bf16 matmul on the tensor cores (WMMA 16x16x16, fp32 accumulators): 64x64 block tiles of 4 warps, operands staged in shared memory with 16-byte loads, fused bias and activation in fp32.' },
    ];
  }
  if (family !== 'unary') return [];
  const base = { block: 256, grid: 'exact', waves: 4 };
  return [
    { category: 'memory_access', params: base, implVariants: [{}, { block: 512 }],
      text: 'fp16/bf16: 16-byte loads of 8 elements as four half2/bf162 pairs, fp32 arithmetic, packed round-to-nearest stores, one vector per thread over an exact grid.' },
    { category: 'parallelism_occupancy', params: { ...base, block: 1024 }, implVariants: [{}],
      text: 'fp16/bf16 vector loads with 1024-thread blocks over an exact grid.' },
    { category: 'async_latency_hiding', params: { ...base, grid: 'persistent' }, implVariants: [{}, { waves: 8 }],
      text: 'fp16/bf16 vector loads in a grid-stride loop over a persistent grid (4 waves of blocks per SM).' },
  ];
}

/** Why the builtin catalogue has nothing for this family at this backend and precision, or null. */
export function unsupportedCombination(family: Family, backend: Backend, precision: Precision): string | null {
  if (precision === 'fp32' || backend === 'triton') return null;
  if (backend === 'cpu') return `the builtin cpu templates compute fp32 only: no ${precision} C++ template (use precision fp32, or backend triton/cuda on a GPU host)`;
  if (cudaHalfEntries(family).length === 0) return `no builtin ${precision} CUDA template for family ${family} (the builtin ${precision} CUDA templates cover unary elementwise, softmax, layer norm, reductions and matmul; backend triton covers every family at ${precision})`;
  return null;
}

export function templateFor(family: Family, backend: Backend, precision: Precision = 'fp32'): string {
  const f = family === 'linear' ? 'matmul' : family === 'unary' || family === 'binary' ? `elementwise_${family}` : family;
  if (backend === 'triton') return `triton/${f === 'elementwise_unary' || f === 'elementwise_binary' ? 'elementwise' : f}`;
  return backend === 'cuda' && precision !== 'fp32' ? `cuda-half/${f}` : `${backend}/${f}`;
}

export function catalogueFor(analysis: SupportedAnalysis, backend: Backend, precision: Precision = 'fp32'): CatalogueIdea[] {
  const family = analysis.op.family;
  if (unsupportedCombination(family, backend, precision)) return [];
  let entries: Entry[];
  if (backend === 'triton') entries = tritonEntries(family);
  else if (precision !== 'fp32') entries = cudaHalfEntries(family);
  else if (backend === 'cpu') {
    if (family === 'unary' || family === 'binary') entries = cpuElementwise(analysis);
    else if (family === 'softmax') entries = cpuSoftmax();
    else if (family === 'layernorm') entries = cpuLayerNorm();
    else if (family === 'reduction') entries = cpuReduction();
    else entries = cpuMatmul();
  } else {
    if (family === 'unary' || family === 'binary') entries = cudaElementwise(analysis);
    else if (family === 'softmax') entries = cudaSoftmax();
    else if (family === 'layernorm') entries = cudaLayerNorm();
    else if (family === 'reduction') entries = cudaReduction();
    else entries = cudaMatmul();
  }
  const template = templateFor(family, backend, precision);
  return entries.map((e) => ({ ...e, template }));
}
