#!/usr/bin/env bash
# Prints the path of a Deno 2.x binary, installing the pinned one from npm into .tools/ when
# none is on PATH. .tools/ is git-ignored and outside the project's package resolution (no
# package.json in the project root), so Deno never mistakes it for project dependencies.
set -euo pipefail
pinned="2.9.6"
root=$(cd "$(dirname "$0")/.." && pwd)
local_bin="$root/.tools/node_modules/@deno/linux-x64-glibc/deno"

if [ -x "$local_bin" ]; then
  echo "$local_bin"
  exit 0
fi
if command -v deno >/dev/null 2>&1 && deno --version 2>/dev/null | head -n 1 | grep -q '^deno 2\.'; then
  command -v deno
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "ensure_deno: neither deno 2.x nor npm is on PATH; install one of them" >&2
  exit 1
fi
echo "ensure_deno: installing deno@$pinned from npm into .tools/" >&2
mkdir -p "$root/.tools"
npm install --prefix "$root/.tools" --no-save --no-audit --no-fund --loglevel=error \
  "deno@$pinned" >&2
if [ ! -x "$local_bin" ]; then
  echo "ensure_deno: npm did not provide $local_bin (only linux-x64-glibc is supported by this script)" >&2
  exit 1
fi
echo "$local_bin"
