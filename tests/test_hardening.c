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
#include <dirent.h>
#include <pthread.h>
#include "harness.h"
#include "cgroup.h"
#include "text.h"
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
	netlimit(&p, "run", "--only=0.0.0.0/0", "--out=1G", "--json", "--", traffic(), "udp", "::1",
		 num(p6), "10", "72", NULL);
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

/* Output stays parseable whatever the bytes of a name: JSON valid UTF-8, tables and messages one
 * clean line. */
static bool clean_text(const char *s, bool allow_newline)
{
	size_t n = strlen(s), k;
	const unsigned char *u = (const unsigned char *)s;

	while (n) {
		k = nl_utf8_len(u, n);
		if (!k || (*u < 0x20 && !(allow_newline && *u == '\n')) || *u == 0x7f)
			return false;
		u += k;
		n -= k;
	}
	return true;
}

void test_hardening_output(void)
{
	char parent[512], cg[600], bad[64];
	struct proc p;

	if (!require_root())
		return;
	test_cgroup_parent(parent, sizeof(parent));
	mkdir(parent, 0755);
	/* A cgroup name with an escape, a tab and bytes that are not UTF-8 (cgroupfs refuses
	 * newlines). */
	snprintf(bad, sizeof(bad), "x\x1b[31m\t\xff\xfe-%d", (int)getpid());
	snprintf(cg, sizeof(cg), "%s/%s", parent, bad);
	if (!ASSERT_OK(mkdir(cg, 0755) ? -errno : 0, "a cgroup with a hostile name"))
		return;
	netlimit(&p, "attach", "--cgroup", cg, "--limit=1M", "--name=odd", "--json", NULL);
	ASSERT_EQ(p.status, 0, "attach");
	ASSERT_TRUE(clean_text(p.out, true), "attach --json: valid UTF-8, escaped");
	ASSERT_HAS(p.out, "\\ufffd", "invalid bytes replaced");
	ASSERT_HAS(p.out, "\\u001b", "escape escaped");
	netlimit(&p, "list", "--json", NULL);
	ASSERT_TRUE(clean_text(p.out, true), "list --json");
	netlimit(&p, "list", NULL);
	ASSERT_TRUE(clean_text(p.out, true), "list: no control character in the table");
	netlimit(&p, "show", "odd", NULL);
	ASSERT_TRUE(clean_text(p.out, true), "show");
	netlimit(&p, "show", "bad\nname\x1b", NULL);
	ASSERT_EQ(p.status, 66, "unknown name");
	ASSERT_TRUE(clean_text(p.err, true), "the error has no control character");
	ASSERT_TRUE(strchr(p.err, '\n') == p.err + strlen(p.err) - 1,
		    "an error is one line, whatever the input");
	netlimit(&p, "detach", "odd", NULL);
	rmdir(cg);
}

/* Inputs the tester found taken wrongly, or refused without a word. */
void test_hardening_inputs(void)
{
	static char big[256 * 16];
	struct proc p;
	size_t n = 0;
	int i;

	if (!require_root())
		return;
	netlimit(&p, "run", "--limit", "--", "true", NULL);
	ASSERT_EQ(p.status, 64, "a cap option without its value");
	ASSERT_HAS(p.err, "needs a value", "says so");
	netlimit(&p, "attach", "--pid=", "--limit=1M", NULL);
	ASSERT_EQ(p.status, 64, "empty --pid");
	ASSERT_HAS(p.err, "--pid", "with a message");
	netlimit(&p, "attach", "--pid=+12", "--limit=1M", NULL);
	ASSERT_EQ(p.status, 64, "a sign is no PID");
	netlimit(&p, "run", "--only=1.2.3.4/ 32", "--limit=1M", "--", "true", NULL);
	ASSERT_EQ(p.status, 64, "a space in a prefix length");
	netlimit(&p, "show", " 1", NULL);
	ASSERT_EQ(p.status, 66, "' 1' is not id 1");
	for (i = 0; i < 256; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%s10.%d.%d.0/24", i ? "," : "",
				      i / 256, i % 256);
	netlimit(&p, "run", "--only", big, "--only=192.0.2.0/24", "--limit=1M", "--", "true", NULL);
	ASSERT_EQ(p.status, 64, "the 257th prefix");
	ASSERT_HAS(p.err, "at most 256 prefixes", "says the real limit");
	netlimit(&p, "top", "-i", "100000000h", "--iterations=1", NULL);
	ASSERT_EQ(p.status, 64, "a huge interval");
	netlimit(&p, "top", "-v", "--once", NULL);
	ASSERT_EQ(p.status, 0, "top -v");
	netlimit(&p, "gc", "-q", NULL);
	ASSERT_EQ(p.status, 0, "gc -q");
	netlimit(&p, "gc", "-v", NULL);
	ASSERT_EQ(p.status, 0, "gc -v");
	netlimit(&p, "run", "--limit=1M", "--user=65534", "-q", "--", "/bin/sh", "-c", "id -u",
		 NULL);
	ASSERT_EQ(p.status, 0, "a numeric --user");
	ASSERT_HAS(p.out, "65534", "runs as that uid");
	netlimit(&p, "run", "--limit=1M", "--user=4000000000", "--", "true", NULL);
	ASSERT_EQ(p.status, 64, "an unknown uid");
}

