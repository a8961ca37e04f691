#!/usr/bin/env bash
# Everything kforge needs on a fresh Debian 12 machine with Node 20: PyTorch for the CPU, a C++ compiler
# (candidates are C++/CUDA extensions built at verification time), Chromium (the HTML report's test),
# and the npm packages. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# pybind11-dev and ninja-build are only Recommends of python3-torch, which --no-install-recommends skips;
# load_inline needs both (torch's headers include pybind11, and it builds with ninja). procps: the driver
# tests count live workers with ps, which minimal Debian images (docker's debian:12) leave out.
apt_packages=(python3 python3-torch libtorch-dev python3-numpy pybind11-dev ninja-build g++ chromium procps redis-server)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]} (Debian packages)" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages" >&2
  # npm install, not npm ci: npm 11 writes only this platform's optional DuckDB binding into the lock
  # file, and npm ci then refuses the lock as out of sync. install keeps the locked versions.
  npm install --no-fund --no-audit --loglevel=error
fi
