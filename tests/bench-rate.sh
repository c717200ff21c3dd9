#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# `make bench-rate`: how close rates come to what was set, against trickle
# (LD_PRELOAD) and tc HTB (as wondershaper shapes what is sent),
# from the same run. Two network namespaces of the benchmark's own, linked by
# a veth pair (MTU 1500), and the first one's loopback (MTU 64 KiB); iperf3
# flows of SECS seconds (the first one omitted: TCP's start and the burst),
# TCP with BBR and with cubic, 1 and 8 flows, UDP (4 MiB socket buffers:
# the default loses datagrams at the receiver with no limit), sent and received.
# Prints achieved / set, where achieved is the receiver's goodput (what the
# application gets; each tool counts headers its own way: netlimit IP bytes
# with one header per GSO packet, HTB link frames, trickle payload).
# A run waits for iperf3's server to finish the one before; every error iperf3
# reported is printed under the table.
# Also the RTT of a ping-pong connection beside a bulk one under the same rate,
# sent and received. netlimit runs in the first namespace: --in-rate's shaper
# attaches to its interfaces (lo, vr-a) and goes with each run's limit.
# SECS (default 10), RATES (default "1mbit 100mbit 1gbit"), PATHS ("veth lo"),
# PROTOS ("bbr cubic udp"), FLOWS ("1 8"), DIRS ("out in") and TOOLS
# ("netlimit trickle tc none"; none: UDP with no limit, what the sender and
# the path carry) choose the runs; LATENCY=0 leaves out the ping-pong.
set -eu
B=${1:-build}
SECS=${SECS:-10}
RATES=${RATES:-1mbit 100mbit 1gbit}
PATHS=${PATHS:-veth lo}
PROTOS=${PROTOS:-bbr cubic udp}
FLOWS=${FLOWS:-1 8}
DIRS=${DIRS:-out in}
TOOLS=${TOOLS:-netlimit trickle tc none}
LATENCY=${LATENCY:-1}
[ "$(id -u)" = 0 ] || { echo "bench-rate: run it as root" >&2; exit 77; }
MNT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
export NETLIMIT_STATE=/sys/fs/bpf/netlimit-bench-rate NETLIMIT_CGROUP=netlimit-bench-rate/runs \
	NETLIMIT_DATAPLANE_CGROUP=$MNT/netlimit-bench-rate
mkdir -p "$MNT/netlimit-bench-rate"
A=nlr-a-$$ Z=nlr-z-$$
NA=/run/netns/$A NZ=/run/netns/$Z
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	ip netns del "$A" 2>/dev/null || true
	ip netns del "$Z" 2>/dev/null || true
	"$B/netlimit" gc -q 2>/dev/null || true
	rmdir "$MNT/netlimit-bench-rate/runs" "$MNT/netlimit-bench-rate" 2>/dev/null || true
	rmdir "$NETLIMIT_STATE" 2>/dev/null || true
	rm -f "$errs"
}
errs=$(mktemp)
trap cleanup EXIT INT TERM
ip netns add "$A"
ip netns add "$Z"
ip link add vr-a netns "$A" type veth peer name vr-z netns "$Z"
ip -n "$A" addr add 10.77.0.1/24 dev vr-a
ip -n "$Z" addr add 10.77.0.2/24 dev vr-z
ip -n "$A" link set vr-a up
ip -n "$Z" link set vr-z up
ip -n "$A" link set lo up
ip -n "$Z" link set lo up
# nsenter, not `ip netns exec`: that remounts /sys, and netlimit needs cgroup2.
ina() { nsenter --net="$NA" "$@"; }
inz() { nsenter --net="$NZ" "$@"; }
# Servers started with nsenter itself, not through the functions: $! is then
# the server (nsenter execs it), which cleanup can end; a function's subshell
# would leave it running.
nsenter --net="$NZ" iperf3 -s -B 10.77.0.2 -p 5301 >/dev/null 2>&1 &
pids="$pids $!"
nsenter --net="$NA" iperf3 -s -B 127.0.0.1 -p 5301 >/dev/null 2>&1 &
pids="$pids $!"
sleep 0.5

bits() { # 1mbit -> 1000000
	echo "$1" | awk '{ v = $1 + 0; u = tolower($1); sub(/^[0-9.]+/, "", u)
		m = u == "kbit" ? 1e3 : u == "mbit" ? 1e6 : u == "gbit" ? 1e9 : 1; printf "%.0f\n", v * m }'
}
# From iperf3's JSON: the receiver's goodput in bits a second, then the
# error iperf3 reported, if any.
achieved() {
	python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
e = j.get("end", {})
s = e.get("sum_received") or e.get("sum") or {}
print("%.0f %s" % (s.get("bits_per_second", 0), j.get("error", "")))' "$1" 2>/dev/null ||
		echo "0 no JSON from iperf3 (killed at $((SECS + 20)) s?)"
}

# One run: tool path proto flows dir rate -> achieved/set
one() {
	tool=$1 path=$2 proto=$3 flows=$4 dir=$5 rate=$6
	r=$(bits "$rate")
	if [ "$path" = veth ]; then dst=10.77.0.2 dev=vr-a; else dst=127.0.0.1 dev=lo; fi
	args="-c $dst -p 5301 -t $((SECS + 1)) -O 1 -J -P $flows"
	# Below 10 Mbit/s, 64 KiB socket buffers for every tool: with the default
	# megabytes, what is queued at the end takes longer to drain than the run.
	[ "$r" -lt 10000000 ] && [ "$proto" != udp ] && args="$args -w 64K"
	case $proto in
	bbr) args="$args -C bbr" ;;
	cubic) args="$args -C cubic" ;;
	udp) args="$args -u -b $((r * 2 / flows)) -l 1400 -w 4M" ;;
	esac
	[ "$dir" = in ] && args="$args -R"
	out=$(mktemp)
	# iperf3's server takes one test at a time and stays busy until the last
	# one's data is received: at 1 Mbit/s, seconds after its client ended
	# (eight 64 KiB buffers queued in HTB). Wait for it rather than count 0.
	tries=0
	while attempt "$tool" && grep -q 'server is busy' "$out" && [ $tries -lt 30 ]; do
		tries=$((tries + 1))
		sleep 1
	done
	read -r a e <<-EOF
	$(achieved "$out")
	EOF
	# What iperf3 said went wrong, printed under the table.
	[ -z "$e" ] || echo "$tool $path $proto $flows $dir $rate: $e" >> "$errs"
	rm -f "$out"
	echo "$a $r" | awk '{ printf "%.3f", $1 / $2 }'
}

