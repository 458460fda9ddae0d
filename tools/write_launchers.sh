#!/usr/bin/env bash
# Writes bin/<program> launchers: each finds its checkout from its own path (symlinks resolved),
# so a moved or copied checkout keeps working. Usage: write_launchers.sh DENO "RUN FLAGS" PROGRAMS...
# (`make bin` passes the Makefile's DENO_RUN_FLAGS).
set -euo pipefail
deno="$1"
flags="$2"
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
local_deno=".tools/node_modules/@deno/linux-x64-glibc/deno"
mkdir -p "$root/bin"
for program in "$@"; do
  cat > "$root/bin/$program.tmp" <<LAUNCHER
#!/bin/sh
# Written by \`make bin\`: runs the sources of the checkout this file is in, wherever it is now.
self=\$(readlink -f "\$0") || exit 127
root=\${self%/bin/*}
deno="\$root/$local_deno"
[ -x "\$deno" ] || deno="$deno"
DENO_DIR="\$root/.tools/deno-dir" DTAIL_PROGRAM=$program exec "\$deno" run $flags "\$root/app/main.ts" "\$@"
LAUNCHER
  chmod +x "$root/bin/$program.tmp"
  mv "$root/bin/$program.tmp" "$root/bin/$program"
done
