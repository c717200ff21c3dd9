// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * --in-rate shaped, not policed (bpf/shaper.bpf.c, user/shaper.c): what a
 * limited process receives waits in its limit's HTB class and arrives at the
 * rate, TCP without the policer's drops and UDP at the rate. netlimit runs
 * in a network namespace of the test's own (the shaper attaches to every
 * interface of its namespace): loopback there, and the veth from this one.
 * The rate is the limit's own count of IP bytes over a window of seconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <signal.h>
#include <unistd.h>
#include "harness.h"
#include "helpers.h"

#define SH_HOST "nlsh-h"
#define SH_PEER "nlsh-p"
#define SH_ADDR "10.79.0.2"

/* sch_htb's hysteresis, a parameter of the machine's (user/shaper.c turns it on). */
#define HYSTERESIS "/sys/module/sch_htb/parameters/htb_hysteresis"
/* Its value before the first shaper of these tests, put back by each shaper's teardown. */
static char hyst_before;

static char hysteresis(void)
{
	char c = '?';
	FILE *f = fopen(HYSTERESIS, "r");

	if (f) {
		if (fread(&c, 1, 1, f) != 1)
			c = '?';
		fclose(f);
	}
	return c;
}

static void set_hysteresis(char c)
{
	FILE *f = fopen(HYSTERESIS, "w");

	if (f) {
		fputc(c, f);
		fclose(f);
	}
}

/* The limit's in_bytes, from any namespace (its state is in bpffs). */
static unsigned long long in_bytes(const char *name)
{
	struct proc p;

	netlimit(&p, "show", name, "--json", NULL);
	return J(p.out, "in_bytes");
}

/*
 * Run "netlimit run --in-rate=RATE --name=NAME -- CMD..." inside the peer's
 * namespace with the shaper on, in the background.
 */
