#!/usr/bin/env python3
"""Real candidates through the verification queue on one GPU host, builds split off the GPU.

    python3 stages/verify/gpu/fleet_gpu.py --dev stages/verify/gpu/data/leaderboard-dev.jsonl --out "$OUT" \\
        --levels 2 3 1 --limit-per-level 20 --build-workers 12 --deadline 540

On a host with no Node and no network: Node, redis-server and the fleet CLI come in `.node/` of the
checkout (scripts/pack-node.sh makes it; `.node/node.xz` is unpacked to /tmp). It starts Redis on
loopback (AOF in --work), one build worker (`kforge worker --role build`, --build-workers builds at
once, GPUs hidden) and one GPU worker (`--role gpu`, one device step at a time on GPU 0), then runs the
dev set's candidates, chosen as fidelity.py chooses them (select(), job_for()), through the queue with
`kforge fleet verify --split-builds`. Under --out: results.jsonl (the harness's result dicts, as
fidelity.py's fidelity.jsonl) and fleet.json (per candidate GPU-busy s, build CPU-s and wall; the run's
wall and its floor max(sum build CPU-s / cores, sum GPU-busy s)). --work keeps Redis, the build store
and the results, so the same command after the deadline goes on where it stopped. timeline.json: the
host's CPU and GPU use and the results so far, every 2 s (fleet_timeline.py).
"""
from __future__ import annotations

import argparse
import json
import lzma
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(HERE))

from fidelity import job_for, select  # noqa: E402
from fidelity_report import load_jsonl  # noqa: E402
from fleet_summary import summarize  # noqa: E402
from fleet_timeline import Timeline, phases  # noqa: E402

WORK = HERE / "data" / "fleet-work"  # ignored (stages/verify/gpu/data/): kept between commands on a host
PACK = ROOT / ".node"
STOP_GRACE_S = 20


def node_binary() -> str:
    """The carried Node (unpacked once to /tmp), else one on PATH."""
    packed = PACK / "node.xz"
    if packed.is_file():
        target = Path("/tmp") / f"kforge-node-{packed.stat().st_size}" / "node"
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            with lzma.open(packed) as src, open(f"{target}.part", "wb") as dst:
                shutil.copyfileobj(src, dst)
            os.chmod(f"{target}.part", 0o755)
            os.replace(f"{target}.part", target)
        return str(target)
    found = shutil.which("node")
    if not found:
        sys.exit("fleet_gpu: no Node: run scripts/pack-node.sh where npm works and carry .node/")
    return found


def fleet_cli() -> list[str]:
    """The bundled fleet CLI when carried, else the repository's bin/kforge.js (a host with node_modules)."""
    bundle = PACK / "kforge-fleet.mjs"
    return [str(bundle)] if bundle.is_file() else [str(ROOT / "bin" / "kforge.js")]


def redis_command(port: int, data: Path) -> list[str]:
    """The carried redis-server through its own loader and libraries (any host glibc), else PATH's."""
    args = ["--port", str(port), "--bind", "127.0.0.1", "--dir", str(data), "--appendonly", "yes",
            "--save", "", "--maxmemory-policy", "noeviction"]
    carried = PACK / "redis"
    if (carried / "redis-server").is_file():
        lib = carried / "lib"
        return [str(lib / "ld-linux-x86-64.so.2"), "--library-path", str(lib), str(carried / "redis-server"), *args]
    found = shutil.which("redis-server")
    if not found:
        sys.exit("fleet_gpu: no redis-server: carry .node/ (scripts/pack-node.sh) or install redis-server")
    return [found, *args]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, limit_s: float) -> None:
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"fleet_gpu: redis-server did not answer on port {port} within {limit_s:.0f} s")


def wait_ready(proc: subprocess.Popen[str], what: str, limit_s: float) -> None:
    """Until the worker says `ready` as often as it has roles (its stderr goes on to ours)."""
    end = time.monotonic() + limit_s
    assert proc.stderr is not None
    while time.monotonic() < end:
        line = proc.stderr.readline()
        if not line:
            sys.exit(f"fleet_gpu: the {what} worker exited before it was ready (code {proc.poll()})")
        sys.stderr.write(line)
        if " ready on queue " in line:
            return
    sys.exit(f"fleet_gpu: the {what} worker was not ready within {limit_s:.0f} s")


