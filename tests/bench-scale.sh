#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# `make bench`, scale arm: a 64-byte UDP flood from one cgroup, in a network
# namespace of its own, under 1, 100, 1,000 and 10,000 limits that do not
# match it (host limits on the sender's cgroup; pid limits on processes that
# share one cgroup), next to the same numbers of nftables quota rules, an
# empty program and no program at all. Prints packets per second and the
# dataplane's per-packet cost (bpf_stats), each as a ratio within this run,
# plus the time to make a limit and the kernel memory a limit costs.
# SCALE_MAX (default 10000), FLOOD (datagrams, default 100000), REPS (3).
set -eu
B=${1:-build}
MAX=${SCALE_MAX:-10000}
FLOOD=${FLOOD:-100000}
REPS=${REPS:-3}
PORT=5399
[ "$(id -u)" = 0 ] || { echo "bench: run it as root (sudo make bench)" >&2; exit 77; }
MNT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
BASE=$MNT/netlimit-bench
export NETLIMIT_STATE=/sys/fs/bpf/netlimit-bench NETLIMIT_DATAPLANE_CGROUP=$BASE \
	NETLIMIT_CGROUP=netlimit-bench/runs
NL="$B/netlimit"
T="$B/nltraffic"
NS=nlbench$$
STATS_WAS=$(cat /proc/sys/kernel/bpf_stats_enabled)
mkdir -p "$BASE/sender" "$BASE/park"
ip netns add "$NS"
ip -n "$NS" link set lo up
ip netns exec "$NS" "$T" udp-sink 127.0.0.1 "$PORT" &
sink=$!
park=
tmp=$(mktemp -d)
cleanup() {
	kill "$sink" 2>/dev/null || true
	[ -z "$park" ] || kill "$park" 2>/dev/null || true
	wait 2>/dev/null || true
	echo "$STATS_WAS" > /proc/sys/kernel/bpf_stats_enabled
	rm -rf "$NETLIMIT_STATE"
	ip netns del "$NS" 2>/dev/null || true
	ip netns del "${NS}b" 2>/dev/null || true
	for d in "$BASE"/runs/* "$BASE/runs" "$BASE/sender" "$BASE/park" "$BASE"; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
sleep 0.3

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# One flood from the sender's cgroup, inside the namespace: packets per second.
flood() {
	sh -c "echo \$\$ > $BASE/sender/cgroup.procs && exec ip netns exec $NS $T flood 127.0.0.1 $PORT $FLOOD 64" |
		awk '/^pps/ { print $2 }'
}
# The dataplane's egress program: run_time_ns / run_cnt since the last call.
last_ns=0 last_cnt=0
prog_cost() {
	set -- $(bpftool -j prog show pinned "$NETLIMIT_STATE/dp/prog_out" |
		sed 's/.*"run_time_ns":\([0-9]*\).*"run_cnt":\([0-9]*\).*/\1 \2/')
	ns=${1:-0} cnt=${2:-0}
	echo "$ns $last_ns $cnt $last_cnt" | awk '{ d = $3 - $4; printf "%.1f\n", d ? ($1 - $2) / d : 0 }'
	last_ns=$ns last_cnt=$cnt
}
# pps and ns/packet: medians over REPS floods.
measure() {
	: > "$tmp/p"; : > "$tmp/c"
	i=0
	while [ "$i" -lt "$REPS" ]; do
		[ -e "$NETLIMIT_STATE/dp" ] && prog_cost > /dev/null
		flood >> "$tmp/p"
		[ -e "$NETLIMIT_STATE/dp" ] && prog_cost >> "$tmp/c"
		i=$((i + 1))
	done
	pps=$(median < "$tmp/p")
	cost=$( [ -s "$tmp/c" ] && median < "$tmp/c" || echo 0)
}
# Kernel memory of the dataplane's maps (bpftool's memlock figures).
memlock() {
	for m in limits conf cgroups hosts scopes socks sock_tags tasks rings cg_meter proc_meter sk_slots sk_owners host_meter audit sock_exe udp_peers; do
		bpftool -j map show pinned "$NETLIMIT_STATE/dp/$m" | sed 's/.*"bytes_memlock":\([0-9]*\).*/\1/'
	done | awk '{ s += $1 } END { print s }'
}
ratio() { echo "$1 $2" | awk '{ printf "%.2f", $2 ? $1 / $2 : 0 }'; }

echo 1 > /proc/sys/kernel/bpf_stats_enabled
echo "scale arm: $FLOOD 64-byte UDP datagrams a flood, median of $REPS, up to $MAX limits"

