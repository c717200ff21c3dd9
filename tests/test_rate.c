// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Rates: real traffic over loopback, measured by the receiving end (the
 * server's own count) and by the limit's counters, in windows that leave
 * out the first second (the burst and TCP's start). The benchmark
 * (tests/bench-rate.sh) measures precision over 10 s; here each window is
 * 3 to 5 s (2 s after `set`) and must land within RATE_TOL of the
 * rate.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include "harness.h"
#include "helpers.h"

#define RATE_TOL 0.05

static double mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	double d = t - mono();

	if (d > 0)
		msleep((int)(d * 1000));
}

/* Fail unless got (bits a second) is within RATE_TOL of want. */
#define NEAR(got, want, name)                                                                      \
	({                                                                                         \
		double ___g = (got), ___w = (want);                                                \
		bool ___ok = ___g >= ___w * (1 - RATE_TOL) && ___g <= ___w * (1 + RATE_TOL);       \
		if (!___ok)                                                                        \
			test_fail_at(__FILE__, __LINE__, "%s: %.0f bit/s, want %.0f within %.0f%%", \
				     (name), ___g, ___w, RATE_TOL * 100);                          \
		___ok;                                                                             \
	})

/* A counter of the limit named name, from `netlimit list --json`. */
static unsigned long long limit_counter(const char *name, const char *key)
{
	unsigned long long v = 0;
	char anchor[64];
	struct proc p;

	snprintf(anchor, sizeof(anchor), "\"name\":\"%s\"", name);
	netlimit(&p, "list", "--json", NULL);
	if (!json_u64_after(p.out, anchor, key, &v))
		test_fail_at(__FILE__, __LINE__, "no %s of limit %s in: %s", key, name, p.out);
	return v;
}

/* Bits a second a sampler saw from t0 to t1 (seconds from start). */
struct window {
	double t0, t1;
	unsigned long long a, b;
	double at, bt;
};

static double window_rate(const struct window *w, double bytes_per_unit)
{
	return (double)(w->b - w->a) * bytes_per_unit * 8 / (w->bt - w->at);
}

/* Server-side window: what arrived between t0 and t1 after start. */
static void server_window(struct server *s, double start, struct window *w, bool msgs)
{
	sleep_until(start + w->t0);
	w->at = mono();
	w->a = msgs ? server_msgs(s) : server_bytes(s);
	sleep_until(start + w->t1);
	w->bt = mono();
	w->b = msgs ? server_msgs(s) : server_bytes(s);
}

static void limit_window(const char *name, const char *key, double start, struct window *w)
{
	sleep_until(start + w->t0);
	w->at = mono();
	w->a = limit_counter(name, key);
	sleep_until(start + w->t1);
	w->bt = mono();
	w->b = limit_counter(name, key);
}

/*
 * Loopback as an Ethernet link would carry it (the test's own namespace):
 * with loopback's 64 KiB MTU a TSO packet of two segments costs 65 ms at 16
 * Mbit/s, longer than the debt a rate allows TCP (README, known gaps).
 */
static void ether_mtu(bool on)
{
	sh("ip link set lo mtu %d", on ? 1500 : 65536);
}

/* One or more TCP flows sending under --out-rate: the server's count. */
static void tcp_out(int family, const char *addr, const char *rate, double bps, int flows,
		    bool ether)
{
	/* 5 s: TCP's pace settles by steps of 100 ms; a shorter window sees their swing. */
	struct window w = { .t0 = 1.0, .t1 = 6.0 };
	struct server *s;
	struct proc p;
	double start;
	int port;

	if (ether)
		ether_mtu(true);
	s = tcp_sink(family, &port);
	if (!ASSERT_TRUE(s, "sink"))
		return;
	start = mono();
	netlimit_bg(&p, "run", "--name=rt", rate, "--", traffic(), "tcp-for", addr, num(port),
		    "6500", num(flows), NULL);
	server_window(s, start, &w, false);
	proc_finish(&p, 20);
	ASSERT_EQ(p.status, 0, "the command ran to its end");
	/* Payload: 52 of each 1,500 bytes are IP and TCP headers (72 of 65,535 on loopback). */
	NEAR(window_rate(&w, ether ? 1500.0 / (family == AF_INET ? 1448 : 1428) : 1), bps,
	     "what the server received");
	server_stop(s);
	if (ether)
		ether_mtu(false);
}