def stop(procs: list[subprocess.Popen[Any]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dev", type=Path, required=True, help="leaderboard-dev.jsonl (fidelity.py's format)")
    p.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "/tmp/kforge-fleet")))
    p.add_argument("--levels", type=int, nargs="+", default=[2, 3, 1], help="in priority order")
    p.add_argument("--limit-per-level", type=int, default=None)
    p.add_argument("--skip-ids", type=Path, default=None, help="file of candidate ids to leave out, one a line")
    p.add_argument("--backend", choices=("cuda", "cpu"), default="cuda", help="cpu: a dry run of the plumbing")
    p.add_argument("--build-workers", type=int, default=max(1, (os.cpu_count() or 2) - 2),
                   help="builds at once (one build worker process with this concurrency)")
    p.add_argument("--gpu", default="0", help="the GPU the GPU worker pins (CUDA_VISIBLE_DEVICES)")
    p.add_argument("--gpu-concurrency", type=int, default=4,
                   help="GPU steps in flight on the one GPU: the harness's device lock keeps measurement exclusive, "
                        "the others start, import torch and load from the store meanwhile (measured on the H200 "
                        "with 1: 15-29 s of wall per step for 3-12 s of device time, so the device idled)")
    p.add_argument("--device-share", type=int, default=None,
                   help="GPU steps whose correctness checks may share the GPU at once (default: the worker's, "
                        "its --concurrency; 1: each step's whole measurement exclusive, as before 0.3.4)")
    p.add_argument("--cuda-arch", default=None, help="arch the builds target, e.g. 9.0 (default: the GPU's)")
    p.add_argument("--deadline", type=float, default=540.0, help="seconds for the whole script")
    p.add_argument("--work", type=Path, default=WORK, help="Redis data, build store, results: kept for a rerun")
    args = p.parse_args(argv)
    if not args.dev.is_file():
        p.error(f"--dev {args.dev}: no such file (the dev set is not shipped: copy it into stages/verify/gpu/data/)")
    started = time.monotonic()
    for d in (args.out, args.work, args.work / "redis"):
        d.mkdir(parents=True, exist_ok=True)
    skip = set(args.skip_ids.read_text(encoding="utf-8").split()) if args.skip_ids else set()
    lines = [x for x in select(load_jsonl(args.dev), args.levels, args.limit_per_level) if str(x["id"]) not in skip]
    jobs_path, results_path = args.work / "jobs.jsonl", args.work / "results.jsonl"
    jobs_path.write_text("".join(json.dumps(job_for(x, args.backend)) + "\n" for x in lines), encoding="utf-8")
    node, cli = node_binary(), fleet_cli()
    port = free_port()
    url = f"redis://127.0.0.1:{port}"
    procs: list[subprocess.Popen[Any]] = []
    try:
        procs.append(subprocess.Popen(redis_command(port, args.work / "redis"), stdout=subprocess.DEVNULL))
        wait_for_port(port, 30)
        common = ["worker", "--url", url, "--backend", args.backend, "--build-store", str(args.work / "store"),
                  "--cache-dir", str(args.work / "cache"), "--lock-s", "60"]
        arch = args.cuda_arch or (gpu_arch(args.gpu) if args.backend == "cuda" else None)
        build = [node, *cli, *common, "--role", "build", "--build-concurrency", str(args.build_workers),
                 *(["--cuda-arch", arch] if arch else [])]
        gpu = [node, *cli, *common, "--role", "gpu", "--concurrency", str(args.gpu_concurrency),
               *(["--device-share", str(args.device_share)] if args.device_share else []),
               *(["--gpus", args.gpu] if args.backend == "cuda" else [])]
        for what, cmd in (("build", build), ("gpu", gpu)):
            print("+", " ".join(cmd), file=sys.stderr, flush=True)
            proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, cwd=ROOT)
            procs.append(proc)
            wait_ready(proc, what, 300)
            # The rest of its log goes on to ours, without holding the worker up on a full pipe.
            subprocess.Popen(["cat"], stdin=proc.stderr, stdout=sys.stderr)
        verify = [node, *cli, "fleet", "verify", "--url", url, "--jobs", str(jobs_path), "--out", str(results_path),
                  "--split-builds"]
        print("+", " ".join(verify), file=sys.stderr, flush=True)
        run_started = time.monotonic()
        timeline = Timeline(results_path, gpu=args.backend == "cuda").start()
        left = args.deadline - (time.monotonic() - started) - STOP_GRACE_S * 2
        verifier = subprocess.Popen(verify, cwd=ROOT)
        try:
            verifier.wait(timeout=max(1.0, left))
        except subprocess.TimeoutExpired:
            print("fleet_gpu: deadline reached; results so far are kept (run the same command again to go on)",
                  file=sys.stderr)
            stop([verifier])
        wall = time.monotonic() - run_started
        samples = timeline.stop()
    finally:
        # Workers first, Redis last: a worker finishing its jobs still needs Redis to hand their results in.
        stop(procs[:0:-1])
        stop(procs[:1])
    results = load_jsonl(results_path) if results_path.exists() else []
    summary = summarize(results, wall_s=wall, cores=os.cpu_count() or 1, planned=len(lines))
    summary["timeline"] = phases(samples, os.cpu_count() or 1)
    (args.out / "timeline.json").write_text(json.dumps(samples) + "\n", encoding="utf-8")
    (args.out / "fleet.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    shutil.copy(results_path, args.out / "results.jsonl") if results_path.exists() else None
    print(json.dumps({k: v for k, v in summary.items() if k != "candidates"}, indent=1))
    return 0


def gpu_arch(gpu: str) -> str | None:
    """The compute capability of the GPU worker's device, as `9.0` (the build phase compiles for it)."""
    code = "import torch; c = torch.cuda.get_device_capability(0); print(f'{c[0]}.{c[1]}')"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={**os.environ, "CUDA_VISIBLE_DEVICES": gpu}, timeout=120)
    return r.stdout.strip() or None if r.returncode == 0 else None


if __name__ == "__main__":
    sys.exit(main())