/* --grace=0: SIGKILL at once, no SIGTERM first. */
void test_hardening_grace_zero(void)
{
	struct server *s;
	struct proc p;
	int port;

	if (!require_root())
		return;
	s = udp_sink(AF_INET, &port);
	netlimit(&p, "run", "--out=1000", "--grace=0", "--json", "--", traffic(), "udp",
		 "127.0.0.1", num(port), "1000", "72", "2000", NULL);
	ASSERT_EQ(p.status, 120, "ended at the cap");
	ASSERT_EQ(J(p.err, "signal"), 9, "by SIGKILL");
	server_stop(s);
}

/* A thread's id names its process: refused with the process's id to use. */
static void *idle(void *arg)
{
	pause();
	return arg;
}

void test_hardening_thread_id(void)
{
	char path[64];
	struct proc p;
	pthread_t th;
	int tid = 0;

	if (!require_root())
		return;
	pthread_create(&th, NULL, idle, NULL);
	msleep(50);
	/* The other thread of this process: the one that is not the leader. */
	snprintf(path, sizeof(path), "/proc/%d/task", (int)getpid());
	{
		DIR *d = opendir(path);
		struct dirent *de;

		while (d && (de = readdir(d)))
			if (atoi(de->d_name) > 0 && atoi(de->d_name) != (int)getpid())
				tid = atoi(de->d_name);
		if (d)
			closedir(d);
	}
	if (!ASSERT_GT(tid, 0, "a thread id"))
		return;
	netlimit(&p, "attach", "--pid", num((unsigned)tid), "--limit=1M", NULL);
	ASSERT_EQ(p.status, 64, "a thread is refused");
	ASSERT_HAS(p.err, "is a thread of process", "says whose");
	ASSERT_HAS(p.err, num((unsigned)getpid()), "and which id to use");
}