# The per-packet arms, interleaved round by round so that the machine's drift
# touches each alike: no program, the empty program, the floor (programs that
# only add to one counter, or to two), the meter alone, the meter with one
# limit, one unscoped limit, one scoped limit.
arms="none empty count1 count2 meter meter1 one scoped"
for a in $arms; do : > "$tmp/p.$a"; : > "$tmp/c.$a"; done
# One flood from the sender's cgroup, its pps and the dataplane's ns/packet in it.
arm_flood() {
	[ -e "$NETLIMIT_STATE/dp" ] && prog_cost > /dev/null
	flood >> "$tmp/p.$1"
	[ -e "$NETLIMIT_STATE/dp" ] && prog_cost >> "$tmp/c.$1"
	return 0
}
r=0
while [ "$r" -lt "$REPS" ]; do
	arm_flood none
	for a in empty count1 count2; do
		sh -c "echo \$\$ > $BASE/sender/cgroup.procs && exec $B/nlbench $a -- ip netns exec $NS $T flood 127.0.0.1 $PORT $FLOOD 64" > "$tmp/eo"
		awk '/^pps/ { print $2 }' "$tmp/eo" >> "$tmp/p.$a"
		awk '/^runs/ { print $4 }' "$tmp/eo" >> "$tmp/c.$a"
	done
	"$NL" meter on > /dev/null
	last_ns=0 last_cnt=0
	arm_flood meter
	"$NL" attach --cgroup "$BASE/sender" --out=1P --name=match -q > /dev/null
	arm_flood meter1
	"$NL" meter off > /dev/null
	arm_flood one
	"$NL" detach match -q
	"$NL" attach --cgroup "$BASE/sender" --out=1P --only=127.0.0.0/8 --name=match -q > /dev/null
	arm_flood scoped
	"$NL" detach match -q
	r=$((r + 1))
done
for a in $arms; do
	eval "${a}_pps=\$(median < \"\$tmp/p.$a\")"
	eval "${a}_ns=\$( [ -s \"\$tmp/c.$a\" ] && median < \"\$tmp/c.$a\" || echo 0)"
done

printf '\n%-44s %10s %8s %10s %8s\n' "per-packet path (median of $REPS interleaved rounds)" "pps" "ratio" "ns/pkt" "ratio"
printf '%-44s %10s %8s %10s %8s\n' "no program" "$none_pps" "1.00" "-" "-"
printf '%-44s %10s %8s %10s %8s\n' "empty cgroup_skb program" "$empty_pps" "$(ratio "$empty_pps" "$none_pps")" "$empty_ns" "1.00"
printf '%-44s %10s %8s %10s %8s\n' "floor: a program adding to one counter" "$count1_pps" "$(ratio "$count1_pps" "$none_pps")" "$count1_ns" "$(ratio "$count1_ns" "$empty_ns")"
printf '%-44s %10s %8s %10s %8s\n' "floor: a program adding to two counters" "$count2_pps" "$(ratio "$count2_pps" "$none_pps")" "$count2_ns" "$(ratio "$count2_ns" "$empty_ns")"
printf '%-44s %10s %8s %10s %8s\n' "dataplane, 1 unscoped limit" "$one_pps" "$(ratio "$one_pps" "$none_pps")" "$one_ns" "$(ratio "$one_ns" "$empty_ns")"
printf '%-44s %10s %8s %10s %8s\n' "dataplane, 1 scoped limit (--only)" "$scoped_pps" "$(ratio "$scoped_pps" "$none_pps")" "$scoped_ns" "$(ratio "$scoped_ns" "$empty_ns")"
printf '%-44s %10s %8s %10s %8s\n' "dataplane, meter on, no limit" "$meter_pps" "$(ratio "$meter_pps" "$none_pps")" "$meter_ns" "$(ratio "$meter_ns" "$empty_ns")"
printf '%-44s %10s %8s %10s %8s\n' "dataplane, meter on, 1 limit" "$meter1_pps" "$(ratio "$meter1_pps" "$none_pps")" "$meter1_ns" "$(ratio "$meter1_ns" "$empty_ns")"
echo "(aims: unscoped <= 1.3x empty, scoped <= 1.5x, meter <= 1.5x, meter + 10,000 limits <= 2x;"
echo " the floor rows are the least any limit (one counter) or the meter with a limit (two) can cost here)"

# Fork and exit of processes no limit covers: the dataplane's fork and exit
# tracepoints run for every process of the machine, once each, whatever
# the number of limits. Interleaved: no dataplane, then loaded with a pid
# limit on another process.
: > "$tmp/f0"; : > "$tmp/f1"
sleep 600 &
sleeper=$!
echo "$sleeper" > "$BASE/park/cgroup.procs"
r=0
while [ "$r" -lt "$REPS" ]; do
	"$T" forks 3000 | awk '{ print $2 }' >> "$tmp/f0"
	"$NL" attach --pid "$sleeper" --out=1P --name=forks -q > /dev/null
	"$T" forks 3000 | awk '{ print $2 }' >> "$tmp/f1"
	"$NL" detach forks -q
	r=$((r + 1))
