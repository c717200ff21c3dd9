// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `netlimit attach` and the commands on existing limits, end to end: real
 * processes already running, real traffic, caps applied live.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include "harness.h"
#include "helpers.h"

static int attached_id(struct proc *p)
{
	return p->status == 0 ? atoi(p->out) : -1;
}

/* A download running before attach is capped from the moment attach returns. */
void test_attach_running_download(void)
{
	unsigned long long before;
	struct proc cl, p;
	struct server *s;
	int port, id;

	if (!require_root())
		return;
	s = tcp_source(AF_INET, &port, 1ULL << 40);
	if (!ASSERT_TRUE(s, "source"))
		return;
	if (!ASSERT_OK(proc_start(&cl, (char *[]){ traffic(), "tcp-recv", "127.0.0.1", num(port),
						   NULL }),
		       "client"))
		goto out;
	while (server_bytes(s) < (8 << 20))
		msleep(5);
	netlimit(&p, "attach", "--pid", num(cl.pid), "--in=20M", "--name=dl", NULL);
	id = attached_id(&p);
	if (!ASSERT_GT(id, 0, "attach printed an id"))
		goto kill;
	ASSERT_HAS(p.err, "attached to pid", "says what it did");
	msleep(800);
	netlimit(&p, "show", "dl", "--json", NULL);
	ASSERT_EQ(p.status, 0, "show by name");
	ASSERT_LE(J(p.out, "in_bytes"), 20 << 20, "never past the cap");
	ASSERT_GT(J(p.out, "in_bytes"), 10 << 20, "the running transfer was counted");
	ASSERT_GT(J(p.out, "in_dropped_bytes"), 0, "the rest was dropped");
	ASSERT_EQ(J(p.out, "limit_hit"), 1, "cap reached");
	ASSERT_HAS(p.out, "\"state\":\"cap reached\"", "state");
	/* Raising the cap lets it flow again, live (after TCP's retransmit backoff). */
	netlimit(&p, "set", "dl", "--in=60M", NULL);
	ASSERT_EQ(p.status, 0, "set");
	for (int i = 0; i < 100; i++) {
		msleep(50);
		netlimit(&p, "show", num((unsigned)id), "--json", NULL);
		if (J(p.out, "in_bytes") > 40 << 20)
			break;
	}
	ASSERT_GT(J(p.out, "in_bytes"), 40 << 20, "flows again after raising the cap");
	ASSERT_LE(J(p.out, "in_bytes"), 60 << 20, "and stops at the new cap");
	/* Detach: the download runs free. */
	netlimit(&p, "detach", "dl", NULL);
	ASSERT_EQ(p.status, 0, "detach");
	before = server_bytes(s);
	for (int i = 0; i < 100 && server_bytes(s) - before <= 100 << 20; i++)
		msleep(50);
	ASSERT_GT(server_bytes(s) - before, 100 << 20, "unlimited after detach");
kill:
	kill(cl.pid, SIGKILL);
	proc_finish(&cl, 5);
out:
	server_stop(s);
}