static int start_limited(struct proc *p, struct peer *ns, const char *rate, const char *name,
			 char *const *cmd)
{
	char nsarg[64], ratearg[64], namearg[64];
	char *argv[24];
	int n = 0;

	if (!hyst_before)
		hyst_before = hysteresis();
	snprintf(nsarg, sizeof(nsarg), "--net=/proc/%d/ns/net", (int)ns->pid);
	snprintf(ratearg, sizeof(ratearg), "--in-rate=%s", rate);
	snprintf(namearg, sizeof(namearg), "--name=%s", name);
	argv[n++] = "/usr/bin/nsenter";
	argv[n++] = nsarg;
	argv[n++] = "env";
	argv[n++] = "NETLIMIT_SHAPER=on";
	argv[n++] = (char *)bin("netlimit");
	argv[n++] = "run";
	argv[n++] = ratearg;
	argv[n++] = namearg;
	argv[n++] = "--";
	while (*cmd && n < 23)
		argv[n++] = *cmd++;
	argv[n] = NULL;
	return proc_start(p, argv);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/*
 * Bytes a second the limit took in over about 3 s, from 1.5 s after now:
 * each count is taken at some moment during its `netlimit show`, so the
 * span is measured between the midpoints of the two calls.
 */
static double achieved(const char *name)
{
	unsigned long long a, b;
	double a0, a1, b0, b1;

	msleep(1500);
	a0 = now_s();
	a = in_bytes(name);
	a1 = now_s();
	msleep(3000);
	b0 = now_s();
	b = in_bytes(name);
	b1 = now_s();
	return (double)(b - a) / ((b0 + b1) / 2 - (a0 + a1) / 2);
}

/* One TCP case: senders outside the limit, rate in bytes a second. */
static void tcp_case(struct peer *ns, const char *addr, const char *rate, double bps,
		     int flows, bool from_host)
{
	char nsarg[64];
	struct proc srv, snd, p;
	double got;
	int port;

	snprintf(nsarg, sizeof(nsarg), "--net=/proc/%d/ns/net", (int)ns->pid);
	if (!ASSERT_OK(start_limited(&srv, ns, rate, "shp",
				     (char *[]){ traffic(), "conns-serve", (char *)addr, NULL }),
		       "a server under --in-rate in the namespace"))
		return;
	port = printed_port(&srv);
	if (!ASSERT_GT(port, 0, "its port")) {
		proc_kill(&srv, SIGTERM);
		proc_finish(&srv, 10);
		fprintf(stderr, "    netlimit run said: %s / %s (status %d)\n", srv.err, srv.out, srv.status);
		return;
	}
	if (from_host)
		proc_start(&snd, (char *[]){ traffic(), "tcp-for", (char *)addr, num(port), "5500",
					     num(flows), NULL });
	else
		proc_start(&snd, (char *[]){ "/usr/bin/nsenter", nsarg, traffic(), "tcp-for", (char *)addr,
					     num(port), "5500", num(flows), NULL });
	got = achieved("shp");
	fprintf(stderr, "    %s, %d flow(s), %s: %.3f of the rate\n", addr, flows, rate, got / bps);
	ASSERT_TRUE(got > 0.95 * bps && got < 1.05 * bps, "TCP received within 5% of the rate");
	netlimit(&p, "show", "shp", "--json", NULL);
	ASSERT_EQ(J(p.out, "in_held_packets"), 0, "shaped: none dropped by the policer");
	ASSERT_EQ(sh("nsenter %s tc class show dev nlshape0 | grep -q 'class htb 4e4c:'", nsarg), 0,
		  "the limit's class on the shaper");
	ASSERT_EQ(hysteresis(), '1', "HTB's hysteresis on while the shaper is there");
	proc_finish(&snd, 20);
	proc_kill(&srv, SIGTERM);
	proc_finish(&srv, 10);
}

/* Everything it set up goes with the last limit that has an in-rate. */
static void assert_clean(struct peer *ns)
{
	char nsarg[64];

	snprintf(nsarg, sizeof(nsarg), "--net=/proc/%d/ns/net", (int)ns->pid);
	for (int i = 0; i < 50 && !sh("nsenter %s ip link show nlshape0 >/dev/null 2>&1", nsarg);
	     i++)
		msleep(100);
	ASSERT_TRUE(sh("nsenter %s ip link show nlshape0 >/dev/null 2>&1", nsarg) != 0,
		    "the shaper's pair is gone");
	ASSERT_EQ(sh("nsenter %s sh -c 'test -z \"$(tc filter show dev lo ingress)\"'", nsarg), 0,
		  "no filter left on loopback");
	ASSERT_EQ(sh("nsenter %s sh -c 'test -z \"$(tc qdisc show dev lo | grep clsact)\"'", nsarg),
		  0, "nor its clsact");
	ASSERT_EQ(sh("nsenter %s sh -c 'test \"$(cat /proc/sys/net/ipv4/conf/lo/route_localnet)"
		     "$(cat /proc/sys/net/ipv4/conf/lo/accept_local)\" = 00'",
		     nsarg),
		  0, "loopback's settings put back");
	ASSERT_EQ(hysteresis(), hyst_before, "HTB's hysteresis put back");
}

void test_shaper_tcp_loopback(void)
{
	struct peer ns;

	if (!require_root())
		return;
	if (!ASSERT_OK(peer_start(&ns, SH_HOST, SH_PEER, true), "a namespace"))
		goto out;
	tcp_case(&ns, "127.0.0.1", "40mbit", 5e6, 1, false);
	assert_clean(&ns);
	tcp_case(&ns, "::1", "200mbit", 25e6, 8, false);
	assert_clean(&ns);
out:
	peer_stop(&ns);
}

/* This side of the pair 10.79.0.1, the namespace's SH_ADDR, both up. */
static bool veth_up(const char *nsarg)
{
	return ASSERT_EQ(sh("ip addr add 10.79.0.1/24 dev " SH_HOST " && ip link set " SH_HOST
			    " up && nsenter %s sh -c 'ip addr add " SH_ADDR "/24 dev " SH_PEER
			    " && ip link set " SH_PEER " up'",
			    nsarg),
			 0, "the veth pair addressed");
}

void test_shaper_tcp_veth(void)
{
	struct peer ns;
	char nsarg[64];

	if (!require_root())
		return;
	if (!ASSERT_OK(peer_start(&ns, SH_HOST, SH_PEER, false), "a namespace"))
		goto out;
	snprintf(nsarg, sizeof(nsarg), "--net=/proc/%d/ns/net", (int)ns.pid);
	if (!veth_up(nsarg))
		goto out;
	tcp_case(&ns, SH_ADDR, "10mbit", 1.25e6, 1, true);
	tcp_case(&ns, SH_ADDR, "100mbit", 12.5e6, 8, true);
	assert_clean(&ns);
out:
	peer_stop(&ns);
}

void test_shaper_udp(void)
{
	struct proc srv, snd, p;
	struct peer ns;
	char nsarg[64];
	double got;

	if (!require_root())
		return;
	if (!ASSERT_OK(peer_start(&ns, SH_HOST, SH_PEER, false), "a namespace"))
		goto out;
	snprintf(nsarg, sizeof(nsarg), "--net=/proc/%d/ns/net", (int)ns.pid);
	if (!ASSERT_EQ(sh("nsenter %s true", nsarg), 0, "the namespace is there") ||
	    !ASSERT_OK(start_limited(&srv, &ns, "20mbit", "shu",
				     (char *[]){ traffic(), "udp-sink", "127.0.0.1", "47411", NULL }),
		       "a UDP sink under --in-rate"))
		goto out;
	msleep(300);
	proc_start(&snd, (char *[]){ "/usr/bin/nsenter", nsarg, traffic(), "udp-for", "127.0.0.1", "47411",
				     "14000", "1400", NULL });
	got = achieved("shu");
	fprintf(stderr, "    UDP flood: %.3f of the rate\n", got / 2.5e6);
	ASSERT_TRUE(got > 0.95 * 2.5e6 && got < 1.05 * 2.5e6, "UDP received within 5% of the rate");
	netlimit(&p, "show", "shu", "--json", NULL);
	ASSERT_EQ(J(p.out, "in_held_packets"), 0, "queued and dropped by the shaper, not policed");
	/* set, in the shaper's namespace, moves the class at once. */
	ASSERT_EQ(sh("nsenter %s env NETLIMIT_SHAPER=on %s set shu --in-rate=5mbit", nsarg,
		     bin("netlimit")),
		  0, "set --in-rate");
	got = achieved("shu");
	fprintf(stderr, "    after set: %.3f of the new rate\n", got / 6.25e5);
	ASSERT_TRUE(got > 0.95 * 6.25e5 && got < 1.05 * 6.25e5, "the new rate holds");
	proc_kill(&snd, SIGTERM);
	proc_finish(&snd, 20);
	proc_kill(&srv, SIGTERM);
	proc_finish(&srv, 10);
	assert_clean(&ns);
out:
	peer_stop(&ns);
}

/*
 * HTB's hysteresis that was on already is left on: the shaper's alias says
 * netlimit did not set it, and its teardown does not touch it.
 */
void test_shaper_hysteresis_kept(void)
{
	struct proc run;
	struct peer ns;
	char nsarg[64], was;

	if (!require_root())
		return;
	if (!ASSERT_OK(peer_start(&ns, SH_HOST, SH_PEER, false), "a namespace"))
		goto out;
	snprintf(nsarg, sizeof(nsarg), "--net=/proc/%d/ns/net", (int)ns.pid);
	if (!hyst_before)
		hyst_before = hysteresis();
	set_hysteresis('1');
	start_limited(&run, &ns, "10mbit", "hyk", (char *[]){ "/bin/sleep", "3", NULL });
	for (int i = 0; i < 50 && sh("nsenter %s ip link show nlshape0 >/dev/null 2>&1", nsarg);
	     i++)
		msleep(100);
	ASSERT_EQ(sh("nsenter %s ip link show nlshape0 | grep -q 'set htb_hysteresis=n'", nsarg), 0,
		  "the shaper's alias: hysteresis was on already");
	ASSERT_EQ(proc_finish(&run, 20), 0, "the run under --in-rate");
	was = hyst_before;
	hyst_before = '1';
	assert_clean(&ns);
	hyst_before = was;
	set_hysteresis(was);
out:
	peer_stop(&ns);
}

/* The p50 of nltraffic ping-pong's "rtt_us p50 X p99 Y", or -1. */
static double rtt_p50(const char *out)
{
	const char *at = strstr(out, "rtt_us p50 ");

	return at ? atof(at + strlen("rtt_us p50 ")) : -1;
}

/*
 * A download kept at its --in-rate leaves no standing queue in the limit's
 * class for its other connections to wait behind: a ping-pong beside it
 * stays within 5 ms of its round trip with nothing else going (its window
 * is held to the rate over the path's RTT plus a few ms: shape_window).
 */
void test_shaper_latency(void)
{
	struct proc echo = { 0 }, srv = { 0 }, idle, run;
	char nsarg[64], script[600];
	double p_idle, p_loaded;
	const char *got;
	struct peer ns;
	int port;

	if (!require_root())
		return;
	if (!ASSERT_OK(peer_start(&ns, SH_HOST, SH_PEER, false), "a namespace"))
		goto out;
	snprintf(nsarg, sizeof(nsarg), "--net=/proc/%d/ns/net", (int)ns.pid);
	if (!veth_up(nsarg))
		goto out;
	proc_start(&echo, (char *[]){ traffic(), "echo-serve", "10.79.0.1", NULL });
	port = printed_port(&echo);
	proc_start(&srv,
		   (char *[]){ "/usr/bin/iperf3", "-s", "-1", "-B", "10.79.0.1", "-p", "5311", NULL });
	if (!ASSERT_GT(port, 0, "an echo server"))
		goto stop;
	msleep(300);
	proc_run(&idle,
		 (char *[]){ "/usr/bin/nsenter", nsarg, traffic(), "ping-pong", "10.79.0.1", num(port),
			     "300", NULL },
		 30);
	p_idle = rtt_p50(idle.out);
	snprintf(script, sizeof(script),
		 "iperf3 -c 10.79.0.1 -p 5311 -R -t 4 >/dev/null & sleep 1.5; "
		 "%s ping-pong 10.79.0.1 %d 300; wait",
		 traffic(), port);
	start_limited(&run, &ns, "100mbit", "lat", (char *[]){ "/bin/sh", "-c", script, NULL });
	ASSERT_EQ(proc_finish(&run, 40), 0, "the download and the ping-pong under --in-rate");
	/* run's summary: "  in   BYTES ...": 4 s at 100 Mbit/s is 50 MB. */
	got = strstr(run.err, "\n  in ");
	ASSERT_GT(got ? strtoull(got + 5, NULL, 10) : 0, 30000000, "the download ran at the rate");
	p_loaded = rtt_p50(run.out);
	fprintf(stderr, "    ping-pong p50: %.1f us idle, %.1f us beside a download at the rate\n",
		p_idle, p_loaded);
	if (!ASSERT_TRUE(p_idle > 0 && p_loaded > 0, "both measured"))
		fprintf(stderr, "    idle: %s%s\n    loaded: %s%s\n", idle.out, idle.err, run.out,
			run.err);
	ASSERT_TRUE(p_loaded < p_idle + 5000, "within 5 ms of the idle round trip");
	assert_clean(&ns);
stop:
	if (echo.pid > 0) {
		proc_kill(&echo, SIGTERM);
		proc_finish(&echo, 10);
	}
	if (srv.pid > 0) {
		proc_kill(&srv, SIGTERM);
		proc_finish(&srv, 10);
	}
out:
	peer_stop(&ns);
}
