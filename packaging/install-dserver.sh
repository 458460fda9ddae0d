#!/bin/sh
# Installs dserver on this machine: the steps of docs/server.md ("Install"), for a first-time admin.
# Run it as root (no sudo needed) in the directory where you put the dserver file and SHA256SUMS:
#
#   sh install-dserver.sh --authorize alice=/tmp/alice.pub
#
# Idempotent: run it again to upgrade (a new dserver file), to add keys or to repair owners and
# modes. An existing /etc/dserver/dtail.json is kept. tests/install_test.ts runs it.
set -eu
umask 022

usage() {
  cat <<'EOF'
usage: install-dserver.sh [options]   (as root)
  --binary FILE        the dserver file to install (default: ./dserver)
  --sums FILE          SHA256SUMS to check it against (default: SHA256SUMS beside the binary)
  --user NAME          unprivileged user dserver runs as; created when missing (default: dserver)
  --groups G1,G2       add the user to these groups, e.g. adm to read /var/log (default: none)
  --port N             SSH port (default: 2222)
  --bind ADDRESS       listen address (default: 0.0.0.0)
  --allow REGEX        a Permissions.Default rule (repeatable; default: ^/var/log/)
  --authorize USER=PUBKEYFILE
                       let SSH user USER log in with the keys in PUBKEYFILE (repeatable)
  --no-systemd         write no unit and run no systemctl; print how to start dserver by hand
  --root DIR           install everything below DIR (paths in the config too), for tests and
                       trials; implies --no-systemd
  --print-unit         print the systemd unit this would install, and exit
  --print-config       print the dtail.json this would write, and exit
EOF
}

die() {
  echo "install-dserver: $*" >&2
  exit 1
}
step() { echo "==> $*"; }

binary=./dserver
sums=
user=dserver
groups=
port=2222
bind=0.0.0.0
allow=
authorize=
systemd=yes
root=
print=
config_opts=no

while [ $# -gt 0 ]; do
  case $1 in
    --binary | --sums | --user | --groups | --port | --bind | --allow | --authorize | --root)
      [ $# -ge 2 ] || die "$1 needs a value (see --help)"
      case $1 in
        --binary) binary=$2 ;;
        --sums) sums=$2 ;;
        --user) user=$2 ;;
        --groups) groups=$2 ;;
        --port) port=$2 config_opts=yes ;;
        --bind) bind=$2 config_opts=yes ;;
        --allow) allow="$allow$2
" config_opts=yes ;;
        --authorize) authorize="$authorize$2
" ;;
        --root) root=$2 ;;
      esac
      shift 2
      ;;
    --no-systemd)
      systemd=no
      shift
      ;;
    --print-unit | --print-config)
      print=$1
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

case $user in
  [a-z_]*) ;;
  *) die "--user $user: not a user name" ;;