done
kill "$sleeper"; wait "$sleeper" 2>/dev/null || true
f0=$(median < "$tmp/f0"); f1=$(median < "$tmp/f1")
echo "fork + exit of an uncovered process: $f0 us without the dataplane, $f1 us with it" \
	"(a pid limit elsewhere): ratio $(ratio "$f1" "$f0")"

# Host limits on the sender's cgroup, none matching the flood; then pid limits.
"$NL" attach --cgroup "$BASE/sender" --out=1P --name=match -q > /dev/null
"$NL" meter on
n=0
echo
echo "host rows: the meter on as well; pid rows: the meter off, the host limits still in place. vs empty: ns/pkt over the empty program's."
printf '%-8s %-6s %10s %8s %10s %8s %8s %10s %10s\n' "limits" "kind" "pps" "vs 1" "ns/pkt" "vs 1" "vs empty" "make ms" "nft pps"
: > "$tmp/mk"
for k in 1 100 1000 10000; do
	[ "$k" -le "$MAX" ] || break
	: > "$tmp/mk" # make ms: the limits made in this step, from the last step's number up
	while [ "$n" -lt "$k" ]; do
		"$T" timed "$NL" host "10.$((n >> 16)).$(((n >> 8) & 255)).$((n & 255))" --out=1G \
			--cgroup "$BASE/sender" -q | awk '{ print $2 }' >> "$tmp/mk"
		n=$((n + 1))
	done
	[ "$k" = 1 ] && mem1=$(memlock)
	measure
	[ "$k" = 1 ] && { h1_pps=$pps; h1_ns=$cost; }
	# The same number of nftables quota rules, in the flood's namespace.
	{
		echo "add table inet nlbench"
		echo "add chain inet nlbench out { type filter hook output priority 0 ; }"
		i=0
		while [ "$i" -lt "$k" ]; do
			echo "add rule inet nlbench out ip daddr 10.$((i >> 16)).$(((i >> 8) & 255)).$((i & 255)) quota over 1000000000 bytes drop"
			i=$((i + 1))
		done
	} > "$tmp/nft"
	ip netns exec "$NS" nft -f "$tmp/nft"
	# From this script's own cgroup, outside the dataplane's: nftables alone.
	nftp=$(ip netns exec "$NS" "$T" flood 127.0.0.1 "$PORT" "$FLOOD" 64 | awk '{ print $2 }')
	ip netns exec "$NS" nft delete table inet nlbench
	printf '%-8s %-6s %10s %8s %10s %8s %8s %10s %10s\n' "$k" host "$pps" "$(ratio "$pps" "$h1_pps")" "$cost" \
		"$(ratio "$cost" "$h1_ns")" "$(ratio "$cost" "$empty_ns")" "$(awk '{ print $1 / 1000 }' "$tmp/mk" | median)" "$nftp"
done
memk=$(memlock)
echo "kernel memory of the dataplane's maps: $mem1 bytes with 1 host limit, $memk with $n:" \
	"$(echo "$memk $mem1 $n" | awk '{ printf "%.0f", ($3 > 1) ? ($1 - $2) / ($3 - 1) : 0 }') bytes per extra limit"
"$NL" meter off

# pid limits: K processes parked in one cgroup, one limit each, on top of
# the host limits (every kind at once: the table holds 65,535).
"$T" park "$MAX" > "$tmp/park" &
park=$!
while ! grep -q parked "$tmp/park"; do sleep 0.1; done
grep -v parked "$tmp/park" | while read -r pid; do echo "$pid" > "$BASE/park/cgroup.procs"; done
n=0
: > "$tmp/mk"
for k in 1 100 1000 10000; do
	[ "$k" -le "$MAX" ] || break
	: > "$tmp/mk"
	sed -n "$((n + 1)),${k}p" "$tmp/park" | while read -r pid; do
		if ! "$T" timed "$NL" attach --pid "$pid" --out=1G -q > "$tmp/us" 2> "$tmp/err"; then
			echo "attach --pid failed after $(wc -l < "$tmp/mk") pid limits:" \
				"$(cat "$tmp/err")" >&2
			break
		fi
		awk '{ print $2 }' "$tmp/us" >> "$tmp/mk"
	done
	n=$k
	measure
	[ "$k" = 1 ] && { p1_pps=$pps; p1_ns=$cost; }
	printf '%-8s %-6s %10s %8s %10s %8s %8s %10s\n' "$k" pid "$pps" "$(ratio "$pps" "$p1_pps")" "$cost" \
		"$(ratio "$cost" "$p1_ns")" "$(ratio "$cost" "$empty_ns")" "$(awk '{ print $1 / 1000 }' "$tmp/mk" | median)"
