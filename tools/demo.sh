#!/usr/bin/env bash
# `make demo`: DTail over real SSH on this machine. Starts a dserver on 127.0.0.1 (random free
# port) with keys generated in a temp dir, runs dgrep, dmap and a short dtail through it, then stops the
# server and removes everything. As root the server runs as the unprivileged system user
# dtail-demo (created if missing); otherwise everything runs as the calling user. The client's
# HOME is a temp dir, so ~/.ssh is never read or written.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEMO_USER=dtail-demo
BIN="$ROOT/bin"
server_pid=""
appender_pid=""
work=""

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
fail() {
  echo "demo: FAILED: $*" >&2
  exit 1
}

cleanup() {
  local code=$?
  [ -n "$appender_pid" ] && kill "$appender_pid" 2>/dev/null && wait "$appender_pid" 2>/dev/null
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  [ -n "$work" ] && rm -rf "$work"
  [ "$code" -eq 0 ] || echo "demo: exit code $code" >&2
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for p in dserver dgrep dtail; do [ -x "$BIN/$p" ] || fail "$BIN/$p is missing (run make bin)"; done
command -v ssh-keygen >/dev/null || fail "ssh-keygen is missing (apt-get install openssh-client)"

work=$(realpath "$(mktemp -d /tmp/dtail-demo.XXXXXX)")
chmod 755 "$work"
mkdir -p "$work/server/cache" "$work/logs" "$work/client-home"
chmod 700 "$work/client-home"

if [ "$(id -u)" -eq 0 ]; then
  step "Running as root: dserver refuses root, so it runs as the system user $DEMO_USER"
  if ! getent passwd "$DEMO_USER" >/dev/null; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
      --user-group "$DEMO_USER"
    echo "created system user $DEMO_USER"
  fi
  command -v setpriv >/dev/null || fail "setpriv is missing (apt-get install util-linux)"
  server_user=$DEMO_USER
  as_server=(setpriv "--reuid=$DEMO_USER" "--regid=$DEMO_USER" --init-groups --)
else
  server_user=$(id -un)
  as_server=()
  step "Running as $server_user: server and client both run as $server_user"
fi

step "Generating keys and config in $work"
mkdir -m 700 "$work/client-home/.ssh"
ssh-keygen -q -t ed25519 -N "" -C dtail-demo -f "$work/client-home/.ssh/id_ed25519" </dev/null
# The client logs in as SSH user $server_user; its public key is authorized through the cache dir.
cp "$work/client-home/.ssh/id_ed25519.pub" "$work/server/cache/$server_user.authorized_keys"
cat >"$work/server/dtail.json" <<EOF
{
  "Common": { "CacheDir": "$work/server/cache", "LogDir": "$work/server/log" },
  "Server": {
    "HostKeyFile": "$work/server/cache/ssh_host_key",
    "Permissions": { "Default": ["^$work/logs/"] }
  }
}
EOF
cp "$ROOT/tests/data/sample.log" "$work/logs/sample.log"
: >"$work/logs/demo.log"
for i in $(seq 1 30); do # DTail's own MapReduce stats lines, for the dmap step
  echo "INFO|1124-1200$((10 + i % 50))|1|stats.go:56|8|$((10 + i % 7))|7|0.5|1h|MAPREDUCE:STATS|host=web$((i % 3))|connections=$i"
done >"$work/logs/stats.log"
chmod 644 "$work/logs/"*.log
if [ "$(id -u)" -eq 0 ]; then
  chown -R "$DEMO_USER:" "$work/server"
  chmod 755 "$work/logs"
fi
echo "client key:  $work/client-home/.ssh/id_ed25519 (HOME=$work/client-home)"
echo "server:      host key generated on first start, files served only under $work/logs/"

step "Starting dserver on 127.0.0.1 with a random free port (--port 0)"
(cd "$work/server" && exec "${as_server[@]}" env HOME="$work/server" "$BIN/dserver" \
  --cfg "$work/server/dtail.json" --port 0 --bindAddress 127.0.0.1 --logger stdout \
  >"$work/server.out" 2>&1) &
server_pid=$!
port=""
for _ in $(seq 200); do
  port=$(sed -n 's/.*listening on port \([0-9][0-9]*\).*/\1/p' "$work/server.out" | head -1)
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/server.out" >&2; fail "dserver did not start"; }
sed -n '1p' "$work/server.out"
echo "dserver (pid $server_pid, user $server_user) listens on 127.0.0.1:$port"

client() {
  HOME="$work/client-home" SSH_AUTH_SOCK="" "$BIN/$1" --cfg none --user "$server_user" \
    --servers "127.0.0.1:$port" "${@:2}"
}

step "dgrep over SSH: ERROR and WARN lines of sample.log (--trustAllHosts stores the new host key)"
echo "\$ bin/dgrep --servers 127.0.0.1:$port --trustAllHosts --grep 'ERROR|WARN' $work/logs/sample.log"
client dgrep --trustAllHosts --grep 'ERROR|WARN' "$work/logs/sample.log" | tee "$work/dgrep.out"
expected=$(grep -c -E 'ERROR|WARN' "$work/logs/sample.log")
got=$(grep -c -E 'ERROR|WARN' "$work/dgrep.out" || true)
[ "$got" -ge "$expected" ] && [ "$expected" -gt 0 ] ||
  fail "dgrep printed $got matching lines, expected $expected"
grep -q "127.0.0.1" "$work/client-home/.ssh/known_hosts" || fail "host key was not trusted"
echo "-> $got matching lines over SSH; host key now in the temp HOME's .ssh/known_hosts"

step "dmap over SSH: the server aggregates stats.log, the client prints the merged table"
query='from STATS select count($line),sum(connections),max($goroutines) group by host'
echo "\$ bin/dmap --servers 127.0.0.1:$port --query '$query' $work/logs/stats.log"
client dmap --noColor --query "$query" "$work/logs/stats.log" | tee "$work/dmap.out"
rows=$(grep -c -E '^ +10 \|' "$work/dmap.out" || true)
[ "$rows" -eq 3 ] || fail "dmap printed $rows groups of 10 lines, expected 3"
echo "-> 3 groups of 10 lines, aggregated on the server"

step "dtail over SSH for 3 s while lines are appended to demo.log on the 'server'"
(sleep 0.5; for i in $(seq 1 20); do
  echo "$(date -u +%FT%TZ) demo[$$]: INFO  demo line $i" >>"$work/logs/demo.log"
  sleep 0.1
done) &
appender_pid=$!
echo "\$ bin/dtail --servers 127.0.0.1:$port --timeout 3 $work/logs/demo.log"
client dtail --timeout 3 "$work/logs/demo.log" | tee "$work/dtail.out"
wait "$appender_pid" || true
appender_pid=""
got=$(grep -c 'demo line' "$work/dtail.out" || true)
[ "$got" -ge 1 ] || fail "dtail printed none of the appended lines"
echo "-> dtail followed the file over SSH and printed $got of the 20 appended lines"

step "Stopping dserver (SIGTERM) and removing $work"
kill -TERM "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""
echo "demo: all steps passed"