void test_rate_tcp_out_v4(void)
{
	if (!require_root())
		return;
	tcp_out(AF_INET, "127.0.0.1", "--out-rate=40mbit", 40e6, 1, true);
}

/*
 * One flow over loopback at its own MTU (64 KiB) under 1 Mbit/s: the kernel
 * builds 64 KiB packets on a path this fast whatever the pace, half a second
 * each at this rate; smaller segments (slow_mss) and a window held to the
 * pace (pace_cwnd) keep the flow even.
 */
void test_rate_tcp_out_slow_big_mtu(void)
{
	if (!require_root())
		return;
	tcp_out(AF_INET, "127.0.0.1", "--out-rate=1mbit", 1e6, 1, false);
}

/* Eight flows share 1 Mbit/s the same way (125 kbit/s each). */
void test_rate_tcp_out_slow_8_flows(void)
{
	if (!require_root())
		return;
	tcp_out(AF_INET6, "::1", "--out-rate=1mbit", 1e6, 8, false);
}

/*
 * The segment size nltraffic tcp-mss printed (p ended), checked to be in
 * (lo, hi]: TCP's options (timestamps) come off the size asked for.
 */
static void mss_in(struct proc *p, int lo, int hi, const char *what, int line)
{
	char *at = strstr(p->out, "mss ");
	int m = at ? atoi(at + 4) : -1;

	if (m <= lo || m > hi)
		test_fail_at(__FILE__, line, "%s: segments of %d bytes, want %d to %d (%s)", what, m,
			     lo + 1, hi, p->out);
}

/* nltraffic tcp-mss to addr:port under netlimit run OPT. */
static void mss_under(struct proc *p, const char *opt, const char *addr, int port)
{
	netlimit(p, "run", "-q", opt, "--", traffic(), "tcp-mss", addr, num(port), NULL);
}

/*
 * Loopback at its own MTU (64 KiB): a segment is half a second of 1 Mbit/s.
 * A TCP socket opened under a rate that moves 64 KiB in more than 10 ms
 * gets segments of 10 ms at that rate (at least 1,448 bytes), for what it
 * sends and, asked in its SYN, for what it receives (nl_tcp's slow_mss),
 * whichever limit has the rate: its cgroup's (run), a process limit, a host
 * limit around the address it connects to. Under faster rates, and outside
 * those limits, it keeps the path's. How close the rates come then:
 * `make bench-rate` (README).
 */
