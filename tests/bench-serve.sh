#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# `make bench-serve`: what a Prometheus scrape of `netlimit serve` costs with
# N host limits (default 10,000) and C cgroups with traffic (default 1,000):
# the scrape's time (curl, median of 20), the round that reads and renders
# the counts (netlimit_serve_round_seconds), and serve's RSS. All on a cgroup
# subtree and a bpffs state of the benchmark's own, removed at the end.
set -eu
B=${1:-build}
N=${N:-10000}
C=${C:-1000}
PORT=${PORT:-10168}
[ "$(id -u)" = 0 ] || { echo "bench-serve: run it as root" >&2; exit 77; }
MNT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
BASE=$MNT/netlimit-bench-serve
export NETLIMIT_STATE=/sys/fs/bpf/netlimit-bench-serve NETLIMIT_CGROUP=netlimit-bench-serve/runs \
	NETLIMIT_DATAPLANE_CGROUP=$BASE
mkdir -p "$BASE"
serve=
cleanup() {
	[ -n "$serve" ] && kill "$serve" 2>/dev/null && wait "$serve" 2>/dev/null || true
	rm -rf "$NETLIMIT_STATE"
	for d in "$BASE"/c* "$BASE/runs"; do [ -d "$d" ] && rmdir "$d" 2>/dev/null || true; done
	rmdir "$BASE" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
i=1
while [ "$i" -le "$N" ]; do
	"$B/netlimit" host "10.$((i / 65536)).$((i / 256 % 256)).$((i % 256))" --limit=1G -q >/dev/null
	i=$((i + 1))
done
# serve turns the meter on: the cgroups' traffic comes after it.
"$B/netlimit" serve --listen=127.0.0.1:$PORT -q &
serve=$!
k=0
until curl -s -o /dev/null "http://127.0.0.1:$PORT/metrics"; do
	k=$((k + 1)); [ "$k" -lt 300 ] || { echo "bench-serve: serve did not answer" >&2; exit 1; }
	sleep 0.2
done
j=1
while [ "$j" -le "$C" ]; do
	mkdir -p "$BASE/c$j"
	sh -c "echo \$\$ > $BASE/c$j/cgroup.procs; exec $B/nltraffic udp 127.0.0.1 9 1 100" >/dev/null 2>&1 || true
	j=$((j + 1))
done
sleep 3
t=$(mktemp)
k=0
while [ "$k" -lt 20 ]; do
	curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$PORT/metrics" >> "$t"
	sleep 0.3
	k=$((k + 1))
done
size=$(curl -s "http://127.0.0.1:$PORT/metrics" | wc -c)
series=$(curl -s "http://127.0.0.1:$PORT/metrics" | grep -vc '^#' || true)
cgs=$(curl -s "http://127.0.0.1:$PORT/metrics" | grep -c '^netlimit_cgroup_bytes_total{.*direction="in"' || true)
round=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^netlimit_serve_round_seconds/ { printf "%.1f", $2 * 1000 }')
rss=$(awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$serve/status")
hwm=$(awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$serve/status")
med=$(sort -n "$t" | awk '{ v[NR] = $1 } END { printf "%.1f", v[int((NR + 1) / 2)] * 1000 }')
rm -f "$t"
echo "serve with $N host limits and $cgs cgroups metered ($series series, $size bytes):"
echo "  a scrape (curl, median of 20)      $med ms   (aim < 100)"
echo "  a round: read and render it all    $round ms (once an interval, off the scrape path)"
echo "  serve's RSS between rounds         $rss MiB  (aim < 20)"
echo "  serve's peak RSS (VmHWM)           $hwm MiB  (a round's snapshots and renderings)"