/* Every command that takes --json prints JSON with it (none takes it and ignores it). */
void test_hardening_json_everywhere(void)
{
	char cg[512], rel[64];
	struct proc p;

	if (!require_root())
		return;
	snprintf(rel, sizeof(rel), "js-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		return;
	netlimit(&p, "attach", "--cgroup", cg, "--limit=1M", "--name=js", "--json", NULL);
	ASSERT_EQ(p.status, 0, "attach --json");
	ASSERT_HAS(p.out, "\"name\":\"js\"", "attach's object");
	netlimit(&p, "reset", "js", "--json", NULL);
	ASSERT_EQ(p.status, 0, "reset --json");
	ASSERT_EQ(J(p.out, "in_bytes"), 0, "reset prints the limit");
	netlimit(&p, "detach", "js", "--json", NULL);
	ASSERT_EQ(p.status, 0, "detach --json");
	ASSERT_HAS(p.out, "\"detached\":true", "detach's object");
	/* wait on a target that goes: its result as JSON. */
	netlimit(&p, "attach", "--cgroup", cg, "--limit=1M", "--name=jw", NULL);
	rmdir(cg);
	netlimit(&p, "wait", "jw", "--json", NULL);
	ASSERT_EQ(p.status, 3, "wait: target gone");
	ASSERT_HAS(p.out, "\"result\":\"target gone\"", "wait's object");
	netlimit(&p, "detach", "jw", NULL);
	netlimit(&p, "meter", "status", "--json", NULL);
	ASSERT_HAS(p.out, "\"meter\":false", "meter status's object");
}

/* A process under attach --pid that moves itself to another cgroup stays limited. */
void test_hardening_pid_limit_follows_moves(void)
{
	char a[512], b[512], ra[64], rb[64], cmd[1200];
	struct server *s;
	struct proc p, snd;
	int port;

	if (!require_root())
		return;
	snprintf(ra, sizeof(ra), "mva-%d", (int)getpid());
	snprintf(rb, sizeof(rb), "mvb-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(ra, a, sizeof(a)), "cgroup a") ||
	    !ASSERT_TRUE(test_make_cgroup(rb, b, sizeof(b)), "cgroup b"))
		return;
	s = udp_sink(AF_INET, &port);
	/* It waits for SIGUSR1, then moves itself (it runs as root) and sends. */
	snprintf(cmd, sizeof(cmd),
		 "go=; trap 'go=1' USR1; echo ready; while [ -z \"$go\" ]; do sleep 0.02; done; "
		 "echo $$ > %s/cgroup.procs && exec %s udp 127.0.0.1 %d 100 72",
		 b, traffic(), port);
	start_in_cgroup(&snd, a, (char *[]){ "/bin/sh", "-c", cmd, NULL });
	msleep(200);
	netlimit(&p, "attach", "--pid", num((unsigned)snd.pid), "--out=3000", "--name=mv", NULL);
	ASSERT_EQ(p.status, 0, "attach");
	kill(snd.pid, SIGUSR1);
	proc_finish(&snd, 10);
	msleep(50);
	netlimit(&p, "show", "mv", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 3000, "its cap held in the cgroup it moved to");
	ASSERT_EQ(server_msgs(s), 30, "server: no more than the cap");
	netlimit(&p, "detach", "mv", NULL);
	server_stop(s);
	rmdir(a);
	rmdir(b);
}

/*
 * A limit acts on its cgroup's id, not on the text that names it: a new
 * cgroup made under the old name is not the limit's, and does not keep it.
 */
void test_hardening_acts_on_ids(void)
{
	char cg[512], rel[64];
	struct server *s;
	struct proc p, snd;
	int port;

	if (!require_root())
		return;
	snprintf(rel, sizeof(rel), "id-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		return;
	s = udp_sink(AF_INET, &port);
	netlimit(&p, "attach", "--cgroup", cg, "--out=1000", "--on-limit=kill", "--grace=0",
		 "--name=byid", NULL);
	ASSERT_EQ(p.status, 0, "attach, kill mode");
	/* The same name, another cgroup (cgroup2 has no rename): a new id. */
	ASSERT_OK(nl_cgroup_remove(cg), "remove the cgroup");
	ASSERT_OK(mkdir(cg, 0755) ? -errno : 0, "make one of the same name");
	start_in_cgroup(
		&snd, cg,
		(char *[]){ traffic(), "udp", "127.0.0.1", num(port), "30", "72", "10000", NULL });
	proc_finish(&snd, 15);
	ASSERT_EQ(snd.status, 0, "the new cgroup's sender ran to its end, not killed");
	ASSERT_EQ(server_msgs(s), 30, "and was not capped: the limit is the old cgroup's");
	for (int i = 0; i < 100; i++) {
		netlimit(&p, "gc", NULL);
		netlimit(&p, "show", "byid", NULL);
		if (p.status == 66)
			break;
		msleep(50);
	}
	ASSERT_EQ(p.status, 66, "collected: its cgroup (by id) is gone, whatever the names");
	nl_cgroup_remove(cg);
	server_stop(s);
}
