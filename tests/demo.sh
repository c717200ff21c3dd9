#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# `make demo`: a server on loopback offers 64 MiB; a download under a 5 MiB cap
# is ended by netlimit when the cap is reached, then a second one under
# --on-limit=block keeps running with the excess dropped.
set -eu
B=${1:-build}
NL="$B/netlimit"
T="$B/nltraffic"
[ "$(id -u)" = 0 ] || { echo "demo: run it as root (sudo make demo)" >&2; exit 77; }
# The demo keeps to a cgroup and a state directory of its own: netlimit's
# dataplane attaches there instead of the cgroup2 root it uses in production.
MNT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
export NETLIMIT_DATAPLANE_CGROUP="$MNT/netlimit-demo" NETLIMIT_CGROUP=netlimit-demo/runs \
	NETLIMIT_STATE=/sys/fs/bpf/netlimit-demo
mkdir -p "$NETLIMIT_DATAPLANE_CGROUP"

out=$(mktemp)
"$T" serve 127.0.0.1 $((64 << 20)) > "$out" &
server=$!
cleanup() {
	kill "$server" 2>/dev/null || true
	wait "$server" 2>/dev/null || true
	rm -f "$out"
	rmdir "$MNT/netlimit-demo/runs" "$MNT/netlimit-demo" /sys/fs/bpf/netlimit-demo 2>/dev/null || true
}
trap cleanup EXIT INT TERM
while ! grep -q port "$out"; do sleep 0.05; done
port=$(awk '/port/ {print $2}' "$out")

echo "== 1. download 64 MiB from 127.0.0.1:$port under --in=5M (netlimit ends it at the cap)"
echo "\$ netlimit run --in=5M -- nltraffic tcp-recv 127.0.0.1 $port"
st=0; "$NL" run --in=5M -- "$T" tcp-recv 127.0.0.1 "$port" || st=$?
echo "(exit status $st; 120 = ended by netlimit at its cap)"
[ "$st" = 120 ] || { echo "demo: unexpected exit status $st" >&2; exit 1; }
echo
echo "== 2. the same under --limit=3MB --on-limit=block for 2 s (the excess is dropped; JSON summary)"
echo "\$ netlimit run --limit=3MB --on-limit=block --json -- timeout 2 nltraffic tcp-recv 127.0.0.1 $port"
st=0; "$NL" run --limit=3MB --on-limit=block --json -- timeout 2 "$T" tcp-recv 127.0.0.1 "$port" || st=$?
echo "(exit status $st; 124 = timeout ended the blocked download, still running at the cap)"
[ "$st" = 124 ] || { echo "demo: unexpected exit status $st" >&2; exit 1; }