esac
case $user in *[!a-z0-9_-]*) die "--user $user: not a user name" ;; esac
case $port in '' | *[!0-9]*) die "--port $port: not a port number" ;; esac
[ "$port" -ge 1 ] && [ "$port" -le 65535 ] || die "--port $port: not a port number"
case $root in
  '') ;;
  /*) root=${root%/} systemd=no ;;
  *) die "--root $root: must be an absolute path" ;;
esac
[ -n "$allow" ] || allow='^/var/log/
'

# The layout. Under --root every path is below it, in the config as well.
bin=$root/usr/local/bin/dserver
cfg_dir=$root/etc/dserver
cfg=$cfg_dir/dtail.json
state=$root/var/lib/dserver # home of the user; the host key
cache=$state/cache          # Common.CacheDir: <user>.authorized_keys
logs=$root/var/log/dserver
sfx=$root/var/cache/dserver # the unpacked runtime of the self-extracting file
unit=/etc/systemd/system/dserver.service

json_string() {
  printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"
}

config() {
  rules=
  old_ifs=$IFS
  IFS='
'
  set -f # a rule is a regular expression, not a file name pattern
  for rule in $allow; do rules="$rules${rules:+, }$(json_string "$rule")"; done
  set +f
  IFS=$old_ifs
  cat <<EOF
{
  "Common": {
    "SSHPort": $port,
    "LogDir": $(json_string "$logs"),
    "CacheDir": $(json_string "$cache")
  },
  "Server": {
    "SSHBindAddress": $(json_string "$bind"),
    "HostKeyFile": $(json_string "$state/ssh_host_key"),
    "Permissions": { "Default": [$rules] }
  }
}
EOF
}

# packaging/dserver.service; tests/install_test.ts checks that the two are the same.
unit_text() {
  cat <<EOF
# dserver as a systemd service (docs/server.md, "Install"); packaging/install-dserver.sh
# installs it as /etc/systemd/system/dserver.service. Change settings with a drop-in
# (systemctl edit dserver), not here.
[Unit]
Description=DTail server (dserver)
After=network.target

[Service]
Type=exec
User=$user
# Groups that may read the logs you serve: add the user to them (usermod -aG adm USER) or
# name them here.
#SupplementaryGroups=adm
ExecStart=/usr/local/bin/dserver --cfg /etc/dserver/dtail.json
ExecReload=/bin/kill -HUP \$MAINPID
Restart=on-failure
RestartSec=2s
# systemd creates these before each start, owned by User=: /var/lib/dserver (the host key;
# cache/ is Common.CacheDir with <user>.authorized_keys), /var/log/dserver (Common.LogDir) and
# /var/cache/dserver (where the self-extracting file unpacks its runtime on the first start).
StateDirectory=dserver dserver/cache
StateDirectoryMode=0750
LogsDirectory=dserver
LogsDirectoryMode=0750
CacheDirectory=dserver
CacheDirectoryMode=0700
WorkingDirectory=/var/lib/dserver
Environment=DTAIL_SFX_CACHE=/var/cache/dserver/sfx
UMask=0027
# Hardening. dserver serves a file only when the SSH user may read it (docs/server.md, "Security
# model"): it reads the real users and groups, POSIX ACLs, users' ~/.ssh/authorized_keys and the
# logs themselves, so the file system stays visible (read-only). Left out because they would break
# that or V8: PrivateUsers= (other users' files look like nobody's), ProtectHome=yes or
# PrivateTmp= (hide files users may read), MemoryDenyWriteExecute= (V8 compiles code), DynamicUser=.
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
ProtectHome=read-only
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6

[Install]
WantedBy=multi-user.target
EOF
}

case $print in
  --print-unit)
    unit_text
    exit 0
    ;;
  --print-config)
    config
    exit 0
    ;;
esac

[ "$(id -u)" = 0 ] || die "run me as root (e.g. su -c 'sh install-dserver.sh ...'); dserver itself runs as $user"
[ -f "$binary" ] || die "$binary: no such file (download dserver and SHA256SUMS, or give --binary)"

step "Checking $binary against SHA256SUMS"
[ -n "$sums" ] || sums=$(dirname "$binary")/SHA256SUMS
if [ -f "$sums" ]; then
  want=$(awk '$2 == "dserver" || $2 == "*dserver" { print $1 }' "$sums")
  [ -n "$want" ] || die "$sums has no line for dserver"
  have=$(sha256sum <"$binary" | cut -d ' ' -f 1)
  [ "$have" = "$want" ] || die "$binary: SHA-256 $have, but $sums says $want: download it again"
  echo "    sha256 $have OK"
else
  echo "    $sums not found: not checked (put SHA256SUMS beside the file or give --sums)"
fi

step "User $user"
if id "$user" >/dev/null 2>&1; then
  echo "    exists: $(id "$user")"
else
  command -v useradd >/dev/null || die "useradd is missing: create the system user $user yourself"
  nologin=/usr/sbin/nologin
  [ -x "$nologin" ] || nologin=/bin/false
  useradd --system --user-group --home-dir "$state" --no-create-home --shell "$nologin" "$user"
  echo "    created: $(id "$user")"
fi
if [ -n "$groups" ]; then
  usermod --append --groups "$groups" "$user"
  echo "    added to $groups: $(id "$user")"
fi
group=$(id -gn "$user")

step "Installing $bin"
install -d -m 0755 "$(dirname "$bin")"
# A new file renamed over the old one: a running dserver keeps its copy until it restarts.
install -m 0755 "$binary" "$bin.new"
mv -f "$bin.new" "$bin"

step "Directories (owned by $user)"
install -d -m 0755 "$cfg_dir"
install -d -m 0750 -o "$user" -g "$group" "$state" "$cache" "$logs"
install -d -m 0700 -o "$user" -g "$group" "$sfx"
echo "    $state $cache $logs $sfx"

step "Config $cfg"
if [ -f "$cfg" ]; then
  echo "    kept the existing file"
  [ "$config_opts" = no ] || echo "    --port, --bind and --allow apply to a new file only: edit $cfg"
else
  umask 022
  config >"$cfg.new"
  mv -f "$cfg.new" "$cfg"
  echo "    written"
fi

if [ -n "$authorize" ]; then
  step "Authorized keys in $cache"
  old_ifs=$IFS
  IFS='
'
  set -f
  for entry in $authorize; do
    IFS=$old_ifs
    ssh_user=${entry%%=*}
    keys=${entry#*=}
    case $ssh_user in '' | .* | *[!A-Za-z0-9._@-]*) die "--authorize $entry: bad user name" ;; esac
    [ "$keys" != "$entry" ] && [ -f "$keys" ] || die "--authorize $entry: want USER=PUBKEYFILE"
    file=$cache/$ssh_user.authorized_keys
    [ -f "$file" ] || install -m 0644 /dev/null "$file"
    added=0
    while IFS= read -r line || [ -n "$line" ]; do
      case $line in '' | '#'*) continue ;; esac
      grep -qxF -- "$line" "$file" || {
        printf '%s\n' "$line" >>"$file"
        added=$((added + 1))
      }
    done <"$keys"
    echo "    $file: $added new key(s)"
  done
  set +f
  IFS=$old_ifs
fi

step "First run as $user (unpacks the runtime into $sfx/sfx)"
as_user="setpriv --reuid=$user --regid=$group --init-groups"
run_env="env HOME=$state DTAIL_SFX_CACHE=$sfx/sfx"
# shellcheck disable=SC2086 # word splitting wanted
(cd "$state" && $as_user $run_env "$bin" --version) ||
  die "$bin does not run as $user (see the line above)"

start="$as_user $run_env $bin --cfg $cfg"
if [ "$systemd" = yes ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  step "systemd unit $unit"
  umask 022
  unit_text >"$unit.new"
  mv -f "$unit.new" "$unit"
  systemctl daemon-reload
  systemctl enable dserver
  systemctl restart dserver
  sleep 1
  systemctl is-active --quiet dserver || die "dserver did not start: journalctl -u dserver"
  echo "    dserver is running; logs: journalctl -u dserver and $logs"
else
  [ "$systemd" = no ] || echo "    systemd is not running here: no unit installed"
  echo "dserver is installed. Start it by hand, as root:"
  echo "    $start"
fi