done
echo "(aims: pps with 10,000 limits >= 0.95 of 1 limit; cost within 5%; making a limit < 5 ms)"

: > "$tmp/mk"
i=0
while [ "$i" -lt 20 ]; do
	mkdir -p "$BASE/sender/c$i"
	"$T" timed "$NL" attach --cgroup "$BASE/sender/c$i" --out=1G -q | awk '{ print $2 }' >> "$tmp/mk"
	i=$((i + 1))
done
# In place: the host and pid limits above, the flood's own, these 20.
inplace=$("$NL" list --json | grep -o '{"id":' | wc -l)
echo "attach --cgroup with $((inplace - 20)) to $inplace limits in place: median $(awk '{ print $1 / 1000 }' "$tmp/mk" | median) ms"
# Interface limits on 20 veths of the flood's namespace: the first loads the shared tc programs.
: > "$tmp/mk"
i=0
while [ "$i" -lt 20 ]; do
	ip -n "$NS" link add "nlv$i" type veth peer name "nlw$i"
	nsenter --net="/run/netns/$NS" "$T" timed "$NL" iface "nlv$i" --limit=1G -q | awk '{ print $2 }' >> "$tmp/mk"
	i=$((i + 1))
done
echo "iface: the first $(head -1 "$tmp/mk" | awk '{ print $1 / 1000 }') ms (it loads the shared programs)," \
	"19 more: median $(tail -n +2 "$tmp/mk" | awk '{ print $1 / 1000 }' | median) ms"
# The interface path: a flood across a veth to a namespace of its own, with
# no program on the veth, then with an interface limit (the 20 above in place).
ip netns add "${NS}b"
ip -n "$NS" link add nlvx type veth peer name nlwx netns "${NS}b"
ip -n "$NS" addr add 10.99.0.1/24 dev nlvx && ip -n "$NS" link set nlvx up
ip -n "${NS}b" addr add 10.99.0.2/24 dev nlwx && ip -n "${NS}b" link set nlwx up
ip netns exec "${NS}b" "$T" udp-sink 10.99.0.2 "$PORT" &
sinkb=$!
sleep 0.3
vflood() { ip netns exec "$NS" "$T" flood 10.99.0.2 "$PORT" "$FLOOD" 64 | awk '/^pps/ { print $2 }'; }
tc_cost() {
	set -- $(bpftool -j prog show pinned "$NETLIMIT_STATE/dp/prog_tc_out" |
		sed 's/.*"run_time_ns":\([0-9]*\).*"run_cnt":\([0-9]*\).*/\1 \2/')
	echo "${1:-0} ${2:-0}"
}
: > "$tmp/v0"; : > "$tmp/v1"; : > "$tmp/vc"
nsenter --net="/run/netns/$NS" "$NL" iface nlvx --limit=1P --name=vx -q > /dev/null
r=0
while [ "$r" -lt "$REPS" ]; do
	# Unlinked (detached) and linked again, round by round.
	nsenter --net="/run/netns/$NS" "$NL" detach vx -q
	vflood >> "$tmp/v0"
	nsenter --net="/run/netns/$NS" "$NL" iface nlvx --limit=1P --name=vx -q > /dev/null
	set -- $(tc_cost)
	vflood >> "$tmp/v1"
	set -- "$@" $(tc_cost)
	echo "$@" | awk '{ d = $4 - $2; printf "%.1f\n", d ? ($3 - $1) / d : 0 }' >> "$tmp/vc"
	r=$((r + 1))
done
v0=$(median < "$tmp/v0") v1=$(median < "$tmp/v1")
echo "iface path (a veth to another namespace): $v0 pps with no program, $v1 with an interface limit" \
	"($(ratio "$v1" "$v0")); nl_tc_egress $(median < "$tmp/vc") ns a packet"
kill "$sinkb" 2>/dev/null || true
ip netns del "${NS}b"
# The floor under every "make ms": a process that does nothing, and netlimit starting.
: > "$tmp/mk"; : > "$tmp/mv"
i=0
while [ "$i" -lt 20 ]; do
	"$T" timed /bin/true | awk '{ print $2 }' >> "$tmp/mk"
	"$T" timed "$NL" --version | awk '{ print $2 }' >> "$tmp/mv"
	i=$((i + 1))
done
echo "(make ms: each command as a whole process, spawned and waited for by nltraffic timed;" \
	"/bin/true takes $(awk '{ print $1 / 1000 }' "$tmp/mk" | median) ms that way here," \
	"netlimit --version $(awk '{ print $1 / 1000 }' "$tmp/mv" | median) ms)"
rm -rf "$NETLIMIT_STATE"
i=0
while [ "$i" -lt 20 ]; do rmdir "$BASE/sender/c$i"; i=$((i + 1)); done
