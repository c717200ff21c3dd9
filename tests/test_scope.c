// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Limits scoped by remote address: prefix parsing, --only/--exclude, host limits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "harness.h"
#include "helpers.h"
#include "prefix.h"

void test_prefix_parse(void)
{
	static const struct {
		const char *in;
		int family;
		unsigned int len;
	} ok[] = {
		{ "192.0.2.0/24", AF_INET, 24 }, { "2001:db8::/32", AF_INET6, 32 },
		{ "10.0.0.1", AF_INET, 32 },	 { "::1", AF_INET6, 128 },
		{ "0.0.0.0/0", AF_INET, 0 },	 { "::/0", AF_INET6, 0 },
	};
	static const struct {
		const char *in, *why;
	} bad[] = {
		{ "10.0.0.1/8", "host bits" },	   { "10.0.0.0/33", "too long for IPv4" },
		{ "::/129", "too long for IPv6" }, { "1.2.3", "not an IPv4 or IPv6" },
		{ "10.0.0.0/", "not a number" },   { "10.0.0.0/x", "not a number" },
		{ "/8", "not an IPv4 or IPv6" },   { "example.com", "not an IPv4 or IPv6" },
		{ "10.0.0.0/-1", "not a number" }, { "::ffff:10.0.0.0/104", "IPv4-mapped" },
	};
	struct nl_prefix p, v[8];
	char err[200], buf[64];
	const char *why;
	size_t i, n;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (!ASSERT_OK(nl_parse_prefix(ok[i].in, &p, &why), ok[i].in))
			continue;
		ASSERT_EQ(p.family, ok[i].family, ok[i].in);
		ASSERT_EQ(p.len, ok[i].len, ok[i].in);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (ASSERT_ERR(nl_parse_prefix(bad[i].in, &p, &why), bad[i].in))
			ASSERT_HAS(why, bad[i].why, bad[i].in);
	}
	ASSERT_ERR(nl_parse_prefixes("10.0.0.0/8,10.1.0.0/16", v, 8, &n, err, sizeof(err)),
		   "overlap");
	ASSERT_HAS(err, "10.1.0.0/16 overlaps 10.0.0.0/8", "names both");
	ASSERT_ERR(nl_parse_prefixes("2001:db8::/32,2001:db8:1::/48", v, 8, &n, err, sizeof(err)),
		   "v6 overlap");
	ASSERT_OK(nl_parse_prefixes("10.0.0.0/8,11.0.0.0/8,2001:db8::/32", v, 8, &n, err,
				    sizeof(err)),
		  "disjoint");
	ASSERT_EQ(n, 3, "three prefixes");
	ASSERT_EQ(nl_prefix_keylen(&v[0]), 104, "IPv4 key length is +96");
	ASSERT_STREQ(nl_format_prefix(&v[2], buf, sizeof(buf)), "2001:db8::/32", "format");
	ASSERT_ERR(nl_parse_prefixes("10.0.0.0/8,", v, 8, &n, err, sizeof(err)), "trailing comma");
	ASSERT_ERR(nl_parse_prefixes(",10.0.0.0/8", v, 8, &n, err, sizeof(err)), "leading comma");
	ASSERT_ERR(nl_parse_prefixes("", v, 8, &n, err, sizeof(err)), "empty");
}

/* Datagrams to two addresses; only the ones in scope count, exactly. */
static void scope_exact(const char *in, const char *outside, unsigned int overhead)
{
	unsigned long long per = 72 + overhead;
	struct server *a, *b;
	struct proc p;
	char cmd[2048], only[64];
	int pa, pb;

	a = udp_sink_at(in, &pa);
	b = udp_sink_at(outside, &pb);
	if (!ASSERT_TRUE(a && b, "sinks"))
		goto out;
	snprintf(cmd, sizeof(cmd), "%s udp %s %d 50 72 && %s udp %s %d 100 72", bin("nltraffic"),
		 in, pa, bin("nltraffic"), outside, pb);
	snprintf(only, sizeof(only), "--only=%s", in);
	netlimit(&p, "run", only, "--limit=1G", "--json", "--", "/bin/sh", "-c", cmd, NULL);
	ASSERT_EQ(p.status, 0, "run --only");
	ASSERT_EQ(J(p.err, "out_bytes"), 50 * per, "--only counts only its prefix, exactly");
	ASSERT_EQ(J(p.err, "out_packets"), 50, "packets");

	snprintf(only, sizeof(only), "--exclude=%s", in);
	netlimit(&p, "run", only, "--limit=1G", "--json", "--", "/bin/sh", "-c", cmd, NULL);
	ASSERT_EQ(p.status, 0, "run --exclude");
	ASSERT_EQ(J(p.err, "out_bytes"), 100 * per, "--exclude counts all but its prefix");

	/* A cap on the scope leaves the rest alone. */
	snprintf(only, sizeof(only), "--only=%s", in);
	server_stop(a);
	server_stop(b);
	a = udp_sink_at(in, &pa);
	b = udp_sink_at(outside, &pb);
	snprintf(cmd, sizeof(cmd), "%s udp %s %d 50 72 && %s udp %s %d 100 72", bin("nltraffic"),
		 in, pa, bin("nltraffic"), outside, pb);
	netlimit(&p, "run", only, "--out", num(10 * per), "--on-limit=block", "--json", "--",
		 "/bin/sh", "-c", cmd, NULL);
	msleep(50);
	ASSERT_EQ(J(p.err, "out_bytes"), 10 * per, "capped within the scope");
	ASSERT_EQ(server_msgs(a), 10, "10 got through to the capped prefix");
	ASSERT_EQ(server_msgs(b), 100, "the rest went untouched");
out:
	server_stop(a);
	server_stop(b);
}

