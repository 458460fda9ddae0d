#!/usr/bin/env bash
# Creates the OS users and groups the permission tests use. Idempotent, needs root, quiet on
# success. Users: dtail-srv (runs test servers), dtail-alice (+dtailgrp), dtail-bob (+dtailacl),
# dtail-carol (no extra groups). Each has /home/<name> and the shell /bin/sh.
set -euo pipefail
declare -A extra=([dtail-srv]="" [dtail-alice]=dtailgrp [dtail-bob]=dtailacl [dtail-carol]="")

ready() {
  local u g
  for g in dtailgrp dtailacl; do getent group "$g" >/dev/null || return 1; done
  for u in "${!extra[@]}"; do
    getent passwd "$u" >/dev/null || return 1
    [ "$(id -nG "$u")" = "$u${extra[$u]:+ ${extra[$u]}}" ] || return 1
  done
}

ready && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "setup_test_users: the test users are missing and only root can create them" >&2
  exit 1
fi
# Test files may run this concurrently; useradd and groupadd must not race for /etc/passwd.
exec 9>/tmp/.dtail_setup_test_users.lock
flock 9
for g in dtailgrp dtailacl; do
  getent group "$g" >/dev/null || groupadd "$g"
done
for u in "${!extra[@]}"; do
  if ! getent passwd "$u" >/dev/null; then
    useradd --create-home --home-dir "/home/$u" --shell /bin/sh --user-group "$u"
  fi
  usermod --groups "${extra[$u]}" "$u"
done
ready || { echo "setup_test_users: users are not as expected after setup" >&2; exit 1; }
