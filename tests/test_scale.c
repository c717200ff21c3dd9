// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Many limits at once. The default suite makes 1,000 of each kind tested
 * here; `make test-scale` sets NETLIMIT_TEST_SCALE=10000 for the full count.
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

static int scale(void)
{
	const char *s = getenv("NETLIMIT_TEST_SCALE");

	return s && atoi(s) > 0 ? atoi(s) : 1000;
}

/* Count the limits `list --json` shows (more than a struct proc holds). */
static int listed(void)
{
	char cmd[700], buf[65536 + 8];
	size_t keep = 0, got;
	int n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s list --json", bin("netlimit"));
	f = popen(cmd, "r");
	if (!f)
		return -1;
	/* Carry a few bytes across reads so a split "{"id": is still found. */
	while ((got = fread(buf + keep, 1, sizeof(buf) - 1 - keep, f)) > 0) {
		size_t len = keep + got;
		const char *c;

		buf[len] = '\0';
		for (c = buf; (c = strstr(c, "{\"id\":")); c++)
			n++;
		keep = len < 5 ? len : 5;
		memmove(buf, buf + len - keep, keep);
		/* Kept bytes cannot hold a whole match: no double count. */
	}
	pclose(f);
	return n;
}

void test_scale_many_limits(void)
{
	char cg[512], rel[64], sub[600], addr[32];
	int n = scale(), i, port, made = 0, subs = 0;
	struct proc p, snd;
	struct server *s;

	if (!require_root())
		return;
	snprintf(rel, sizeof(rel), "sc-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		return;
	/* n host limits on addresses nobody talks to, n cgroup limits on empty cgroups. */
	for (i = 0; i < n; i++) {
		snprintf(addr, sizeof(addr), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		netlimit(&p, "host", addr, "--out=1M", "--cgroup", cg, "-q", NULL);
		made += p.status == 0;
		snprintf(sub, sizeof(sub), "%s/c%d", cg, i);
		if (mkdir(sub, 0755))
			continue;
		subs++;
		netlimit(&p, "attach", "--cgroup", sub, "--out=1M", "-q", NULL);
		made += p.status == 0;
	}
	ASSERT_EQ(made, 2 * n, "every limit made");
	ASSERT_EQ(subs, n, "every cgroup made");
	ASSERT_EQ(listed(), 2 * n, "every limit listed");
	/* Among them, limits that do match still count to the byte. */
	s = udp_sink_at("127.0.0.2", &port);
	netlimit(&p, "host", "127.0.0.2", "--out=5000", "--cgroup", cg, "--name=hit", NULL);
	ASSERT_EQ(p.status, 0, "one more host limit");
	snprintf(sub, sizeof(sub), "%s/c0", cg);
	start_in_cgroup(&snd, sub,
			(char *[]){ traffic(), "udp", "127.0.0.2", num(port), "100", "72", NULL });
	proc_finish(&snd, 10);
	msleep(50);
	netlimit(&p, "show", "hit", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 5000, "the matching host limit, exact");
	ASSERT_EQ(server_msgs(s), 50, "server");
	/* And the cgroup limit of c0 counted the same bytes: id 2 is c0's. */
	netlimit(&p, "show", "2", "--json", NULL);
	ASSERT_HAS(p.out, "/c0\"", "limit 2 is c0's");
	ASSERT_EQ(J(p.out, "out_bytes"), 5000, "c0's limit: what passed");
	server_stop(s);
	/* Remove them all: every limit, then the dataplane. */
	for (i = 1; i <= 2 * n + 1; i++)
		netlimit(&p, "detach", num((unsigned)i), "-q", NULL);
	ASSERT_EQ(listed(), 0, "all removed");
	for (i = 0; i < n; i++) {
		snprintf(sub, sizeof(sub), "%s/c%d", cg, i);
		rmdir(sub);
	}
	rmdir(cg);
}

/* 200 processes of one cgroup, each under a limit of its own, each exact. */
void test_scale_pid_limits(void)
{
	enum { N = 200 };
	static struct proc procs[N];
	char cg[512], rel[64];
	struct server *s;
	struct proc p;
	int i, port, ok = 0;

	if (!require_root())
		return;
	snprintf(rel, sizeof(rel), "sp-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		return;
	s = udp_sink(AF_INET, &port);
	for (i = 0; i < N; i++)
		start_in_cgroup(&procs[i], cg,
				(char *[]){ traffic(), "udp-on-usr1", "127.0.0.1", num(port), "20",
					    "72", NULL });
	/* Limit i lets i % 10 + 1 datagrams of 100 L3 bytes through. */
	for (i = 0; i < N; i++) {
		char cap[32];

		snprintf(cap, sizeof(cap), "--out=%d", (i % 10 + 1) * 100);
		netlimit(&p, "attach", "--pid", num((unsigned)procs[i].pid), cap, "-q", NULL);
		ok += p.status == 0;
	}
	ASSERT_EQ(ok, N, "every pid limit made");
	for (i = 0; i < N; i++)
		kill(procs[i].pid, SIGUSR1);
	for (i = 0; i < N; i++)
		proc_finish(&procs[i], 20);
	msleep(100);
	ok = 0;
	for (i = 0; i < N; i++) {
		netlimit(&p, "show", num((unsigned)i + 1), "--json", NULL);
		ok += J(p.out, "out_bytes") == (unsigned long long)(i % 10 + 1) * 100 &&
		      J(p.out, "out_dropped_packets") == 20 - (unsigned long long)(i % 10 + 1);
	}
	ASSERT_EQ(ok, N, "each limit counted exactly its own process");
	ASSERT_EQ(server_msgs(s), (unsigned long long)N / 10 * 55, "server: the sum of the caps");
	for (i = 1; i <= N; i++)
		netlimit(&p, "detach", num((unsigned)i), "-q", NULL);
	server_stop(s);
	rmdir(cg);
}