void test_scope_v4_only_exclude(void)
{
	if (!require_root())
		return;
	scope_exact("127.0.0.2", "127.0.0.1", 28);
}

void test_scope_v6_only_exclude(void)
{
	if (!require_root())
		return;
	if (!ASSERT_OK(sh("ip -6 addr add fd00::2/128 dev lo nodad"), "second v6 address"))
		return;
	scope_exact("fd00::2", "::1", 48);
}

void test_host_limit_two_processes(void)
{
	char parent[384], cg[512], cmd[2048];
	struct proc p, q1, q2;
	struct server *a, *b;
	int pa, pb;

	if (!require_root())
		return;
	test_cgroup_parent(parent, sizeof(parent));
	mkdir(parent, 0755);
	snprintf(cg, sizeof(cg), "%.384s/host-%d", parent, (int)getpid());
	if (!ASSERT_OK(mkdir(cg, 0755) ? -errno : 0, "cgroup"))
		return;
	a = udp_sink_at("127.0.0.2", &pa);
	b = udp_sink_at("127.0.0.1", &pb);
	netlimit(&p, "host", "127.0.0.2", "--out=5000", "--cgroup", cg, "--name=h2", NULL);
	ASSERT_EQ(p.status, 0, "host limit");
	/* Two processes, started apart, both in the cgroup, both talking to the host. */
	snprintf(cmd, sizeof(cmd),
		 "echo $$ > %s/cgroup.procs && %s udp 127.0.0.2 %d 100 72 && %s udp 127.0.0.1 %d "
		 "100 72",
		 cg, bin("nltraffic"), pa, bin("nltraffic"), pb);
	proc_start(&q1, (char *[]){ "/bin/sh", "-c", cmd, NULL });
	proc_start(&q2, (char *[]){ "/bin/sh", "-c", cmd, NULL });
	proc_finish(&q1, 10);
	proc_finish(&q2, 10);
	msleep(50);
	netlimit(&p, "show", "h2", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 5000, "one cap for both processes, exactly");
	ASSERT_EQ(J(p.out, "out_dropped_packets"), 150, "the rest of both dropped");
	ASSERT_HAS(p.out, "\"kind\":\"host\"", "kind");
	ASSERT_EQ(server_msgs(a), 50, "the host got exactly the cap");
	ASSERT_EQ(server_msgs(b), 200, "other addresses untouched");
	/* A host limit around it is allowed: both count (test_overlap.c checks the bytes). */
	netlimit(&p, "host", "127.0.0.0/8", "--limit=1G", "--cgroup", cg, "--name=h8", NULL);
	ASSERT_EQ(p.status, 0, "nested prefix accepted");
	netlimit(&p, "detach", "h8", NULL);
	ASSERT_EQ(p.status, 0, "detach the outer one");
	netlimit(&p, "host", "127.0.0.0/33", "--limit=1G", "--cgroup", cg, NULL);
	ASSERT_EQ(p.status, 64, "malformed prefix");
	ASSERT_HAS(p.err, "too long for IPv4", "says so");
	netlimit(&p, "detach", "h2", NULL);
	ASSERT_EQ(p.status, 0, "detach");
	server_stop(a);
	server_stop(b);
	rmdir(cg);
}

void test_scope_refusals(void)
{
	struct proc p;

	if (!require_root())
		return;
	netlimit(&p, "run", "--only=10.0.0.1/8", "--limit=1M", "--", "true", NULL);
	ASSERT_EQ(p.status, 64, "host bits");
	ASSERT_HAS(p.err, "host bits set", "says so");
	netlimit(&p, "run", "--only=10.0.0.0/8", "--only=10.2.0.0/16", "--limit=1M", "--", "true",
		 NULL);
	ASSERT_EQ(p.status, 64, "overlap across options");
	netlimit(&p, "run", "--only=10.0.0.0/8", "--exclude=::1", "--limit=1M", "--", "true", NULL);
	ASSERT_EQ(p.status, 64, "only and exclude");
	ASSERT_HAS(p.err, "not both", "says so");
	netlimit(&p, "attach", "--pid=1234", "--exclude=2001:db8::/129", "--limit=1M", NULL);
	ASSERT_EQ(p.status, 64, "too long");
	netlimit(&p, "run", "--count=bits", "--limit=1M", "--", "true", NULL);
	ASSERT_EQ(p.status, 64, "--count");
}
