// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The meter: every socket's bytes, attributed to the process that created it
 * and to its cgroup, exactly (user/meter.c, bpf/dataplane.bpf.c).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "harness.h"
#include "cgroup.h"
#include "helpers.h"

static unsigned long long proc_out(const char *json, pid_t pid)
{
	unsigned long long v = 0;
	char anchor[32];

	snprintf(anchor, sizeof(anchor), "{\"pid\":%d,", (int)pid);
	if (!json_u64_after(json, anchor, "out_bytes", &v))
		test_fail_at(__FILE__, __LINE__, "no process %d in: %s", (int)pid, json);
	return v;
}

/*
 * slots: NETLIMIT_METER_SLOTS for the dataplane (NULL: all). With one slot,
 * every socket but one is counted on the slow path, and each release leaves
 * the slot closed for the next socket to take over.
 */
static void meter_attribution(const char *slots)
{
	char cg[512], rel[64], anchor[64];
	unsigned long long v = 0;
	__u64 cgid;
	struct proc p, a, b, f;
	struct server *s;
	pid_t child;
	int port;

	if (!require_root())
		return;
	snprintf(rel, sizeof(rel), "mt-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		return;
	if (slots)
		setenv("NETLIMIT_METER_SLOTS", slots, 1);
	netlimit(&p, "stat", NULL);
	ASSERT_EQ(p.status, 66, "stat with the meter off");
	ASSERT_HAS(p.err, "meter on", "says how to turn it on");
	netlimit(&p, "meter", "on", NULL);
	ASSERT_EQ(p.status, 0, "meter on");
	netlimit(&p, "meter", "status", "--json", NULL);
	ASSERT_EQ(J(p.out, "meter"), 1, "status says on");
	s = udp_sink(AF_INET, &port);
	/* Two processes of one cgroup, and one that forks: each its own bytes. */
	start_in_cgroup(&a, cg,
			(char *[]){ traffic(), "udp", "127.0.0.1", num(port), "30", "100", NULL });
	start_in_cgroup(&b, cg,
			(char *[]){ traffic(), "udp", "127.0.0.1", num(port), "70", "200", NULL });
	start_in_cgroup(
		&f, cg,
		(char *[]){ traffic(), "udp-fork", "127.0.0.1", num(port), "5", "50", NULL });
	proc_finish(&a, 10);
	proc_finish(&b, 10);
	proc_finish(&f, 10);
	child = (pid_t)atoi(strstr(f.out, "child ") ? strstr(f.out, "child ") + 6 : "0");
	ASSERT_GT(child, 0, "the forked child's pid");
	netlimit(&p, "stat", "--json", NULL);
	ASSERT_EQ(p.status, 0, "stat");
	ASSERT_EQ(proc_out(p.out, a.pid), 30 * 128, "first process: exactly its datagrams");
	ASSERT_EQ(proc_out(p.out, b.pid), 70 * 228, "second process: exactly its own");
	ASSERT_EQ(proc_out(p.out, f.pid), 5 * 78, "a parent: only its own socket");
	ASSERT_EQ(proc_out(p.out, child), 10 * 78, "its child: apart, under its own pid");
	/* The cgroup holds them all, also after the sockets closed. */
	if (ASSERT_OK(nl_cgroup_id(cg, &cgid), "cgroup id")) {
		snprintf(anchor, sizeof(anchor), "{\"cgroup_id\":%llu,", (unsigned long long)cgid);
		ASSERT_TRUE(json_u64_after(p.out, anchor, "out_bytes", &v), "cgroup listed");
		ASSERT_EQ(v, 30 * 128 + 70 * 228 + 15 * 78, "the cgroup: the sum, exactly");
	}
	netlimit(&p, "stat", NULL);
	ASSERT_HAS(p.out, rel, "the table names the cgroup by path");
	ASSERT_HAS(p.out, "nltraffic", "and the processes by command");
	/* A live connected socket is listed with its remote end and its own bytes. */
	start_in_cgroup(&a, cg,
			(char *[]){ traffic(), "udp", "127.0.0.1", num(port), "20", "100", "100000",
				    NULL });
	for (int i = 0; i < 100; i++) {
		char anchor2[64];

		netlimit(&p, "stat", "--json", NULL);
		snprintf(anchor2, sizeof(anchor2), "\"sockets\":[");
		snprintf(anchor, sizeof(anchor),
			 "{\"pid\":%d,\"comm\":\"nltraffic\",\"proto\":\"udp\"", (int)a.pid);
		if (strstr(p.out, anchor) && strstr(p.out, anchor2) &&
		    json_u64_after(strstr(p.out, anchor2), anchor, "out_bytes", &v) && v >= 3 * 128)
			break;
		msleep(20);
	}
	ASSERT_HAS(p.out, anchor, "the sender's socket is listed");
	snprintf(anchor, sizeof(anchor), "\"remote\":\"127.0.0.1\",\"remote_port\":%d", port);
	ASSERT_HAS(p.out, anchor, "with its remote address and port");
	ASSERT_EQ(v % 128, 0, "whole datagrams of 128 L3 bytes");
	proc_finish(&a, 10);
	netlimit(&p, "meter", "off", NULL);
	ASSERT_EQ(p.status, 0, "meter off");
	netlimit(&p, "meter", "status", "--json", NULL);
	ASSERT_EQ(J(p.out, "dataplane"), 0, "no limit, no meter: the dataplane is gone");
	netlimit(&p, "meter", "sideways", NULL);
	ASSERT_EQ(p.status, 64, "bad word");
	server_stop(s);
	unsetenv("NETLIMIT_METER_SLOTS");
	rmdir(cg);
}

void test_meter_attribution(void)
{
	meter_attribution(NULL);
}

void test_meter_attribution_one_slot(void)
{
	meter_attribution("1");
}

/* The meter's state from `meter status --json`: 0 off, 1 on, 2 on while views run. */
static int meter_state(void)
{
	struct proc p;

	netlimit(&p, "meter", "status", "--json", NULL);
	if (strstr(p.out, "\"meter_for_views\":true"))
		return 2;
	return strstr(p.out, "\"meter\":true") ? 1 : 0;
}

/* Until the meter is in state want, at most 3 s. */
static bool meter_becomes(int want)
{
	for (int i = 0; i < 100; i++) {
		if (meter_state() == want)
			return true;
		msleep(30);
	}
	return false;
}

/*
 * Views share the meter: the first turns it on, the last to end turns it
 * off, one that ends while another runs leaves it on (its counts go on), a
 * killed view does not keep it on past the others (nor past the next gc
 * when it was the last), and `meter on` while views run keeps it on after
 * them.
 */
void test_meter_views_share(void)
{
	char cg[512], rel[64];
	struct proc p, w1, w2, w3, s1;
	struct server *s;
	int port;

	if (!require_root())
		return;
	snprintf(rel, sizeof(rel), "mv-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		return;
	s = udp_sink(AF_INET, &port);
	ASSERT_EQ(meter_state(), 0, "off at first");
	netlimit_bg(&w1, "watch", "--above=1G", NULL);
	ASSERT_TRUE(meter_becomes(2), "the first view turned it on, for views");
	netlimit_bg(&w2, "watch", "--above=1G", NULL);
	msleep(300); /* w2 holds the views' lock */
	proc_kill(&w1, SIGTERM);
	ASSERT_EQ(w1.status, 0, "the first view ended");
	ASSERT_EQ(meter_state(), 2, "on: another view runs");
	/* What the second view sees goes on being counted. */
	start_in_cgroup(&s1, cg,
			(char *[]){ traffic(), "udp", "127.0.0.1", num(port), "25", "100", NULL });
	proc_finish(&s1, 10);
	netlimit(&p, "stat", "--json", NULL);
	ASSERT_EQ(proc_out(p.out, s1.pid), 25 * 128, "a sender after the first view ended: counted");
	/* A view killed outright holds nothing after its death. */
	netlimit_bg(&w3, "watch", "--above=1G", NULL);
	msleep(300);
	proc_kill(&w3, SIGKILL);
	proc_kill(&w2, SIGTERM);
	ASSERT_EQ(meter_state(), 0, "the last view ended: off");
	netlimit(&p, "meter", "status", "--json", NULL);
	ASSERT_HAS(p.out, "\"dataplane\":false", "and the dataplane gone with it");
	/* The last view killed: on until the next gc (any limit's making or removal, `gc`). */
	netlimit_bg(&w1, "watch", "--above=1G", NULL);
	ASSERT_TRUE(meter_becomes(2), "on for the view");
	proc_kill(&w1, SIGKILL);
	ASSERT_EQ(meter_state(), 2, "still on: nothing ended the killed view");
	netlimit(&p, "gc", NULL);
	ASSERT_EQ(meter_state(), 0, "gc: no view lives, off");
	netlimit(&p, "meter", "status", "--json", NULL);
	ASSERT_HAS(p.out, "\"dataplane\":false", "and the dataplane gone");
	/* `meter on` while a view runs: the machine's meter from then on. */
	netlimit_bg(&w1, "watch", "--above=1G", NULL);
	ASSERT_TRUE(meter_becomes(2), "on for the view");
	netlimit(&p, "meter", "on", NULL);
	ASSERT_EQ(p.status, 0, "meter on");
	proc_kill(&w1, SIGTERM);
	ASSERT_EQ(meter_state(), 1, "on after the view: `meter on` asked for it");
	netlimit(&p, "meter", "status", NULL);
	ASSERT_HAS(p.out, "meter on;", "status says on");
	netlimit(&p, "meter", "off", NULL);
	ASSERT_EQ(meter_state(), 0, "off");
	server_stop(s);
	rmdir(cg);
}

/* Entries of the dataplane's nl_sk_extra with remote port port, as bpftool dumps them. */
static int extra_entries(int port)
{
	char cmd[600], line[512], want[32];
	int n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "bpftool map dump pinned %s/dp/sk_extra", test_state_dir());
	snprintf(want, sizeof(want), "\"rport\": %d,", port);
	f = popen(cmd, "r");
	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, want) != NULL;
	if (f)
		pclose(f);
	return n;
}

