#!/usr/bin/env bash
# Installs the Debian packages the tests and benchmarks need, when their commands are missing.
# Usage: ensure_system_tools.sh  (idempotent; needs root or sudo only when something is missing)
set -euo pipefail
declare -A pkg_of=([zstd]=zstd [gzip]=gzip [setfacl]=acl [getfacl]=acl [useradd]=passwd [ssh-keygen]=openssh-client
  [/usr/bin/time]=time [cc]=gcc [/usr/include/zlib.h]=zlib1g-dev [/usr/lib/x86_64-linux-gnu/libc.a]=libc6-dev
  [ansible-playbook]=ansible-core [jq]=jq [/usr/sbin/sshd]=openssh-server)
# (paths: `command -v time` finds the bash keyword; gcc, zlib1g-dev and libc6-dev build make dist's
# stub; ansible-core runs the packaging example's test; jq is make bench-query's peer and its
# program's test; openssh-server's sshd is the jump host of the ProxyJump tests and bench)
missing=()
for cmd in "${!pkg_of[@]}"; do
  if [[ $cmd == /* ]]; then [ -e "$cmd" ] && continue; else command -v "$cmd" >/dev/null 2>&1 && continue; fi
  missing+=("${pkg_of[$cmd]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" | sort -u)
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "ensure_system_tools: missing ${pkgs[*]} and not root; install them with apt-get" >&2
    exit 1
  fi
fi
echo "ensure_system_tools: installing ${pkgs[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2
$sudo apt-get install -y -qq "${pkgs[@]}" >&2
