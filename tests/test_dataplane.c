// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The dataplane's life: loaded on first use, once even when two netlimits
 * race for it, whole or not at all when one is killed while loading, gone
 * with the last limit; an older netlimit's state refused, then cleaned.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include "dataplane.h"
#include "harness.h"
#include "helpers.h"

static bool exists(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", test_state_dir(), name);
	return !access(path, F_OK);
}

/* The dataplane's programs: ingress, egress, sock create/release, fork, exit, TCP state, pacing,
 * cgroup creation, three iterators (TCP and UDP sockets, tasks), the period timers' arming
 * program (not the test programs: loaded only for BPF_PROG_TEST_RUN). */
#define DP_PROGS 13

void test_dataplane_once_for_two(void)
{
	char cg[512], rel[64];
	struct proc *a = mmap_shared_proc(), *b = mmap_shared_proc(), p;
	int before = count_nl_progs(), round;

	if (!require_root())
		return;
	snprintf(rel, sizeof(rel), "d2-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		return;
	for (round = 0; round < 5; round++) {
		ASSERT_FALSE(exists("dp"), "no dataplane before");
		netlimit_bg(a, "attach", "--cgroup", cg, "--out=1M", "--name=ra", NULL);
		netlimit_bg(b, "attach", "--cgroup", cg, "--out=2M", "--name=rb", NULL);
		proc_finish(a, 20);
		proc_finish(b, 20);
		ASSERT_EQ(a->status, 0, "first");
		ASSERT_EQ(b->status, 0, "second");
		ASSERT_TRUE(exists("dp"), "one dataplane");
		ASSERT_FALSE(exists("new-dp"), "nothing half-made");
		ASSERT_EQ(count_nl_progs() - before, DP_PROGS, "its programs loaded once");
		netlimit(&p, "detach", "ra", NULL);
		ASSERT_TRUE(exists("dp"), "kept while a limit is left");
		netlimit(&p, "detach", "rb", NULL);
		ASSERT_FALSE(exists("dp"), "gone with the last limit");
	}
	rmdir(cg);
}

/* SIGKILL at any moment of the first load: afterwards a dataplane that works, or none. */
void test_dataplane_sigkill_loading(void)
{
	char cg[512], rel[64];
	struct proc a, p, snd;
	struct server *s;
	int port, delay;

	if (!require_root())
		return;
	snprintf(rel, sizeof(rel), "dk-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		return;
	s = udp_sink(AF_INET, &port);
	for (delay = 0; delay <= 60; delay += 5) {
		unsigned long long before;

		netlimit_bg(&a, "attach", "--cgroup", cg, "--out=1000", "--name=dk", NULL);
		msleep(delay);
		proc_kill(&a, SIGKILL);
		/* The next netlimit finds what the dead one left, whatever that is. */
		netlimit(&p, "attach", "--cgroup", cg, "--out=2000", "--name=dk2", NULL);
		ASSERT_EQ(p.status, 0, "the next netlimit works");
		ASSERT_FALSE(exists("new-dp"), "no half-loaded dataplane left");
		netlimit(&p, "list", "--json", NULL);
		before = server_msgs(s);
		start_in_cgroup(
			&snd, cg,
			(char *[]){ traffic(), "udp", "127.0.0.1", num(port), "100", "72", NULL });
		proc_finish(&snd, 10);
		msleep(20);
		/* dk, if it got listed, caps at 10 datagrams; dk2 at 20. */
		ASSERT_EQ(server_msgs(s) - before, strstr(p.out, "\"name\":\"dk\"") ? 10 : 20,
			  "the listed limits hold, and only they");
		netlimit(&p, "detach", "dk2", NULL);
		netlimit(&p, "detach", "dk", NULL);
		netlimit(&p, "gc", NULL);
		ASSERT_FALSE(exists("dp"), "all gone again");
	}
	server_stop(s);
	rmdir(cg);
}

/* State pinned by a netlimit from before the dataplane: refused, then removed on request. */
void test_dataplane_legacy_state(void)
{
	char dir[512], pin[600], cg[512], rel[64];
	struct proc p;
	int fd;

	if (!require_root())
		return;
	snprintf(rel, sizeof(rel), "lg-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		return;
	mkdir(test_state_dir(), 0700);
	snprintf(dir, sizeof(dir), "%s/7", test_state_dir());
	mkdir(dir, 0700);
	snprintf(pin, sizeof(pin), "%s/limit", dir);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "nl_old", 4, 8, 1, NULL);
	if (!ASSERT_GE(fd, 0, "an old limit's map") || !ASSERT_OK(bpf_obj_pin(fd, pin), "pin"))
		goto out;
	netlimit(&p, "attach", "--cgroup", cg, "--out=1M", NULL);
	ASSERT_EQ(p.status, 69, "refused");
	ASSERT_HAS(p.err, "older netlimit", "says why");
	ASSERT_HAS(p.err, "gc --legacy", "and what to do");
	ASSERT_FALSE(exists("dp"), "nothing loaded");
	netlimit(&p, "gc", "--legacy", NULL);
	ASSERT_EQ(p.status, 0, "gc --legacy");
	ASSERT_TRUE(access(dir, F_OK) && errno == ENOENT, "old limit removed");
	netlimit(&p, "attach", "--cgroup", cg, "--out=1M", "--name=new", NULL);
	ASSERT_EQ(p.status, 0, "now it works");
	netlimit(&p, "detach", "new", NULL);
out:
	if (fd >= 0)
		close(fd);
	rmdir(cg);
}

/*
 * The pinned dataplane is another netlimit version's: making a limit and
 * listing refuse it and say what to do, gc --legacy removes it, then a
 * limit can be made on cg.
 */
static void other_version_refused(const char *cg)
{
	struct proc p;

	netlimit(&p, "attach", "--cgroup", cg, "--out=1M", NULL);
	ASSERT_EQ(p.status, 69, "refused");
	ASSERT_HAS(p.err, "another netlimit version", "says why");
	ASSERT_HAS(p.err, "gc --legacy", "and what to do");
	netlimit(&p, "list", NULL);
	ASSERT_EQ(p.status, 69, "list refuses it too");
	netlimit(&p, "gc", "--legacy", NULL);
	ASSERT_EQ(p.status, 0, "gc --legacy");
	ASSERT_FALSE(exists("dp"), "the old dataplane removed");
	netlimit(&p, "attach", "--cgroup", cg, "--out=1M", "--name=new", NULL);
	ASSERT_EQ(p.status, 0, "now it works");
	netlimit(&p, "detach", "new", NULL);
}

/*
 * A dataplane pinned by another netlimit version (its limits map of another
 * size, a map missing): refused with what to do, removed by gc --legacy.
 */
void test_dataplane_other_version(void)
{
	char dir[512], pin[600], cg[512], rel[64];
	int fd;

	if (!require_root())
		return;
	snprintf(rel, sizeof(rel), "ov-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		return;
	mkdir(test_state_dir(), 0700);
	snprintf(dir, sizeof(dir), "%s/dp", test_state_dir());
	mkdir(dir, 0700);
	snprintf(pin, sizeof(pin), "%s/limits", dir);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "nl_limits", 4, 640, 16384, NULL);
	if (!ASSERT_GE(fd, 0, "an older limits map") || !ASSERT_OK(bpf_obj_pin(fd, pin), "pin"))
		goto out;
	other_version_refused(cg);
out:
	if (fd >= 0)
		close(fd);
	rmdir(cg);
}

/*
 * A dataplane of the same maps but another layout of their values (the
 * netlimit before NL_LAYOUT 2 wrote 0 there): refused, removed by gc --legacy.
 */
void test_dataplane_other_layout(void)
{
	char pin[600], cg[512], rel[64];
	struct nl_conf c;
	struct proc p;
	__u32 zero = 0;
	int fd = -1;

	if (!require_root())
		return;
	snprintf(rel, sizeof(rel), "ol-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		return;
	netlimit(&p, "attach", "--cgroup", cg, "--out=1M", "--name=old", NULL);
	if (!ASSERT_EQ(p.status, 0, "a dataplane"))
		goto out;
	snprintf(pin, sizeof(pin), "%s/dp/conf", test_state_dir());
	fd = bpf_obj_get(pin);
	if (!ASSERT_GE(fd, 0, "its configuration") ||
	    !ASSERT_OK(bpf_map_lookup_elem(fd, &zero, &c), "read"))
		goto out;
	ASSERT_EQ(c.layout, NL_LAYOUT, "the loader wrote its layout");
	c.layout = 0;
	ASSERT_OK(bpf_map_update_elem(fd, &zero, &c, BPF_ANY), "as an older netlimit left it");
	other_version_refused(cg);
out:
	if (fd >= 0)
		close(fd);
	rmdir(cg);
}

/*
 * Each CPU keeps cgroups' chains of limits by the address of the kernel's
 * struct cgroup: a cgroup made where a removed one was must not inherit its
 * chain. Cgroups made and removed in turn, one with no limit above it, one
 * under a limit, their senders on one CPU: every datagram from under the
 * limit counted.
 */
void test_dataplane_cgroup_reborn(void)
{
	char free_cg[512], lim_cg[512], rel[64], x[600];
	const int rounds = 40;
	struct server *s;
	struct proc p, snd;
	int port, i;

	if (!require_root())
		return;
	snprintf(rel, sizeof(rel), "rb-free-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, free_cg, sizeof(free_cg)), "cgroup without a limit"))
		return;
	snprintf(rel, sizeof(rel), "rb-lim-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, lim_cg, sizeof(lim_cg)), "cgroup with a limit")) {
		rmdir(free_cg);
		return;
	}
	s = udp_sink(AF_INET, &port);
	netlimit(&p, "attach", "--cgroup", lim_cg, "--out=1G", "--name=reborn", NULL);
	if (!ASSERT_EQ(p.status, 0, "limit") || !ASSERT_TRUE(s, "sink"))
		goto out;
	for (i = 0; i < rounds; i++) {
		snprintf(x, sizeof(x), "%s/c", i % 2 ? lim_cg : free_cg);
		if (!ASSERT_OK(mkdir(x, 0755), "a cgroup"))
			break;
		start_in_cgroup(&snd, x,
				(char *[]){ "taskset", "-c", "0", traffic(), "udp", "127.0.0.1",
					    num(port), "10", "72", NULL });
		ASSERT_EQ(proc_finish(&snd, 10), 0, "sent");
		ASSERT_OK(rmdir(x), "removed");
		/* Freed after an RCU grace period: the next cgroup may take its place. */
		msleep(20);
	}
	netlimit(&p, "show", "reborn", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_packets"), 10 * (rounds / 2), "every datagram under the limit");
	ASSERT_EQ(J(p.out, "out_bytes"), 10 * (rounds / 2) * 100, "and its bytes");
out:
	netlimit(&p, "detach", "reborn", NULL);
	server_stop(s);
	rmdir(lim_cg);
	rmdir(free_cg);
}
