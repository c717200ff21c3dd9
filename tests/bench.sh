#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# `make bench`: loopback TCP throughput with and without `netlimit run` (median
# ratio over interleaved rounds, with empty programs as a third arm) and the per-packet cost of the limit's programs
# against empty cgroup_skb programs (kernel bpf_stats: run_time_ns / run_cnt).
# PAIRS (default 10) and SECS (default 2) tune it.
set -eu
B=${1:-build}
PAIRS=${PAIRS:-10}
SECS=${SECS:-2}
PORT=${PORT:-5299}
[ "$(id -u)" = 0 ] || { echo "bench: run it as root (sudo make bench)" >&2; exit 77; }
# The dataplane attaches to a cgroup of the benchmark's own, never the root.
MNT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
export NETLIMIT_STATE=/sys/fs/bpf/netlimit-bench NETLIMIT_CGROUP=netlimit-bench/runs \
	NETLIMIT_DATAPLANE_CGROUP=$MNT/netlimit-bench
mkdir -p "$MNT/netlimit-bench"

iperf3 -s -B 127.0.0.1 -p "$PORT" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true; rmdir "$MNT/netlimit-bench/runs" "$MNT/netlimit-bench" 2>/dev/null || true' EXIT INT TERM
sleep 0.5

# Gbit/s the receiver reported.
gbps() { awk '/receiver/ { for (i = 1; i < NF; i++) if ($(i+1) == "Mbits/sec") printf "%.2f\n", $i / 1000 }'; }
client() { iperf3 -c 127.0.0.1 -p "$PORT" -t "$SECS" -f m; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

base=$(mktemp) with=$(mktemp) empty=$(mktemp) ratio=$(mktemp) eratio=$(mktemp) e=$(mktemp) q=$(mktemp) sc=$(mktemp) rt=$(mktemp) fl=$(mktemp)
run_base() { client | gbps; }
run_with() { "$B/netlimit" run --limit=1P -q -- iperf3 -c 127.0.0.1 -p "$PORT" -t "$SECS" -f m | gbps; }
run_empty() { NLBENCH_NOSTATS=1 "$B/nlbench" empty -- iperf3 -c 127.0.0.1 -p "$PORT" -t "$SECS" -f m | gbps; }
i=1
while [ "$i" -le "$PAIRS" ]; do
	# Rotate the order, so drift over the run hits every arm alike.
	case $((i % 3)) in
	1) b=$(run_base); w=$(run_with); x=$(run_empty) ;;
	2) w=$(run_with); x=$(run_empty); b=$(run_base) ;;
	*) x=$(run_empty); b=$(run_base); w=$(run_with) ;;
	esac
	echo "$b" >> "$base"; echo "$w" >> "$with"; echo "$x" >> "$empty"
	echo "$w $b" | awk '{ printf "%.4f\n", $1 / $2 }' >> "$ratio"
	echo "$x $b" | awk '{ printf "%.4f\n", $1 / $2 }' >> "$eratio"
	printf '  round %2d: no program %6s, empty programs %6s, netlimit %6s Gbit/s\n' "$i" "$b" "$x" "$w"
	i=$((i + 1))
done

i=1
while [ "$i" -le 5 ]; do
	"$B/nlbench" empty -- iperf3 -c 127.0.0.1 -p "$PORT" -t "$SECS" > "$e.out" 2>/dev/null || true
	awk '/^runs/ { print $4 }' "$e.out" >> "$e"
	"$B/nlbench" count1 -- iperf3 -c 127.0.0.1 -p "$PORT" -t "$SECS" > "$q.out" 2>/dev/null || true
	awk '/^runs/ { print $4 }' "$q.out" >> "$fl"
	"$B/nlbench" limit -- iperf3 -c 127.0.0.1 -p "$PORT" -t "$SECS" > "$q.out" 2>/dev/null || true
	awk '/^runs/ { print $4 }' "$q.out" >> "$q"
	"$B/nlbench" scoped -- iperf3 -c 127.0.0.1 -p "$PORT" -t "$SECS" > "$q.out" 2>/dev/null || true
	awk '/^runs/ { print $4 }' "$q.out" >> "$sc"
	"$B/nlbench" rated -- iperf3 -c 127.0.0.1 -p "$PORT" -t "$SECS" > "$q.out" 2>/dev/null || true
	awk '/^runs/ { print $4 }' "$q.out" >> "$rt"
	i=$((i + 1))
done

echo
echo "throughput (loopback TCP, iperf3, $PAIRS interleaved rounds of ${SECS}s):"
echo "  no program               median $(median < "$base") Gbit/s"
echo "  empty cgroup_skb progs   median $(median < "$empty") Gbit/s   ratio $(median < "$eratio")"
echo "  netlimit run             median $(median < "$with") Gbit/s   ratio $(median < "$ratio")   (aim >= 0.97)"
en=$(median < "$e"); qn=$(median < "$q")
echo "per-packet cost (bpf_stats run_time_ns / run_cnt, median of 5):"
echo "  empty cgroup_skb programs   $en ns"
fn=$(median < "$fl")
echo "  floor: adding to one counter $fn ns   ratio $(echo "$fn $en" | awk '{ printf "%.2f", $1 / $2 }')   (the least any limit costs here)"
echo "  the dataplane, one limit   $qn ns   (a private instance on nlbench's cgroup)"
echo "  ratio                       $(echo "$qn $en" | awk '{ printf "%.2f", $1 / $2 }')   (aim <= 1.5)"
sn=$(median < "$sc")
echo "  a scoped limit (--only)     $sn ns   ratio $(echo "$sn $en" | awk '{ printf "%.2f", $1 / $2 }')   (one LPM lookup more)"
rn=$(median < "$rt")
echo "  a rated limit (--rate, --out-rate)  $rn ns   ratio to one limit $(echo "$rn $qn" | awk '{ printf "%.2f", $1 / $2 }')   (aim <= 1.5)"
rm -f "$base" "$with" "$empty" "$eratio" "$ratio" "$e" "$q" "$sc" "$rt" "$fl" "$e.out" "$q.out"
rmdir "$NETLIMIT_STATE" 2>/dev/null || true