/* Four threads already sending, and a child forked after attach: all capped. */
void test_attach_threads_and_child(void)
{
	char go[64] = "", gofile[72];
	struct proc mt, fa, p;
	unsigned long long at;
	struct server *s;
	int port;

	if (!require_root())
		return;
	s = udp_sink(AF_INET, &port);
	if (!ASSERT_TRUE(s, "sink"))
		return;
	/* 4 threads x 1500 datagrams of 100 L3 bytes, one every ms. */
	if (!ASSERT_OK(proc_start(&mt, (char *[]){ traffic(), "udp-threads", "127.0.0.1", num(port),
						   "4", "1500", "72", "1000", NULL }),
		       "threads"))
		goto out;
	msleep(200);
	netlimit(&p, "attach", "--pid", num(mt.pid), "--out=50000", "--name=mt", NULL);
	at = server_msgs(s);
	ASSERT_EQ(p.status, 0, "attach");
	proc_finish(&mt, 30);
	netlimit(&p, "show", "mt", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 50000, "every thread counted, up to the cap exactly");
	ASSERT_GT(J(p.out, "out_dropped_packets"), 1000, "the rest dropped");
	msleep(50);
	ASSERT_LE(server_msgs(s) - at, 500, "no more than the cap arrived after attach");
	netlimit(&p, "detach", "mt", NULL);

	/* The child is forked once attach has returned; the parent sends nothing. */
	snprintf(go, sizeof(go), "/tmp/nl-go-%d", (int)getpid());
	snprintf(gofile, sizeof(gofile), "@%s", go);
	unlink(go);
	if (!ASSERT_OK(proc_start(&fa, (char *[]){ traffic(), "fork-after", gofile, traffic(), "udp",
						   "127.0.0.1", num(port), "200", "72", NULL }),
		       "forker"))
		goto out;
	netlimit(&p, "attach", "--pid", num(fa.pid), "--out=10000", "--name=fa", NULL);
	ASSERT_EQ(p.status, 0, "attach");
	at = server_msgs(s);
	sh("touch %s", go);
	proc_finish(&fa, 20);
	msleep(50);
	netlimit(&p, "show", "fa", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 10000, "the child's bytes counted exactly");
	ASSERT_EQ(J(p.out, "out_dropped_packets"), 100, "the child's excess dropped");
	ASSERT_EQ(server_msgs(s) - at, 100, "the sink got exactly the cap");
	/* Everything it limited has ended: gc removes it. */
	netlimit(&p, "gc", NULL);
	ASSERT_EQ(p.status, 0, "gc");
	ASSERT_HAS(p.err, "1 limit(s) removed", "gc removed the finished limit");
out:
	if (go[0])
		unlink(go);
	server_stop(s);
}