void test_rate_slow_rate_segments(void)
{
	struct server *s, *s2;
	struct proc p, c;
	char rel[64], cg[512], flag[64], script[256];
	int port, port2;

	if (!require_root())
		return;
	snprintf(rel, sizeof(rel), "mss-%d", (int)getpid());
	snprintf(flag, sizeof(flag), "/tmp/nl-mss-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		return;
	s = tcp_sink(AF_INET, &port);
	s2 = tcp_sink_at("127.0.0.2", &port2);
	if (!ASSERT_TRUE(s && s2, "sinks"))
		goto out;
	/* A run's rate. */
	mss_under(&p, "--out-rate=1mbit", "127.0.0.1", port);
	mss_in(&p, 1400, 1448, "under --out-rate=1mbit", __LINE__);
	mss_under(&p, "--in-rate=1mbit", "127.0.0.1", port);
	mss_in(&p, 1400, 1448, "under --in-rate=1mbit", __LINE__);
	mss_under(&p, "--rate=20mbit", "127.0.0.1", port);
	mss_in(&p, 24950, 25000, "under --rate=20mbit: 10 ms of it", __LINE__);
	/* Loopback's own, bounded early by half the peer's first window (32,767). */
	mss_under(&p, "--out-rate=100mbit", "127.0.0.1", port);
	mss_in(&p, 30000, 65535, "under --out-rate=100mbit: loopback's", __LINE__);
	mss_under(&p, "--limit=1G", "127.0.0.1", port);
	mss_in(&p, 30000, 65535, "under a cap alone: loopback's", __LINE__);

	/* A host limit's: what goes to its prefix, not elsewhere. */
	netlimit(&p, "host", "127.0.0.2", "--out-rate=2mbit", "--cgroup", cg, "--name=mh", NULL);
	ASSERT_EQ(p.status, 0, "host limit");
	start_in_cgroup(&c, cg, (char *[]){ traffic(), "tcp-mss", "127.0.0.2", num(port2), NULL });
	proc_finish(&c, 10);
	mss_in(&c, 2450, 2500, "to a host under --out-rate=2mbit", __LINE__);
	start_in_cgroup(&c, cg, (char *[]){ traffic(), "tcp-mss", "127.0.0.1", num(port), NULL });
	proc_finish(&c, 10);
	mss_in(&c, 30000, 65535, "to another host: loopback's", __LINE__);
	netlimit(&p, "detach", "mh", NULL);

	/* A process limit's: the process connects once attached (the flag file). */
	snprintf(script, sizeof(script), "while [ ! -e %s ]; do sleep 0.01; done; exec %s tcp-mss 127.0.0.1 %d",
		 flag, traffic(), port);
	start_in_cgroup(&c, cg, (char *[]){ "/bin/sh", "-c", script, NULL });
	netlimit(&p, "attach", "--pid", num(c.pid), "--in-rate=3mbit", "--name=mp", NULL);
	ASSERT_EQ(p.status, 0, "process limit");
	close(open(flag, O_CREAT | O_WRONLY, 0600));
	proc_finish(&c, 10);
	mss_in(&c, 3700, 3750, "a process under --in-rate=3mbit", __LINE__);
	netlimit(&p, "detach", "mp", NULL);
out:
	unlink(flag);
	if (s)
		server_stop(s);
	if (s2)
		server_stop(s2);
	rmdir(cg);
}

/* Eight flows share one rate (README: at loopback's 64 KiB MTU they reach less). */
void test_rate_tcp_out_8_flows_v6(void)
{
	if (!require_root())
		return;
	tcp_out(AF_INET6, "::1", "--out-rate=5MB/s", 40e6, 8, true);
}

void test_rate_tcp_total_rate(void)
{
	if (!require_root())
		return;
	/* --rate is in plus out: the ACKs coming back are a sliver of it. */
	tcp_out(AF_INET, "127.0.0.1", "--rate=30mbit", 30e6, 2, true);
}

/* UDP over its rate: the excess is dropped, and counted as held back. */
static void udp_out(const char *sender, const char *addr, int family)
{
	struct window w = { .t0 = 1.0, .t1 = 4.0 };
	unsigned long long held;
	struct server *s;
	struct proc p;
	double start;
	int port;

	s = udp_sink(family, &port);
	if (!ASSERT_TRUE(s, "sink"))
		return;
	start = mono();
	netlimit_bg(&p, "run", "--name=ru", "--out-rate=20mbit", "--on-limit=block", "--", sender,
		    "udp-for", addr, num(port), "4500", "1000", NULL);
	server_window(s, start, &w, true);
	held = limit_counter("ru", "out_held_packets");
	proc_finish(&p, 20);
	ASSERT_EQ(p.status, 0, "the command ran to its end");
	/* 1,028 L3 bytes a datagram (IPv4), 1,048 (IPv6). */
	NEAR(window_rate(&w, family == AF_INET ? 1028 : 1048), 20e6, "datagrams received");
	ASSERT_GT(held, 1000, "the excess was held back (dropped)");
	server_stop(s);
}

void test_rate_udp_out(void)
{
	if (!require_root())
		return;
	udp_out(traffic(), "127.0.0.1", AF_INET);
}

/* A static binary calls no libc shim: trickle cannot see it, the kernel does. */
void test_rate_static_binary(void)
{
	static char path[512];
	struct proc p;

	if (!require_root())
		return;
	snprintf(path, sizeof(path), "%s", bin("nltraffic-static"));
	{
		char *argv[] = { "/usr/bin/ldd", path, NULL };

		proc_run(&p, argv, 10);
		ASSERT_HAS(p.err, "not a dynamic executable", "the sender is static");
	}
	udp_out(path, "::1", AF_INET6);
}

/* Receiving UDP under --in-rate: a sender outside the limit floods a sink in it. */
void test_rate_udp_in_v6(void)
{
	struct window w = { .t0 = 1.0, .t1 = 4.0 };
	struct proc p, snd;
	int port = 20000 + getpid() % 20000;
	double start;

	if (!require_root())
		return;
	start = mono();
	netlimit_bg(&p, "run", "--name=rv", "--in-rate=10mbit", "--on-limit=block", "--", traffic(),
		    "udp-sink", "::1", num(port), NULL);
	msleep(300);
	{
		char *argv[] = { traffic(), "udp-for", "::1", num(port), "4500", "1200", NULL };

		proc_start(&snd, argv);
	}
	limit_window("rv", "in_bytes", start, &w);
	ASSERT_GT(limit_counter("rv", "in_held_packets"), 100, "the excess was dropped");
	proc_finish(&snd, 20);
	proc_kill(&p, SIGTERM);
	NEAR(window_rate(&w, 1), 10e6, "datagrams let in (the limit's count)");
}

/* `set` changes a rate live: the next window runs at the new one. */
void test_rate_set_live(void)
{
	struct window w = { .t0 = 2.6, .t1 = 4.6 };
	struct server *s;
	struct proc p, q;
	double start;
	int port;

	if (!require_root())
		return;
	ether_mtu(true);
	s = tcp_sink(AF_INET, &port);
	if (!ASSERT_TRUE(s, "sink"))
		return;
	start = mono();
	netlimit_bg(&p, "run", "--name=rs", "--out-rate=20mbit", "--", traffic(), "tcp-for",
		    "127.0.0.1", num(port), "5000", NULL);
	sleep_until(start + 1.5);
	netlimit(&q, "set", "rs", "--out-rate=60mbit", NULL);
	ASSERT_EQ(q.status, 0, "set");
	/* Within a second of `set`, and from then on. */
	server_window(s, start, &w, false);
	NEAR(window_rate(&w, 1500.0 / 1448), 60e6, "after set");
	netlimit(&q, "show", "rs", "--json", NULL);
	ASSERT_EQ(J(q.out, "rate_out_bps"), 60000000, "the rate shown");
	proc_finish(&p, 20);
	ASSERT_EQ(p.status, 0, "the command ran to its end");
	server_stop(s);
	ether_mtu(false);
}

/*
 * A data plan's fair use: past the cap the traffic goes on, slowly. The
 * window starts a second after the limit turned throttled (TCP's recovery
 * from the cut), so a slow start of the command does not move it, and is 5 s
 * long as the other TCP windows.
 */
void test_rate_throttle_after_cap(void)
{
	struct window w = { .t0 = 1.0, .t1 = 6.0 };
	struct server *s;
	struct proc p, q;
	double start, limit;
	int port;

	if (!require_root())
		return;
	ether_mtu(true);
	s = tcp_sink(AF_INET, &port);
	if (!ASSERT_TRUE(s, "sink"))
		return;
	limit = mono() + 2;
	netlimit_bg(&p, "run", "--name=rth", "--out=2M", "--on-limit=throttle:16mbit", "--json",
		    "--", traffic(), "tcp-for", "127.0.0.1", num(port), "9000", NULL);
	do {
		msleep(20);
		netlimit(&q, "show", "rth", "--json", NULL);
	} while (!strstr(q.out, "\"state\":\"throttled\"") && mono() < limit);
	start = mono();
	ASSERT_HAS(q.out, "\"state\":\"throttled\"", "throttled within 2 s");
	server_window(s, start, &w, false);
	netlimit(&q, "list", NULL);
	ASSERT_HAS(q.out, "throttled", "list shows the state");
	netlimit(&q, "show", "rth", "--json", NULL);
	ASSERT_HAS(q.out, "\"state\":\"throttled\"", "throttled");
	ASSERT_HAS(q.out, "\"action\":\"throttle\"", "its action");
	ASSERT_EQ(J(q.out, "throttle_bps"), 16000000, "the throttle rate");
	ASSERT_GT(J(q.out, "out_bytes"), 2 << 20, "counted past the cap");
	NEAR(window_rate(&w, 1500.0 / 1448), 16e6, "past the cap");
	proc_finish(&p, 20);
	ASSERT_EQ(p.status, 0, "not ended: throttled");
	ASSERT_EQ(J(p.err, "ended_by_netlimit"), 0, "netlimit did not end it");
	server_stop(s);
	ether_mtu(false);
}

/* list, show and --json name each rate, what it achieves and what it held back. */
void test_rate_shown(void)
{
	struct server *s;
	struct proc p, q;
	int port;

	if (!require_root())
		return;
	s = udp_sink(AF_INET, &port);
	if (!ASSERT_TRUE(s, "sink"))
		return;
	netlimit_bg(&p, "run", "--name=rw", "--in-rate=1mbit", "--out-rate=8mbit", "--burst=64K",
		    "--", traffic(), "udp-for", "127.0.0.1", num(port), "6000", "500", NULL);
	/* 6 s of traffic: list and show each sample rates for 0.5 s (slower under ASan). */
	msleep(1000);
	netlimit(&q, "list", NULL);
	ASSERT_HAS(q.out, "RATES", "a column of rates");
	ASSERT_HAS(q.out, "in 1 Mbit/s, out 8 Mbit/s", "the rates");
	ASSERT_HAS(q.out, "ACHIEVED", "a column of achieved rates");
	netlimit(&q, "show", "rw", "--json", NULL);
	ASSERT_EQ(J(q.out, "rate_in_bps"), 1000000, "in rate");
	ASSERT_EQ(J(q.out, "rate_out_bps"), 8000000, "out rate");
	ASSERT_EQ(J(q.out, "burst_out_bytes"), 65536, "burst as given");
	ASSERT_GT(J(q.out, "out_held_packets"), 0, "held back");
	ASSERT_GT(J(q.out, "out_achieved_bps"), 6000000, "achieved, measured");
	ASSERT_HAS(q.out, "\"rate_total_bps\":null", "no total rate");
	netlimit(&q, "show", "rw", NULL);
	ASSERT_HAS(q.out, "rates  in 1 Mbit/s, out 8 Mbit/s", "show: the rates");
	ASSERT_HAS(q.out, "achieved in", "show: achieved");
	netlimit(&q, "set", "rw", "--out-rate=none", NULL);
	ASSERT_EQ(q.status, 0, "a rate removed");
	netlimit(&q, "show", "rw", "--json", NULL);
	ASSERT_HAS(q.out, "\"rate_out_bps\":null", "gone");
	proc_finish(&p, 20);
	server_stop(s);
}

/* Bad rates and bursts: one line, the usage status, nothing made. */
void test_rate_refusals(void)
{
	static const char *const bad[][3] = {
		{ "--rate=0", "must be greater than zero", NULL },
		{ "--out-rate=fast", "not a number", NULL },
		{ "--in-rate=99999999999999999999bit", "too large", NULL },
		{ "--rate=500bit", "smallest rate", NULL },
		{ "--rate=2tbit", "largest rate", NULL },
		{ "--rate=10mbit", "--burst=1000", "smaller than one full-size packet" },
		{ "--burst=64K", "--limit=1M", "--burst applies to a rate" },
		{ "--on-limit=throttle:1mbit", "--rate=5mbit", "needs a cap" },
		{ "--limit=1M", "--on-limit=throttle:0", "must be greater than zero" },
		{ "--limit=1M", "--on-limit=slow", "throttle:RATE" },
	};
	struct proc p;
	size_t i;

	if (!require_root())
		return;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *msg = bad[i][2] ? bad[i][2] : bad[i][1];

		if (bad[i][2])
			netlimit(&p, "run", bad[i][0], bad[i][1], "--", "true", NULL);
		else
			netlimit(&p, "run", bad[i][0], "--", "true", NULL);
		ASSERT_EQ(p.status, 64, bad[i][0]);
		ASSERT_HAS(p.err, msg, bad[i][0]);
		ASSERT_EQ(strchr(p.err, '\n') - p.err + 1, (long)p.err_len, "one line");
	}
	netlimit(&p, "host", "192.0.2.1", "--rate=0", NULL);
	ASSERT_EQ(p.status, 64, "host");
	netlimit(&p, "iface", "lo", "--out-rate=1", NULL);
	ASSERT_EQ(p.status, 64, "iface: 1 byte/s is below the smallest rate");
	netlimit(&p, "list", "--json", NULL);
	ASSERT_STREQ(p.out, "[]\n", "nothing was made");
}