# One try of one run with one()'s variables, iperf3's JSON in $out.
attempt() {
	# A run that does not end in time (a low rate draining big socket buffers) counts 0.
	T=$((SECS + 20))
	case $1 in
	netlimit)
		opt=--out-rate=$rate
		[ "$dir" = in ] && opt=--in-rate=$rate
		ina timeout -k 5 "$T" "$B/netlimit" run -q --on-limit=block --drain=0 "$opt" -- \
			iperf3 $args > "$out" 2>/dev/null || true ;;
	trickle)
		kb=$((r / 8 / 1024))
		[ "$kb" -lt 1 ] && kb=1
		t=-u
		[ "$dir" = in ] && t=-d
		ina timeout -k 5 "$T" trickle -s $t "$kb" iperf3 $args > "$out" 2>/dev/null || true ;;
	tc)
		# HTB on the sending end: this kernel has no act_police (tc's ingress
		# policing, as wondershaper does it, fails to load) and no ifb, so
		# what is received is shaped where it leaves, the peer's veth (or
		# loopback, which is both ends).
		if [ "$dir" = out ] || [ "$path" = lo ]; then ns=ina tdev=$dev; else ns=inz tdev=vr-z; fi
		$ns tc qdisc add dev "$tdev" root handle 1: htb default 10 r2q 1000 2>/dev/null || true
		$ns tc class add dev "$tdev" parent 1: classid 1:10 htb rate "$rate" ceil "$rate" \
			2>/dev/null || true
		ina timeout -k 5 "$T" iperf3 $args > "$out" 2>/dev/null || true
		$ns tc qdisc del dev "$tdev" root 2>/dev/null || true ;;
	none)
		# No limit: what the path carries of the same flows (UDP is sent at
		# twice the rate: a sender that cannot reach the rate shows here).
		ina timeout -k 5 "$T" iperf3 $args > "$out" 2>/dev/null || true ;;
	esac
}

echo "rates (goodput / set rate over ${SECS}s, first second omitted; 1.000 = exact):"
printf '%-6s %-6s %-5s %-4s %-8s %10s %10s %10s %10s\n' path proto flows dir rate netlimit trickle tc "no limit"
for path in $PATHS; do
	for rate in $RATES; do
		for proto in $PROTOS; do
			for flows in $FLOWS; do
				[ "$proto" = cubic ] && [ "$flows" = 8 ] && continue
				for dir in $DIRS; do
					n=- t=- c=- u=-
					case " $TOOLS " in *" netlimit "*) n=$(one netlimit "$path" "$proto" "$flows" "$dir" "$rate") ;; esac
					case " $TOOLS " in *" trickle "*) [ "$proto" = udp ] || t=$(one trickle "$path" "$proto" "$flows" "$dir" "$rate") ;; esac
					case " $TOOLS " in *" tc "*) c=$(one tc "$path" "$proto" "$flows" "$dir" "$rate") ;; esac
					# The baseline for UDP only: TCP without a limit takes all the path has.
					case " $TOOLS " in *" none "*) [ "$proto" != udp ] || u=$(one none "$path" "$proto" "$flows" "$dir" "$rate") ;; esac
					printf '%-6s %-6s %-5s %-4s %-8s %10s %10s %10s %10s\n' "$path" "$proto" "$flows" "$dir" "$rate" "$n" "$t" "$c" "$u"
				done
			done
		done
	done
done

if [ -s "$errs" ]; then
	echo
	echo "runs where iperf3 reported an error:"
	sed 's/^/  /' "$errs"
fi

# Latency under a rate: a ping-pong connection beside a bulk flow of the same limit.
[ "$LATENCY" = 1 ] || exit 0
nsenter --net="$NZ" "$B/nltraffic" echo-serve 10.77.0.2 > /tmp/nlr-echo.$$ &
pids="$pids $!"
sleep 0.3
eport=$(awk '/port/ { print $2 }' /tmp/nlr-echo.$$)
rm -f /tmp/nlr-echo.$$
idle=$(ina "$B/nltraffic" ping-pong 10.77.0.2 "$eport" 500)
loaded=$(ina "$B/netlimit" run -q --out-rate=100mbit -- sh -c \
	"iperf3 -c 10.77.0.2 -p 5301 -t 4 >/dev/null & sleep 1; $B/nltraffic ping-pong 10.77.0.2 $eport 500; wait")
loaded_in=$(ina "$B/netlimit" run -q --in-rate=100mbit -- sh -c \
	"iperf3 -c 10.77.0.2 -p 5301 -t 4 -R >/dev/null & sleep 1; $B/nltraffic ping-pong 10.77.0.2 $eport 500; wait")
echo
echo "ping-pong RTT over the veth (us): idle: $idle; beside a bulk TCP flow under the same --out-rate=100mbit: $loaded"
echo "beside a bulk TCP download under the same --in-rate=100mbit (its packets queue in the shaper's class): $loaded_in"
