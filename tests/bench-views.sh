#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# `make bench`, views arm: what `top` costs at a 1 s refresh with SOCKETS
# (default 10000) open metered sockets and a loopback TCP flow at full
# speed, as a share of one core; how many new connections a second `audit`
# records, and how many it lost. Everything on a cgroup, state and network
# namespace of the benchmark's own. SECS (default 10) tunes it.
set -eu
B=${1:-build}
N=${SOCKETS:-10000}
SECS=${SECS:-10}
CONNS=${CONNS:-20000}
[ "$(id -u)" = 0 ] || { echo "bench: run it as root (sudo make bench)" >&2; exit 77; }
MNT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
BASE=$MNT/netlimit-bench-views
export NETLIMIT_STATE=/sys/fs/bpf/netlimit-bench-views NETLIMIT_DATAPLANE_CGROUP=$BASE \
	NETLIMIT_CGROUP=netlimit-bench-views/runs
NL="$B/netlimit"
T="$B/nltraffic"
NS=nlviews$$
mkdir -p "$BASE/load"
ip netns add "$NS"
ip -n "$NS" link set lo up
tmp=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	# `ip netns exec` forks: its children are ended through their cgroup.
	[ -e "$BASE/load/cgroup.kill" ] && echo 1 > "$BASE/load/cgroup.kill"
	wait 2>/dev/null || true
	i=0
	while [ -n "$(cat "$BASE/load/cgroup.procs" 2>/dev/null)" ] && [ "$i" -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	"$NL" meter off > /dev/null 2>&1 || true
	rm -rf "$NETLIMIT_STATE"
	ip netns del "$NS" 2>/dev/null || true
	for d in "$BASE/load" "$BASE/runs" "$BASE"; do [ -d "$d" ] && rmdir "$d" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
# In the load cgroup and the namespace: everything below runs there.
inload() { sh -c "echo \$\$ > $BASE/load/cgroup.procs && exec ip netns exec $NS $*"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# The connection rate this machine makes with no dataplane at all: the baseline.
inload "$T" conns-serve 127.0.0.1 > "$tmp/serve0" &
pids="$pids $!"
while ! grep -q port "$tmp/serve0"; do sleep 0.1; done
port0=$(awk '/port/ { print $2 }' "$tmp/serve0")
inload "$T" tcp-conns 127.0.0.1 "$port0" $((CONNS / 2)) 10 > "$tmp/b1" &
b1=$!
inload "$T" tcp-conns 127.0.0.1 "$port0" $((CONNS / 2)) 10 > "$tmp/b2"
wait "$b1"
base_rate=$(cat "$tmp/b1" "$tmp/b2" | awk '{ s += $4 } END { print s }')

"$NL" meter on > /dev/null
inload "$T" udp-sink 127.0.0.1 5801 > /dev/null 2>&1 &
pids="$pids $!"
inload iperf3 -s -B 127.0.0.1 -p 5802 > /dev/null 2>&1 &
pids="$pids $!"
sleep 0.5
( ulimit -n $((N + 100)); inload "$T" sockets 127.0.0.1 5801 "$N" ) > "$tmp/socks" &
pids="$pids $!"
while ! grep -q ready "$tmp/socks"; do sleep 0.2; done
inload iperf3 -c 127.0.0.1 -p 5802 -t $((SECS + 4)) > /dev/null 2>&1 &
pids="$pids $!"
sleep 1
# top at a 1 s refresh: its own CPU time over SECS seconds, from this shell's
# reaped children's times before and after it (sh reaps it at wait).
kids() { awk '{ print $16 + $17 }' /proc/$$/stat; }
before=$(kids)
# top in the load's namespace: the socket iterators walk the caller's namespace
# (nsenter, not `ip netns exec`, which would hide bpffs and cgroup2 behind a new /sys).
nsenter --net="/run/netns/$NS" "$NL" top --json --interval=1s --timeout="${SECS}s" > "$tmp/top" &
top=$!
wait "$top" || true
hz=$(getconf CLK_TCK)
ticks=$(( $(kids) - before ))
rows=$(tail -1 "$tmp/top" | grep -o '"pid":' | wc -l)
echo "views arm: top at 1 s with $N open metered sockets and a loopback TCP flow:" \
	"$(echo "$ticks $hz $SECS" | awk '{ printf "%.2f", 100 * $1 / $2 / $3 }')% of a core" \
	"(aim < 1%; its last round listed $rows processes)"

# audit: new TCP connections as fast as one client makes them.
"$NL" audit --json --output="$tmp/audit" &
audit=$!
pids="$pids $audit"
sleep 1
inload "$T" conns-serve 127.0.0.1 > "$tmp/serve" &
pids="$pids $!"
while ! grep -q port "$tmp/serve"; do sleep 0.1; done
port=$(awk '/port/ { print $2 }' "$tmp/serve")
# Two clients at once, against a one-thread server (conns-serve: a thread per
# connection held the rate near 5,000 a second here, its backlog overflowing).
inload "$T" tcp-conns 127.0.0.1 "$port" $((CONNS / 2)) 10 > "$tmp/conns1" &
c1=$!
inload "$T" tcp-conns 127.0.0.1 "$port" $((CONNS / 2)) 10 > "$tmp/conns2"
wait "$c1"
made=$(cat "$tmp/conns1" "$tmp/conns2" | awk '{ s += $2 } END { print s }')
rate=$(cat "$tmp/conns1" "$tmp/conns2" | awk '{ s += $4 } END { print s }')
sleep ${AUDIT_WAIT:-2}
kill "$audit"; wait "$audit" 2>/dev/null || true
got=$(grep -c "\"remote_port\":$port," "$tmp/audit" || true)
# One record per connection: none twice.
dup=$(grep "\"remote_port\":$port," "$tmp/audit" | sed 's/.*"cookie":\([0-9]*\).*/\1/' | sort | uniq -d | wc -l)
lost=$("$NL" meter status --json | sed 's/.*"audit_lost":\([0-9]*\).*/\1/')
echo "views arm: audit recorded $got of $made TCP connections made at $rate a second" \
	"(two clients; $base_rate a second with no dataplane);" \
	"lost $lost, recorded twice $dup (aim: 5,000 a second, none lost)"