/* A whole cgroup; set, reset and wait on it. */
void test_attach_cgroup_set_reset_wait(void)
{
	char cg[512], rel[64];
	struct proc p, snd, w;
	struct server *s;
	int port;

	if (!require_root())
		return;
	snprintf(rel, sizeof(rel), "svc-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		return;
	s = udp_sink(AF_INET, &port);
	if (!ASSERT_TRUE(s, "sink"))
		goto out;
	netlimit(&p, "attach", "--cgroup", cg, "--out=5000", "--name=svc", NULL);
	ASSERT_EQ(p.status, 0, "attach to a cgroup by path");
	char *send100[] = { traffic(), "udp", "127.0.0.1", num(port), "100", "72", NULL };

	start_in_cgroup(&snd, cg, send100);
	proc_finish(&snd, 10);
	netlimit(&p, "show", "svc", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 5000, "capped exactly");
	ASSERT_EQ(J(p.out, "out_dropped_packets"), 50, "excess dropped");
	netlimit(&p, "wait", "svc", NULL);
	ASSERT_EQ(p.status, 0, "wait returns at once for a reached cap");

	netlimit(&p, "set", "--out=20000", "svc", NULL);
	ASSERT_EQ(p.status, 0, "set, id after the options");
	start_in_cgroup(&snd, cg, send100);
	proc_finish(&snd, 10);
	netlimit(&p, "show", "svc", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 15000, "the raised cap lets 100 more through");
	ASSERT_EQ(J(p.out, "limit_hit"), 0, "not reached yet");

	netlimit(&p, "reset", "svc", NULL);
	ASSERT_EQ(p.status, 0, "reset");
	netlimit(&p, "show", "svc", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes") + J(p.out, "out_dropped_bytes"), 0, "counters zeroed");

	/* wait blocks until the cap is reached, then returns 0. */
	if (ASSERT_OK(netlimit_bg(&w, "wait", "svc", NULL), "wait")) {
		msleep(300);
		ASSERT_TRUE(pid_alive(w.pid), "wait blocks below the cap");
		char *send300[] = { traffic(), "udp", "127.0.0.1", num(port), "300", "72", NULL };

		start_in_cgroup(&snd, cg, send300);
		proc_finish(&snd, 10);
		proc_finish(&w, 5);
		ASSERT_EQ(w.status, 0, "wait saw the cap");
	}
	netlimit(&p, "detach", "svc", NULL);
	ASSERT_EQ(p.status, 0, "detach");
	/* Without the limit, 100 datagrams pass untouched. */
	{
		unsigned long long before = server_msgs(s);

		start_in_cgroup(&snd, cg, send100);
		proc_finish(&snd, 10);
		msleep(50);
		ASSERT_EQ(server_msgs(s) - before, 100, "detached: nothing dropped");
	}
out:
	server_stop(s);
	rmdir(cg);
}

/* wait: exit 3 when the target ends before its cap. */
void test_attach_wait_target_gone(void)
{
	struct proc sl, w, p;

	if (!require_root())
		return;
	if (!ASSERT_OK(proc_start(&sl, (char *[]){ traffic(), "sleep", "800", NULL }), "sleeper"))
		return;
	netlimit(&p, "attach", "--pid", num(sl.pid), "--limit=1G", "--name=idle", NULL);
	ASSERT_EQ(p.status, 0, "attach");
	if (ASSERT_OK(netlimit_bg(&w, "wait", "idle", NULL), "wait")) {
		proc_finish(&sl, 5);
		proc_finish(&w, 5);
		ASSERT_EQ(w.status, 3, "target gone");
		ASSERT_HAS(w.err, "gone", "says so");
	}
	netlimit(&p, "list", NULL);
	ASSERT_FALSE(strstr(p.out, "idle"), "list collects it on its way");
}

/* --on-limit=kill: a watcher ends the processes at the cap and cleans up. */
void test_attach_kill_mode(void)
{
	struct proc snd, p;
	struct server *s;
	int port, i;

	if (!require_root())
		return;
	s = udp_sink(AF_INET, &port);
	if (!ASSERT_TRUE(s, "sink"))
		return;
	/* 2000 datagrams, one every 2 ms: ~4 s if nobody stops it. */
	if (!ASSERT_OK(proc_start(&snd, (char *[]){ traffic(), "udp", "127.0.0.1", num(port),
						    "2000", "72", "2000", NULL }),
		       "sender"))
		goto out;
	msleep(100);
	netlimit(&p, "attach", "--pid", num(snd.pid), "--out=10000", "--on-limit=kill",
		 "--grace=100ms", "--name=k", NULL);
	ASSERT_EQ(p.status, 0, "attach");
	proc_finish(&snd, 10);
	ASSERT_EQ(snd.status, 128 + SIGTERM, "ended at the cap with SIGTERM");
	for (i = 0; i < 100; i++) {
		netlimit(&p, "list", NULL);
		if (!strstr(p.out, " k "))
			break;
		msleep(20);
	}
	ASSERT_FALSE(strstr(p.out, " k "), "the watcher removed the limit after its target ended");
out:
	server_stop(s);
}

void test_attach_list_show_bpftool(void)
{
	char cg[512], rel[64], path[600], cmd[800], out[8192];
	struct proc p;
	size_t n;
	FILE *f;
	int id;

	if (!require_root())
		return;
	snprintf(rel, sizeof(rel), "lst-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		return;
	netlimit(&p, "attach", "--cgroup", cg, "--in=1M", "--out=2G", "--name=web", "--json", NULL);
	id = (int)J(p.out, "id");
	ASSERT_HAS(p.out, "\"name\":\"web\"", "attach --json");
	netlimit(&p, "list", NULL);
	ASSERT_HAS(p.out, "ID   NAME", "header");
	ASSERT_HAS(p.out, "web", "name");
	ASSERT_HAS(p.out, "in 1.0 MiB, out 2.0 GiB", "caps");
	ASSERT_HAS(p.out, "active", "state");
	netlimit(&p, "list", "--json", NULL);
	ASSERT_TRUE(p.out[0] == '[', "list --json is an array");
	ASSERT_HAS(p.out, "\"kind\":\"cgroup\"", "kind");
	ASSERT_EQ(J(p.out, "cap_in"), 1 << 20, "cap_in");
	netlimit(&p, "show", num((unsigned)id), NULL);
	ASSERT_HAS(p.out, "limit ", "show");
	ASSERT_HAS(p.out, "cgroup", "target");
	/* bpftool prints the dataplane's pinned map with field names: the limit is slot id. */
	snprintf(path, sizeof(path), "%s/dp/limits", test_state_dir());
	snprintf(cmd, sizeof(cmd), "bpftool map lookup pinned %s key %d %d 0 0", path, id & 0xff,
		 id >> 8);
	f = popen(cmd, "r");
	n = f ? fread(out, 1, sizeof(out) - 1, f) : 0;
	out[n] = '\0';
	if (f)
		pclose(f);
	ASSERT_HAS(out, "\"cap_in\": 1048576", "bpftool shows cap_in");
	ASSERT_HAS(out, "\"name\": \"web\"", "bpftool shows the name as text");
	ASSERT_HAS(out, "\"drop_bytes\": 0", "bpftool shows nested counters");
	netlimit(&p, "detach", "web", NULL);
	rmdir(cg);
}

/* Two netlimit invocations at once never hand out one id twice. */
void test_attach_concurrent(void)
{
	char cg[512], rel[64];
	struct proc ps[8], p, l;
	int i, ids[8], j;

	if (!require_root())
		return;
	snprintf(rel, sizeof(rel), "cc-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		return;
	for (i = 0; i < 8; i++)
		netlimit_bg(&ps[i], "attach", "--cgroup", cg, "--limit=1G", NULL);
	for (i = 0; i < 8; i++) {
		proc_finish(&ps[i], 20);
		ASSERT_EQ(ps[i].status, 0, "attach");
		ids[i] = atoi(ps[i].out);
		for (j = 0; j < i; j++)
			ASSERT_NEQ(ids[i], ids[j], "distinct ids");
	}
	netlimit(&l, "list", "--json", NULL);
	for (i = 0; i < 8; i++) {
		char key[32];

		snprintf(key, sizeof(key), "{\"id\":%d,", ids[i]);
		ASSERT_HAS(l.out, key, "every limit listed");
		netlimit(&p, "detach", num((unsigned)ids[i]), NULL);
		ASSERT_EQ(p.status, 0, "detach");
	}
	rmdir(cg);
}

/* SIGKILL of attach at any moment: either a whole limit that holds, or nothing. */
void test_attach_sigkill_anywhere(void)
{
	char cg[512], rel[64];
	struct proc a, p, snd;
	struct server *s;
	int port, delay;

	if (!require_root())
		return;
	snprintf(rel, sizeof(rel), "kk-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		return;
	s = udp_sink(AF_INET, &port);
	for (delay = 0; delay <= 40; delay += 4) {
		char *send[] = { traffic(), "udp", "127.0.0.1", num(port), "100", "72", NULL };
		unsigned long long before;

		netlimit_bg(&a, "attach", "--cgroup", cg, "--out=1000", "--name=kk", NULL);
		msleep(delay);
		proc_kill(&a, SIGKILL);
		netlimit(&p, "list", "--json", NULL);
		before = server_msgs(s);
		start_in_cgroup(&snd, cg, send);
		proc_finish(&snd, 10);
		msleep(20);
		if (strstr(p.out, "\"name\":\"kk\"")) {
			/* A listed limit is whole and holds: 10 datagrams pass. */
			ASSERT_EQ(server_msgs(s) - before, 10, "a listed limit holds");
			netlimit(&p, "detach", "kk", NULL);
			ASSERT_EQ(p.status, 0, "detach");
		} else {
			ASSERT_EQ(server_msgs(s) - before, 100, "no limit: nothing half-attached");
		}
	}
	/* SIGKILL during set: the limit holds, with the old cap or the new. */
	netlimit(&p, "attach", "--cgroup", cg, "--out=1000", "--name=ks", NULL);
	ASSERT_EQ(p.status, 0, "attach");
	for (delay = 0; delay <= 8; delay += 2) {
		char *send[] = { traffic(), "udp", "127.0.0.1", num(port), "100", "72", NULL };
		unsigned long long before, cap;

		netlimit(&p, "reset", "ks", NULL);
		netlimit_bg(&a, "set", "ks", delay % 4 ? "--out=2000" : "--out=1000", NULL);
		msleep(delay);
		proc_kill(&a, SIGKILL);
		netlimit(&p, "show", "ks", "--json", NULL);
		cap = J(p.out, "cap_out");
		ASSERT_TRUE(cap == 1000 || cap == 2000, "the cap is the old or the new one");
		before = server_msgs(s);
		start_in_cgroup(&snd, cg, send);
		proc_finish(&snd, 10);
		msleep(20);
		ASSERT_EQ((server_msgs(s) - before) * 100, cap, "and it holds exactly");
	}
	netlimit(&p, "detach", "ks", NULL);
	netlimit(&p, "gc", NULL);
	server_stop(s);
	rmdir(cg);
}


void test_attach_nonroot_refused(void)
{
	char cg[512], rel[64], path[600];
	struct proc *p, q;
	char *nl;
	int id;

	if (!require_root())
		return;
	p = mmap_shared_proc();
	snprintf(rel, sizeof(rel), "nr-%d", (int)getpid());
	if (!ASSERT_TRUE(p && test_make_cgroup(rel, cg, sizeof(cg)), "setup"))
		return;
	netlimit(&q, "attach", "--cgroup", cg, "--limit=1G", NULL);
	id = attached_id(&q);
	nl = strdup(bin("netlimit"));
	run_as_nobody(p, (char *[]){ nl, "attach", "--cgroup", cg, "--limit=1M", NULL });
	ASSERT_EQ(p->status, 77, "attach refused");
	ASSERT_HAS(p->err, "needs root", "says so");
	run_as_nobody(p, (char *[]){ nl, "set", num((unsigned)id), "--limit=1M", NULL });
	ASSERT_EQ(p->status, 77, "set refused");
	run_as_nobody(p, (char *[]){ nl, "detach", num((unsigned)id), NULL });
	ASSERT_EQ(p->status, 77, "detach refused");
	run_as_nobody(p, (char *[]){ nl, "list", NULL });
	ASSERT_EQ(p->status, 77, "list refused");
	/* And the pins themselves are closed to it. */
	snprintf(path, sizeof(path), "%s/dp/limits", test_state_dir());
	{
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			if (setgid(65534) || setuid(65534))
				_exit(90);
			_exit(bpf_obj_get(path) < 0 && (errno == EACCES || errno == EPERM) ? 0 : 1);
		}
		waitpid(pid, &st, 0);
		ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0, "nobody cannot open the map");
	}
	netlimit(&q, "detach", num((unsigned)id), NULL);
	free(nl);
	rmdir(cg);
}

void test_attach_bad_input(void)
{
	struct proc p;

	if (!require_root())
		return;
	netlimit(&p, "attach", "--pid=999999", "--limit=1M", NULL);
	ASSERT_EQ(p.status, 66, "unknown PID");
	ASSERT_HAS(p.err, "no process with PID 999999", "says so");
	netlimit(&p, "attach", "--pid=1", "--limit=1M", NULL);
	ASSERT_EQ(p.status, 64, "PID 1");
	ASSERT_HAS(p.err, "PID 1 (init)", "says so");
	netlimit(&p, "attach", "--pid=2", "--limit=1M", NULL);
	ASSERT_EQ(p.status, 64, "kernel thread");
	ASSERT_HAS(p.err, "kernel thread", "says so");
	netlimit(&p, "attach", "--pid=12x", "--limit=1M", NULL);
	ASSERT_EQ(p.status, 64, "malformed PID");
	netlimit(&p, "attach", "--cgroup=/sys/fs/cgroup/no/such/nl", "--limit=1M", NULL);
	ASSERT_EQ(p.status, 66, "missing cgroup");
	ASSERT_HAS(p.err, "does not exist", "says so");
	netlimit(&p, "attach", "--cgroup=/tmp", "--limit=1M", NULL);
	ASSERT_EQ(p.status, 64, "not a cgroup");
	netlimit(&p, "attach", "--pid=1234", "--cgroup=x", "--limit=1M", NULL);
	ASSERT_EQ(p.status, 64, "two targets");
	ASSERT_HAS(p.err, "exactly one target", "says so");
	netlimit(&p, "attach", "--limit=1M", NULL);
	ASSERT_EQ(p.status, 64, "no target");
	netlimit(&p, "attach", "--pid=1234", NULL);
	ASSERT_EQ(p.status, 64, "no cap");
	netlimit(&p, "attach", "--pid=1234", "--limit=0", NULL);
	ASSERT_EQ(p.status, 64, "zero cap");
	netlimit(&p, "show", "4242", NULL);
	ASSERT_EQ(p.status, 66, "unknown id");
	netlimit(&p, "set", "nosuch", "--in=1M", NULL);
	ASSERT_EQ(p.status, 66, "unknown name");
	ASSERT_HAS(p.err, "no limit named 'nosuch'", "says so");
	netlimit(&p, "detach", "4242", NULL);
	ASSERT_EQ(p.status, 66, "detach unknown");
	netlimit(&p, "wait", "4242", NULL);
	ASSERT_EQ(p.status, 66, "wait unknown");
	netlimit(&p, "set", "4242", NULL);
	ASSERT_EQ(p.status, 64, "set without a cap");
	netlimit(&p, "list", "extra", NULL);
	ASSERT_EQ(p.status, 64, "list takes no argument");
	netlimit(&p, "frobnicate", NULL);
	ASSERT_EQ(p.status, 64, "unknown command");
}

/* A tagged child queues data and exits: its orphaned socket stays capped. */
void test_attach_orphaned_socket(void)
{
	unsigned long long before;
	struct server *s;
	char go[64] = "", gofile[72];
	struct proc fa, p;
	int port;

	if (!require_root())
		return;
	s = tcp_sink(AF_INET, &port);
	if (!ASSERT_TRUE(s, "sink"))
		return;
	/* The fork comes once attach has returned. */
	netlimit(&p, "meter", "on", NULL);
	snprintf(go, sizeof(go), "/tmp/nl-go-%d", (int)getpid());
	snprintf(gofile, sizeof(gofile), "@%s", go);
	unlink(go);
	if (!ASSERT_OK(proc_start(&fa, (char *[]){ traffic(), "fork-after", gofile, traffic(),
						   "tcp-blast", "127.0.0.1", num(port),
						   num(8 << 20), NULL }),
		       "forker"))
		goto out;
	netlimit(&p, "attach", "--pid", num(fa.pid), "--out=1M", "--name=orph", NULL);
	ASSERT_EQ(p.status, 0, "attach");
	sh("touch %s", go);
	proc_finish(&fa, 10);
	msleep(500);
	ASSERT_LE(server_bytes(s), 1 << 20, "the orphan sent nothing past the cap");
	netlimit(&p, "gc", NULL);
	netlimit(&p, "show", "orph", "--json", NULL);
	ASSERT_EQ(p.status, 0, "not collected while its orphaned socket is open");
	ASSERT_EQ(J(p.out, "tasks"), 0, "no process left");
	/*
	 * The cap held until detach; after it, the orphan sends the rest. It
	 * may do so while detach is still exiting (its retransmission timer
	 * decides when), so the bytes are compared with the cap, not with a
	 * count read after detach.
	 */
	before = server_bytes(s);
	ASSERT_LE(before, 1 << 20, "still capped just before detach");
	netlimit(&p, "detach", "orph", NULL);
	ASSERT_EQ(p.status, 0, "detach");
	for (int i = 0; i < 200 && server_bytes(s) <= 1 << 20; i++)
		msleep(50);
	ASSERT_GT(server_bytes(s), 1 << 20, "detached: the orphan sends past the old cap");
out:
	if (go[0])
		unlink(go);
	netlimit(&p, "meter", "off", NULL);
	server_stop(s);
}

/* top: live rows with rates, one table per round when not on a terminal. */
void test_top(void)
{
	struct proc r, p;
	struct server *s;
	char *row;
	int port, tables = 0;

	if (!require_root())
		return;
	s = udp_sink(AF_INET, &port);
	/* ~1000 datagrams of 100 L3 bytes a second for 1.5 s. */
	if (!ASSERT_OK(netlimit_bg(&r, "run", "--out=1G", "--name=live", "-q", "--", traffic(),
				   "udp", "127.0.0.1", num(port), "1500", "72", "1000", NULL),
		       "run"))
		goto out;
	msleep(300);
	netlimit(&p, "top", "--view=limits", "--iterations=3", "--interval=300ms", NULL);
	ASSERT_EQ(p.status, 0, "top");
	for (row = p.out; (row = strstr(row, "IN RATE")); row++)
		tables++;
	ASSERT_EQ(tables, 3, "three rounds, three tables");
	ASSERT_HAS(p.out, "live", "the limit's row");
	ASSERT_HAS(p.out, "KiB/s", "a rate once two rounds were seen");
	netlimit(&p, "top", "--iterations=0", NULL);
	ASSERT_EQ(p.status, 64, "bad --iterations");
	proc_finish(&r, 10);
	ASSERT_EQ(r.status, 0, "the command ran to its end");
out:
	server_stop(s);
}

/* The children a process already has come along (unless --no-children). */
void test_attach_existing_children(void)
{
	struct proc sh, p;
	struct server *s;
	char cmd[1024];
	int port;

	if (!require_root())
		return;
	s = udp_sink(AF_INET, &port);
	if (!ASSERT_TRUE(s, "sink"))
		return;
	/* The shell sends nothing itself; its child sends 600 datagrams over ~1.2 s. */
	snprintf(cmd, sizeof(cmd), "%s udp 127.0.0.1 %d 600 72 2000 & wait", traffic(), port);
	if (!ASSERT_OK(proc_start(&sh, (char *[]){ "/bin/sh", "-c", cmd, NULL }), "shell"))
		goto out;
	msleep(200);
	netlimit(&p, "attach", "--pid", num(sh.pid), "--out=5000", "--name=kids", NULL);
	ASSERT_EQ(p.status, 0, "attach");
	proc_finish(&sh, 10);
	netlimit(&p, "show", "kids", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 5000, "the running child is capped exactly");
	ASSERT_GT(J(p.out, "out_dropped_packets"), 100, "its excess dropped");
	netlimit(&p, "detach", "kids", NULL);

	if (!ASSERT_OK(proc_start(&sh, (char *[]){ "/bin/sh", "-c", cmd, NULL }), "shell"))
		goto out;
	msleep(200);
	netlimit(&p, "attach", "--pid", num(sh.pid), "--out=5000", "--no-children", "--name=solo",
		 NULL);
	ASSERT_EQ(p.status, 0, "attach --no-children");
	proc_finish(&sh, 10);
	netlimit(&p, "show", "solo", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 0, "--no-children: the running child is not counted");
	netlimit(&p, "detach", "solo", NULL);
out:
	server_stop(s);
}

/*
 * A server under a process limit: the connections it accepts (sockets it
 * never created: the kernel clones them from its listener) are its own,
 * counted and capped by its limit and shown under its pid by the meter, and
 * counted among its open sockets while they last.
 */
void test_attach_server_connections(void)
{
	unsigned long long v = 0;
	struct proc srv, cl, p;
	char anchor[32];
	int port;

	if (!require_root())
		return;
	if (!ASSERT_OK(proc_start(&srv, (char *[]){ traffic(), "serve", "127.0.0.1", "4000000",
						    NULL }),
		       "server"))
		return;
	port = printed_port(&srv);
	if (!ASSERT_GT(port, 0, "the server's port"))
		goto out;
	netlimit(&p, "attach", "--pid", num(srv.pid), "--out=300K", "--on-limit=block",
		 "--name=srv", NULL);
	ASSERT_EQ(p.status, 0, "attach --pid to the server");
	netlimit(&p, "meter", "on", NULL);
	/* A download from it, after the limit: a connection the server accepts. */
	proc_run(&cl, (char *[]){ traffic(), "tcp-recv-for", "127.0.0.1", num(port), "1500", NULL },
		 20);
	ASSERT_EQ(cl.status, 0, "the client read for 1.5 s");
	netlimit(&p, "show", "srv", "--json", NULL);
	ASSERT_LE(J(p.out, "out_bytes"), 300 << 10, "never past the cap");
	ASSERT_GT(J(p.out, "out_bytes"), 200 << 10, "the accepted connection counted");
	ASSERT_GT(J(p.out, "out_dropped_bytes"), 0, "the rest dropped");
	for (int i = 0; i < 50 && J(p.out, "socks") != 1; i++) {
		msleep(50);
		netlimit(&p, "show", "srv", "--json", NULL);
	}
	ASSERT_EQ(J(p.out, "socks"), 1, "open sockets: the listener (the accepted one in and out)");
	ASSERT_TRUE(strstr(cl.out, "received ") && atoll(strstr(cl.out, "received ") + 9) <= 300 << 10,
		    "the client got no more than the cap");
	netlimit(&p, "stat", "--json", NULL);
	snprintf(anchor, sizeof(anchor), "{\"pid\":%d,", (int)srv.pid);
	ASSERT_TRUE(json_u64_after(p.out, anchor, "out_bytes", &v), "the meter lists the server");
	ASSERT_GT(v, 200 << 10, "with its accepted connection's bytes");
	netlimit(&p, "meter", "off", NULL);
	/* Its sockets were counted in and out: with the server gone, gc takes the limit. */
	proc_kill(&srv, SIGTERM);
	for (int i = 0; i < 50; i++) {
		netlimit(&p, "gc", NULL);
		netlimit(&p, "show", "srv", NULL);
		if (p.status)
			break;
		msleep(100);
	}
	ASSERT_TRUE(p.status != 0, "gc removed the limit: no socket left open in its count");
	netlimit(&p, "detach", "srv", NULL);
	return;
out:
	proc_kill(&srv, SIGTERM);
}

/*
 * A process limit's count of open TCP sockets is exact through many
 * connections: each is counted from connect or accept until CLOSE (the
 * sockops state callback), on both ends: a client whose sockets come from a
 * child forked after attach, and a server whose connections are accepted.
 */
void test_attach_socket_count_exact(void)
{
	struct proc srv, cl, p;
	char go[64] = "", gofile[80];
	int port, i;

	if (!require_root())
		return;
	if (!ASSERT_OK(proc_start(&srv, (char *[]){ traffic(), "conns-serve", "127.0.0.1", NULL }),
		       "server"))
		return;
	port = printed_port(&srv);
	if (!ASSERT_GT(port, 0, "the server's port"))
		goto out;
	/* A cap no flow reaches: past it, the resets that close the connections would be dropped. */
	netlimit(&p, "attach", "--pid", num(srv.pid), "--limit=100T", "--name=cs", NULL);
	ASSERT_EQ(p.status, 0, "attach --pid to the server");
	snprintf(go, sizeof(go), "/tmp/nl-go-%d", (int)getpid());
	snprintf(gofile, sizeof(gofile), "@%s", go);
	unlink(go);
	if (!ASSERT_OK(proc_start(&cl, (char *[]){ traffic(), "fork-after", gofile, traffic(),
						   "tcp-conns", "127.0.0.1", num(port), "500",
						   "1000", NULL }),
		       "client"))
		goto out;
	netlimit(&p, "attach", "--pid", num(cl.pid), "--limit=1G", "--name=cc", NULL);
	ASSERT_EQ(p.status, 0, "attach --pid to the client");
	sh("touch %s", go);
	proc_finish(&cl, 60);
	ASSERT_HAS(cl.out, "conns 500 ", "every connection made");
	/* The client's ends close first (TIME-WAIT is past CLOSE for the socket). */
	for (i = 0; i < 100; i++) {
		netlimit(&p, "show", "cc", "--json", NULL);
		if (J(p.out, "socks") == 0)
			break;
		msleep(50);
	}
	ASSERT_EQ(J(p.out, "socks"), 0, "the client's 500 sockets counted out, none twice");
	ASSERT_GE(J(p.out, "out_bytes"), 500 * 1000, "and its bytes counted");
	for (i = 0; i < 100; i++) {
		netlimit(&p, "show", "cs", "--json", NULL);
		if (J(p.out, "socks") == 1)
			break;
		msleep(50);
	}
	ASSERT_EQ(J(p.out, "socks"), 1, "the server: its listener alone, 500 accepted ones out");
	ASSERT_GE(J(p.out, "in_bytes"), 500 * 1000, "and their bytes counted");
	/* Eight connections held open: counted in while they last, out after their reset. */
	if (!ASSERT_OK(proc_start(&cl, (char *[]){ traffic(), "tcp-for", "127.0.0.1", num(port),
						   "1500", "8", NULL }),
		       "eight flows"))
		goto out;
	for (i = 0; i < 50; i++) {
		netlimit(&p, "show", "cs", "--json", NULL);
		if (J(p.out, "socks") == 9)
			break;
		msleep(20);
	}
	ASSERT_EQ(J(p.out, "socks"), 9, "the listener and eight accepted connections");
	proc_finish(&cl, 20);
	for (i = 0; i < 100; i++) {
		netlimit(&p, "show", "cs", "--json", NULL);
		if (J(p.out, "socks") == 1)
			break;
		msleep(50);
	}
	if (!ASSERT_EQ(J(p.out, "socks"), 1, "and the eight out again")) {
		fprintf(stderr, "    the limit: %s\n    the server's sockets:\n", p.out);
		sh("ss -Htan '( sport = :%d )' | awk '{print $1}' | sort | uniq -c >&2", port);
	}
	netlimit(&p, "gc", NULL);
	ASSERT_HAS(p.err, "1 limit(s) removed", "gc takes the client's limit, not the server's");
	netlimit(&p, "detach", "cs", NULL);
	ASSERT_EQ(p.status, 0, "detach the server's");
out:
	if (go[0])
		unlink(go);
	proc_kill(&srv, SIGTERM);
}