/*
 * Sockets the slots have no room for (one slot here): each in nl_sk_extra
 * with its owner and peer (bpftool shows the fields), exactly counted by
 * the views without walking the socket tables, the same as by the walk; at
 * release their bytes stay in the totals and the entries go a second later.
 */
void test_meter_extra(void)
{
	char cg[512], rel[64], anchor[96];
	unsigned long long v = 0, w = 0;
	struct proc p, h;
	struct server *s;
	int port;

	if (!require_root())
		return;
	snprintf(rel, sizeof(rel), "mx-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		return;
	setenv("NETLIMIT_METER_SLOTS", "1", 1);
	netlimit(&p, "meter", "on", NULL);
	ASSERT_EQ(p.status, 0, "meter on");
	s = udp_sink(AF_INET, &port);
	start_in_cgroup(&h, cg, (char *[]){ traffic(), "sockets", "127.0.0.1", num(port), "6", NULL });
	for (int i = 0; i < 100 && server_msgs(s) < 6; i++)
		msleep(20);
	ASSERT_EQ(server_msgs(s), 6, "six datagrams, one a socket");
	ASSERT_TRUE(extra_entries(port) >= 5, "five or six sockets in nl_sk_extra, with their peer");
	netlimit(&p, "stat", "--json", NULL);
	ASSERT_EQ(proc_out(p.out, h.pid), 6 * 29, "from the maps: six datagrams of 29 L3 bytes");
	netlimit(&p, "top", "--json", "--once", "--view=hosts", NULL);
	snprintf(anchor, sizeof(anchor), "\"name\":\"127.0.0.1\"");
	ASSERT_TRUE(json_u64_after(p.out, anchor, "out_bytes", &v), "the host listed");
	setenv("NETLIMIT_METER_WALK", "1", 1);
	netlimit(&p, "top", "--json", "--once", "--view=hosts", NULL);
	unsetenv("NETLIMIT_METER_WALK");
	ASSERT_TRUE(json_u64_after(p.out, anchor, "out_bytes", &w), "the host, walked");
	ASSERT_EQ(v, w, "the same bytes to the host, read from the maps or walked");
	ASSERT_TRUE(v >= 6 * 29, "and at least the six datagrams");
	proc_kill(&h, SIGTERM);
	msleep(1500);
	ASSERT_EQ(extra_entries(port), 0, "released: the entries gone after their linger");
	netlimit(&p, "stat", "--json", NULL);
	ASSERT_EQ(proc_out(p.out, h.pid), 6 * 29, "and their bytes in the process's totals");
	netlimit(&p, "meter", "off", NULL);
	server_stop(s);
	unsetenv("NETLIMIT_METER_SLOTS");
	rmdir(cg);
}
