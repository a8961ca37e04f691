#!/usr/bin/env bash
# Everything kforge needs on a fresh Debian 12 machine with Node 20: PyTorch for the CPU, a C++ compiler
# (candidates are C++/CUDA extensions built at verification time), Triton (its CPU interpreter runs the
# triton backend's tests), Chromium (the HTML report's test), the interop test's Python readers, and the
# npm packages. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# pybind11-dev and ninja-build are only Recommends of python3-torch, which --no-install-recommends skips;
# load_inline needs both (torch's headers include pybind11, and it builds with ninja). procps: the driver
# tests count live workers with ps, which minimal Debian images (docker's debian:12) leave out.
# python3-pip: Triton comes from PyPI (below); python3-venv: the interop readers' venv.
apt_packages=(python3 python3-venv python3-torch libtorch-dev python3-numpy python3-pip pybind11-dev ninja-build g++ chromium procps redis-server)
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]} (Debian packages)" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Triton for the triton backend, run by the tests in its CPU interpreter (TRITON_INTERPRET=1). 3.2.0 is the
# newest whose interpreter works with Debian's torch 1.13 (3.3 and later call Tensor.untyped_storage(), torch
# 2.0+; PyPI's torch 2.x is the CUDA build, 906 MB plus ~2.5 GB of nvidia-* wheels, and the CPU-only index is
# not on PyPI). Measured: a 253 MB wheel, 686 MB installed, 25 s from PyPI. Installed system-wide, because a
# worker's HOME is its scratch folder (no user site-packages there). A Python that imports triton keeps its own.
if ! /usr/bin/python3 -c "import triton" >/dev/null 2>&1; then
  echo "setup: installing triton 3.2.0 (PyPI) for the triton backend's CPU interpreter" >&2
  $sudo /usr/bin/python3 -m pip install -q --no-cache-dir --root-user-action=ignore --break-system-packages triton==3.2.0 \
    || echo "setup: WARNING: triton could not be installed from PyPI; the triton backend's tests will be skipped" >&2
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages" >&2
  # npm install, not npm ci: npm 11 writes only this platform's optional DuckDB binding into the lock
  # file, and npm ci then refuses the lock as out of sync. install keeps the locked versions.
  npm install --no-fund --no-audit --loglevel=error
fi

# The precompiled torch/extension.h of the cpu builds (the builtin kernels', the test fixtures'): made in the
# background, while pip works below and after setup ends; a build before it is ready compiles without it.
npx tsx scripts/prewarm-pch.ts || echo "setup: WARNING: the precompiled header could not be started (builds are only slower)" >&2

# The interop test (test/datasets/interop.test.ts) reads what kforge writes with pyarrow, pandas and
# Hugging Face datasets: in a venv of this clone (Debian's pip refuses --user installs into the system
# Python, PEP 668). Measured on the 2-core dev machine: 93 s from PyPI, 400 MB. Versions are the ones
# the test was written against.
if ! .venv-interop/bin/python -c 'import pyarrow, pandas, datasets' 2>/dev/null; then
  echo "setup: installing pyarrow, pandas and datasets into .venv-interop (PyPI, about 90 s and 400 MB)" >&2
  /usr/bin/python3 -m venv .venv-interop
  .venv-interop/bin/pip install -q --disable-pip-version-check pyarrow==26.0.1 pandas==3.1.1 datasets==5.2.0
fi
