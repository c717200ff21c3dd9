// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * What an adversarial tester broke, kept broken no more: cgroup paths taken
 * whole and canonical (empty, '.', '..', symlinks, too long), IPv4 and IPv6
 * kept apart in scopes, a zombie that must not keep a limit alive, an old
 * owner that must not remove a newer limit on a reused id.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "harness.h"
#include "helpers.h"

void test_hardening_cgroup_paths(void)
{
	char cg[512], rel[64], link[600], longp[700], up[600];
	struct proc p;
	size_t n;

	if (!require_root())
		return;
	snprintf(rel, sizeof(rel), "hp-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		return;
	netlimit(&p, "attach", "--cgroup=", "--limit=1M", NULL);
	ASSERT_EQ(p.status, 64, "empty --cgroup refused");
	ASSERT_HAS(p.err, "is empty", "says so");
	netlimit(&p, "host", "127.0.0.9", "--limit=1M", "--cgroup=", NULL);
	ASSERT_EQ(p.status, 64, "host: empty --cgroup refused");
	/* '.' and '..' that land on the root name the whole machine: refused unless '/'. */
	snprintf(up, sizeof(up), "%s/../../..", cg);
	netlimit(&p, "attach", "--cgroup", up, "--limit=1M", NULL);
	ASSERT_EQ(p.status, 64, "a path that resolves to the root");
	ASSERT_HAS(p.err, "spell it '/'", "says how to mean it");
	netlimit(&p, "attach", "--cgroup=.", "--limit=1M", NULL);
	ASSERT_EQ(p.status, 64, "'.' is the root too");
	/* A symlink is stored as the cgroup it points to. */
	snprintf(link, sizeof(link), "/tmp/nl-cglink-%d", (int)getpid());
	unlink(link);
	if (ASSERT_OK(symlink(cg, link) ? -errno : 0, "symlink")) {
		netlimit(&p, "attach", "--cgroup", link, "--limit=1M", "--name=viaLink", "--json",
			 NULL);
		ASSERT_EQ(p.status, 0, "attach through a symlink");
		ASSERT_HAS(p.out, rel, "the target is the real cgroup");
		unlink(link);
		netlimit(&p, "gc", NULL);
		netlimit(&p, "show", "viaLink", NULL);
		ASSERT_EQ(p.status, 0, "the link gone, the limit stays: its cgroup is there");
		netlimit(&p, "detach", "viaLink", NULL);
	}
	/* A path too long to keep whole is refused, not cut. */
	n = (size_t)snprintf(longp, sizeof(longp), "%s", cg);
	while (n < 300)
		n += (size_t)snprintf(longp + n, sizeof(longp) - n, "/x");
	netlimit(&p, "attach", "--cgroup", longp, "--limit=1M", NULL);
	ASSERT_TRUE(p.status == 64 || p.status == 66, "too long: refused");
	ASSERT_FALSE(strstr(p.err, "attached"), "nothing attached");
	netlimit(&p, "attach", "--cgroup", "/etc", "--limit=1M", NULL);
	ASSERT_EQ(p.status, 64, "not a cgroup");
	ASSERT_HAS(p.err, "not below the cgroup2 mount", "says so");
	netlimit(&p, "list", "--json", NULL);
	ASSERT_STREQ(p.out, "[]\n", "no limit was left by any refusal");
	rmdir(cg);
}

/* ::/0 holds no IPv4 address, and 0.0.0.0/0 no IPv6 one. */
void test_hardening_families_apart(void)
{
	struct server *s4, *s6;
	struct proc p;
	int p4, p6;

	if (!require_root())
		return;
	s4 = udp_sink(AF_INET, &p4);
	s6 = udp_sink(AF_INET6, &p6);
	netlimit(&p, "run", "--only=::/0", "--out=1G", "--json", "--", traffic(), "udp",
		 "127.0.0.1", num(p4), "10", "72", NULL);
	ASSERT_EQ(p.status, 0, "run");
	ASSERT_EQ(J(p.err, "out_bytes"), 0, "--only=::/0 counts no IPv4 byte");
	netlimit(&p, "run", "--exclude=::/0", "--out=500", "--on-limit=block", "--json", "--",
		 traffic(), "udp", "127.0.0.1", num(p4), "10", "72", NULL);
	ASSERT_EQ(J(p.err, "out_bytes"), 500, "--exclude=::/0 does not exempt IPv4");
	netlimit(&p, "run", "--only=0.0.0.0/0,::/0", "--out=1G", "--json", "--", traffic(), "udp",
		 "::1", num(p6), "10", "72", NULL);
	ASSERT_EQ(p.status, 0, "one prefix of each family is no overlap");
	ASSERT_EQ(J(p.err, "out_bytes"), 10 * 120, "and IPv6 counts under ::/0");
	netlimit(&p, "run", "--only=0.0.0.0/0", "--out=1G", "--json", "--", traffic(), "udp",
		 "::1", num(p6), "10", "72", NULL);
	ASSERT_EQ(J(p.err, "out_bytes"), 0, "0.0.0.0/0 counts no IPv6 byte");
	server_stop(s4);
	server_stop(s6);
}

/* A zombie child (exited, not reaped) tagged with its parent must not keep the limit alive. */
void test_hardening_zombie(void)
{
	struct proc z, p;

	if (!require_root())
		return;
	/* sh starts `true`, then becomes `sleep`, which never reaps it: a zombie child. */
	proc_start(&z, (char *[]){ "/bin/sh", "-c", "true & exec sleep 1", NULL });
	msleep(200);
	netlimit(&p, "attach", "--pid", num((unsigned)z.pid), "--limit=1M", "--name=zz", NULL);
	ASSERT_EQ(p.status, 0, "attach to the parent, zombie child and all");
	netlimit(&p, "show", "zz", "--json", NULL);
	ASSERT_EQ(J(p.out, "tasks"), 1, "the zombie is not counted alive");
	proc_finish(&z, 10);
	netlimit(&p, "gc", NULL);
	netlimit(&p, "list", "--json", NULL);
	ASSERT_STREQ(p.out, "[]\n", "the limit went with its last process");
}

/* A run whose limit was detached must not remove the limit that takes over its id. */
void test_hardening_id_reuse(void)
{
	char cg[512], rel[64];
	struct proc r, p;

	if (!require_root())
		return;
	snprintf(rel, sizeof(rel), "ir-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		return;
	netlimit_bg(&r, "run", "--limit=1M", "--name=old", "--", traffic(), "sleep", "1500", NULL);
	for (int i = 0; i < 200; i++) {
		netlimit(&p, "show", "old", NULL);
		if (p.status == 0)
			break;
		msleep(10);
	}
	netlimit(&p, "detach", "old", NULL);
	ASSERT_EQ(p.status, 0, "detach the run's limit");
	netlimit(&p, "attach", "--cgroup", cg, "--limit=1M", "--name=new", NULL);
	ASSERT_EQ(p.status, 0, "a new limit");
	proc_finish(&r, 20);
	netlimit(&p, "show", "new", NULL);
	ASSERT_EQ(p.status, 0, "the run, ending, left the new limit alone");
	netlimit(&p, "detach", "new", NULL);
	rmdir(cg);
}
