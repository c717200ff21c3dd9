// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Several limits on one packet: it passes only if every one accepts it; each
 * counts only what passed; what was refused is dropped by the refusing limit
 * alone. Real traffic, every figure to the byte. BPF_PROG_TEST_RUN cases of
 * the same rule are in test_bpf.c (test_bpf_chain).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "harness.h"
#include "helpers.h"

/* The first JSON line of text (the inner run's summary, before the outer's). */
static char *first_json(const char *text, char *buf, size_t len)
{
	const char *p = strchr(text, '{');
	size_t n;

	if (!p)
		return NULL;
	n = strcspn(p, "\n");
	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

/* The case: an outer cap that a run inside a run must not disturb. */
void test_overlap_run_in_run(void)
{
	char inner[4096];
	struct server *s;
	struct proc p;
	int port;

	if (!require_root())
		return;
	s = udp_sink(AF_INET, &port);
	if (!ASSERT_TRUE(s, "sink"))
		return;
	netlimit(&p, "run", "--out=10M", "--on-limit=block", "--json", "--",
		 (char *)bin("netlimit"), "run", "--out=100K", "--on-limit=block", "--json", "--",
		 traffic(), "udp", "127.0.0.1", num(port), "1000", "1000", NULL);
	ASSERT_EQ(p.status, 0, "both ran");
	if (!ASSERT_TRUE(first_json(p.err, inner, sizeof(inner)), "inner summary"))
		goto out;
	/* 1,028 L3 bytes a datagram: 99 fit in 100 KiB. */
	ASSERT_EQ(J(inner, "out_bytes"), 99 * 1028, "inner: what fits its cap");
	ASSERT_EQ(J(inner, "out_dropped_packets"), 901, "inner: the rest dropped");
	ASSERT_EQ(J(inner, "out_dropped_bytes"), 901 * 1028, "inner: dropped bytes");
	ASSERT_EQ(J(p.err, "out_bytes"), 99 * 1028, "outer: exactly what passed");
	ASSERT_EQ(J(p.err, "out_dropped_packets"), 0, "outer: dropped nothing itself");
	msleep(50);
	ASSERT_EQ(server_msgs(s), 99, "the server got what both counted");
out:
	server_stop(s);
}

/* A process limit on a process inside a limited cgroup. */
void test_overlap_pid_in_cgroup(void)
{
	char cg[512], rel[64], go[64], gofile[72];
	struct proc p, snd;
	struct server *s;
	int port;

	if (!require_root())
		return;
	snprintf(rel, sizeof(rel), "ov-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		return;
	s = udp_sink(AF_INET, &port);
	netlimit(&p, "attach", "--cgroup", cg, "--out=1M", "--name=outer", NULL);
	ASSERT_EQ(p.status, 0, "cgroup limit");
	/* The sender forks its traffic once the pid limit is attached. */
	snprintf(go, sizeof(go), "/tmp/nl-go-%d", (int)getpid());
	snprintf(gofile, sizeof(gofile), "@%s", go);
	unlink(go);
	start_in_cgroup(&snd, cg,
			(char *[]){ traffic(), "fork-after", gofile, traffic(), "udp", "127.0.0.1",
				    num(port), "100", "72", NULL });
	netlimit(&p, "attach", "--pid", num((unsigned)snd.pid), "--out=3000", "--name=inner", NULL);
	ASSERT_EQ(p.status, 0, "pid limit");
	sh("touch %s", go);
	proc_finish(&snd, 10);
	msleep(50);
	netlimit(&p, "show", "inner", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 3000, "pid limit: its cap");
	ASSERT_EQ(J(p.out, "out_dropped_packets"), 70, "pid limit: dropped the rest");
	netlimit(&p, "show", "outer", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 3000, "cgroup limit: only what passed");
	ASSERT_EQ(J(p.out, "out_dropped_packets"), 0, "cgroup limit: dropped nothing");
	ASSERT_EQ(server_msgs(s), 30, "server");
	netlimit(&p, "detach", "inner", NULL);
	netlimit(&p, "detach", "outer", NULL);
	server_stop(s);
	unlink(go);
	rmdir(cg);
}

/* A host limit and a run limit on the same packets. */
void test_overlap_host_and_run(void)
{
	char parent[512];
	struct server *s;
	struct proc p, h;
	int port;

	if (!require_root())
		return;
	test_cgroup_parent(parent, sizeof(parent));
	mkdir(parent, 0755);
	s = udp_sink_at("127.0.0.2", &port);
	netlimit(&h, "host", "127.0.0.2", "--out=5000", "--cgroup", parent, "--name=hr", NULL);
	ASSERT_EQ(h.status, 0, "host limit on the runs' cgroups");
	netlimit(&p, "run", "--out=1M", "--on-limit=block", "--json", "--", traffic(), "udp",
		 "127.0.0.2", num(port), "100", "72", NULL);
	ASSERT_EQ(p.status, 0, "run");
	ASSERT_EQ(J(p.err, "out_bytes"), 5000, "run: only what the host limit let pass");
	ASSERT_EQ(J(p.err, "out_dropped_packets"), 0, "run: dropped nothing itself");
	netlimit(&h, "show", "hr", "--json", NULL);
	ASSERT_EQ(J(h.out, "out_bytes"), 5000, "host: its cap");
	ASSERT_EQ(J(h.out, "out_dropped_packets"), 50, "host: dropped the rest");
	msleep(50);
	ASSERT_EQ(server_msgs(s), 50, "server");
	netlimit(&h, "detach", "hr", NULL);
	server_stop(s);
}

/* Nested prefixes: the /8 and the /32 inside it both count a packet to .2. */
void test_overlap_nested_hosts(void)
{
	char cg[512], rel[64];
	struct server *a, *b;
	struct proc p, snd;
	int pa, pb;

	if (!require_root())
		return;
	snprintf(rel, sizeof(rel), "nh-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		return;
	a = udp_sink_at("127.0.0.2", &pa);
	b = udp_sink_at("127.0.0.1", &pb);
	netlimit(&p, "host", "127.0.0.2", "--out=5000", "--cgroup", cg, "--name=h32", NULL);
	ASSERT_EQ(p.status, 0, "/32");
	netlimit(&p, "host", "127.0.0.0/8", "--out=3000", "--cgroup", cg, "--name=h8", NULL);
	ASSERT_EQ(p.status, 0, "/8 around it");
	start_in_cgroup(&snd, cg,
			(char *[]){ traffic(), "udp", "127.0.0.2", num(pa), "100", "72", NULL });
	proc_finish(&snd, 10);
	msleep(50);
	netlimit(&p, "show", "h8", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 3000, "/8: its cap");
	ASSERT_EQ(J(p.out, "out_dropped_packets"), 70, "/8: refused the rest");
	netlimit(&p, "show", "h32", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 3000, "/32: only what passed");
	ASSERT_EQ(J(p.out, "out_dropped_packets"), 0, "/32: refused nothing");
	ASSERT_EQ(server_msgs(a), 30, ".2 got what both allowed");
	/* Other addresses of the /8 meet its cap alone; the /32 sees none of them. */
	netlimit(&p, "set", "h8", "--out=4000", NULL);
	start_in_cgroup(&snd, cg,
			(char *[]){ traffic(), "udp", "127.0.0.1", num(pb), "20", "72", NULL });
	proc_finish(&snd, 10);
	msleep(50);
	netlimit(&p, "show", "h8", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 4000, "/8 raised: 10 more passed");
	netlimit(&p, "show", "h32", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 3000, "/32 untouched");
	ASSERT_EQ(server_msgs(b), 10, ".1");
	/* The /32 goes; the /8 keeps counting .2 alone. */
	netlimit(&p, "detach", "h32", NULL);
	ASSERT_EQ(p.status, 0, "detach /32");
	netlimit(&p, "set", "h8", "--out=5000", NULL);
	start_in_cgroup(&snd, cg,
			(char *[]){ traffic(), "udp", "127.0.0.2", num(pa), "20", "72", NULL });
	proc_finish(&snd, 10);
	msleep(50);
	netlimit(&p, "show", "h8", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 5000, "/8 alone");
	ASSERT_EQ(server_msgs(a), 40, ".2: 10 more");
	netlimit(&p, "detach", "h8", NULL);
	server_stop(a);
	server_stop(b);
	rmdir(cg);
}

/*
 * One address limited inside prefixes limited before it: its entry takes
 * theirs from the trie, not from a walk of every limit (user/limit.c).
 */
void test_overlap_address_inside_prefixes(void)
{
	char cg[512], rel[64];
	struct server *a;
	struct proc p, snd;
	int pa;

	if (!require_root())
		return;
	snprintf(rel, sizeof(rel), "ai-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		return;
	a = udp_sink_at("127.0.0.2", &pa);
	netlimit(&p, "host", "127.0.0.0/8", "--out=3000", "--cgroup", cg, "--name=a8", NULL);
	ASSERT_EQ(p.status, 0, "/8");
	netlimit(&p, "host", "127.0.0.0/16", "--out=4000", "--cgroup", cg, "--name=a16", NULL);
	ASSERT_EQ(p.status, 0, "/16 inside it");
	netlimit(&p, "host", "127.0.0.2", "--out=5000", "--cgroup", cg, "--name=a32", NULL);
	ASSERT_EQ(p.status, 0, "/32 inside both");
	netlimit(&p, "host", "127.0.0.2", "--out=6000", "--cgroup", cg, "--name=a32b", NULL);
	ASSERT_EQ(p.status, 0, "a second /32 on the same address");
	start_in_cgroup(&snd, cg,
			(char *[]){ traffic(), "udp", "127.0.0.2", num(pa), "100", "72", NULL });
	proc_finish(&snd, 10);
	msleep(50);
	netlimit(&p, "show", "a8", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 3000, "/8: its cap");
	ASSERT_EQ(J(p.out, "out_dropped_packets"), 70, "/8: refused the rest");
	netlimit(&p, "show", "a16", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 3000, "/16: what the /8 let pass");
	netlimit(&p, "show", "a32", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 3000, "/32: what the /8 let pass");
	netlimit(&p, "show", "a32b", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 3000, "second /32: the same");
	ASSERT_EQ(server_msgs(a), 30, ".2 got what all allowed");
	/* The /8 and one /32 go: the /16 and the other /32 keep counting. */
	netlimit(&p, "detach", "a8", NULL);
	ASSERT_EQ(p.status, 0, "detach /8");
	netlimit(&p, "detach", "a32", NULL);
	ASSERT_EQ(p.status, 0, "detach one /32");
	start_in_cgroup(&snd, cg,
			(char *[]){ traffic(), "udp", "127.0.0.2", num(pa), "20", "72", NULL });
	proc_finish(&snd, 10);
	msleep(50);
	netlimit(&p, "show", "a16", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 4000, "/16: its cap, alone above");
	netlimit(&p, "show", "a32b", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 4000, "second /32: what the /16 let pass");
	ASSERT_EQ(server_msgs(a), 40, ".2: 10 more");
	netlimit(&p, "detach", "a16", NULL);
	netlimit(&p, "detach", "a32b", NULL);
	server_stop(a);
	rmdir(cg);
}

/* Two pid limits on one process, the first detached: the second still holds. */
void test_overlap_pid_after_detached_pid(void)
{
	struct server *s;
	struct proc p, snd;
	int port;

	if (!require_root())
		return;
	s = udp_sink(AF_INET, &port);
	/* The socket is made after both tags: it carries [first, second]. */
	proc_start(&snd, (char *[]){ traffic(), "udp-on-usr1", "127.0.0.1", num(port), "100", "72",
				     NULL });
	msleep(100);
	netlimit(&p, "attach", "--pid", num((unsigned)snd.pid), "--out=1G", "--name=first", NULL);
	ASSERT_EQ(p.status, 0, "first pid limit");
	netlimit(&p, "attach", "--pid", num((unsigned)snd.pid), "--out=3000", "--name=second",
		 NULL);
	ASSERT_EQ(p.status, 0, "second pid limit");
	netlimit(&p, "detach", "first", NULL);
	ASSERT_EQ(p.status, 0, "the first goes");
	kill(snd.pid, SIGUSR1);
	proc_finish(&snd, 10);
	msleep(50);
	netlimit(&p, "show", "second", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 3000,
		  "the second still caps: a gone tag is no end of list");
	ASSERT_EQ(server_msgs(s), 30, "server");
	netlimit(&p, "detach", "second", NULL);
	server_stop(s);
}
