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
#include <fcntl.h>
#include <net/if.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

/* Detach every limit `list --json` shows, by id. */
static void detach_listed(void)
{
	char cmd[700];
	unsigned int id, *ids = NULL, *tmp;
	size_t n = 0, cap = 0, i;
	struct proc p;
	FILE *f;
	int c;

	snprintf(cmd, sizeof(cmd), "%s list --json", bin("netlimit"));
	f = popen(cmd, "r");
	if (!f)
		return;
	/* Each limit's object starts {"id":N. */
	while ((c = fgetc(f)) != EOF) {
		if (c != '{' || fscanf(f, "\"id\":%u", &id) != 1)
			continue;
		if (n == cap) {
			tmp = realloc(ids, (cap = cap ? 2 * cap : 256) * sizeof(*ids));
			if (!tmp)
				break;
			ids = tmp;
		}
		ids[n++] = id;
	}
	pclose(f);
	for (i = 0; i < n; i++)
		netlimit(&p, "detach", num(ids[i]), "-q", NULL);
	free(ids);
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

/* Start `netlimit run` on a sleeping command, quietly; its pid. */
static pid_t start_run(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);

		dup2(nul, 0);
		dup2(nul, 1);
		dup2(nul, 2);
		execl(bin("netlimit"), "netlimit", "run", "--out=1G", "-q", "--", "sleep", "3600",
		      (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* `nltraffic park n` in cgroup cg, its pids written to file; its own pid. */
static pid_t start_park(const char *cg, int n, const char *file)
{
	pid_t pid = fork();

	if (pid == 0) {
		char procs[700];
		FILE *f;
		int fd;

		snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
		f = fopen(procs, "w");
		if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f))
			_exit(125);
		fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			_exit(125);
		dup2(fd, 1);
		execl(traffic(), "nltraffic", "park", num((unsigned)n), (char *)NULL);
		_exit(127);
	}
	return pid;
}

/*
 * Every kind at once, and a limit on every interface: n run, n pid, n cgroup
 * and n host limits (n = 100 in the default suite, NETLIMIT_TEST_SCALE in
 * `make test-scale`), plus one on each interface of this namespace, with
 * n / 20 veth pairs added. Then a matching run limit still counts exactly.
 */
void test_scale_every_kind(void)
{
	int n = scale() >= 10000 ? scale() : scale() / 10, pairs = n / 20 > 10 ? n / 20 : 10;
	char cg[512], rel[64], sub[600], addr[32], file[64], line[32];
	int i, port, made = 0, ifaces = 0, total, parked = 0;
	pid_t *runs = calloc((size_t)n, sizeof(*runs)), park = -1;
	struct if_nameindex *ifs = NULL;
	struct proc p, r;
	struct server *s = NULL;
	FILE *f;

	if (!require_root() || !ASSERT_TRUE(runs, "memory"))
		goto out;
	snprintf(rel, sizeof(rel), "ek-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		goto out;
	for (i = 0; i < n; i++)
		runs[i] = start_run();
	snprintf(sub, sizeof(sub), "%s/park", cg);
	snprintf(file, sizeof(file), "/tmp/nl-park-%d", (int)getpid());
	if (!ASSERT_OK(mkdir(sub, 0755), "park cgroup"))
		goto out;
	park = start_park(sub, n, file);
	for (i = 0; i < n; i++) {
		snprintf(addr, sizeof(addr), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		netlimit(&p, "host", addr, "--out=1M", "--cgroup", cg, "-q", NULL);
		made += p.status == 0;
		snprintf(sub, sizeof(sub), "%s/c%d", cg, i);
		if (!mkdir(sub, 0755)) {
			netlimit(&p, "attach", "--cgroup", sub, "--out=1M", "-q", NULL);
			made += p.status == 0;
		}
	}
	for (i = 0; i < 600 && parked < n; i++) {
		msleep(100);
		f = fopen(file, "r");
		parked = 0;
		while (f && fgets(line, sizeof(line), f))
			parked += !strcmp(line, "parked\n") ? n : 0;
		if (f)
			fclose(f);
	}
	ASSERT_EQ(parked, n, "processes parked");
	f = fopen(file, "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (!strcmp(line, "parked\n"))
			break;
		line[strcspn(line, "\n")] = '\0';
		netlimit(&p, "attach", "--pid", line, "--out=1M", "-q", NULL);
		made += p.status == 0;
	}
	if (f)
		fclose(f);
	for (i = 0; i < pairs; i++)
		sh("ip link add nlsa%d type veth peer name nlsb%d && ip link set nlsa%d up && "
		   "ip link set nlsb%d up",
		   i, i, i, i);
	ifs = if_nameindex();
	for (i = 0; ifs && ifs[i].if_index; i++) {
		netlimit(&p, "iface", ifs[i].if_name, "--limit=1T", "-q", NULL);
		made += p.status == 0;
		ifaces++;
	}
	ASSERT_GE(ifaces, 2 * pairs + 1, "every interface: lo and the veths");
	total = 3 * n + ifaces;
	ASSERT_EQ(made, total, "every host, cgroup, pid and interface limit made");
	/* The runs made theirs meanwhile. */
	for (i = 0; i < 300 && listed() < total + n; i++)
		msleep(100);
	ASSERT_EQ(listed(), total + n, "every limit listed, the runs' too");
	/* One more run, under a cap that its traffic reaches: exact among them all. */
	s = udp_sink(AF_INET, &port);
	netlimit(&r, "run", "--out=5000", "--on-limit=block", "--json", "--", traffic(), "udp",
		 "127.0.0.1", num(port), "100", "72", NULL);
	ASSERT_EQ(r.status, 0, "the matching run");
	ASSERT_EQ(J(r.err, "out_bytes"), 5000, "its limit: 50 datagrams of 100 L3 bytes");
	ASSERT_EQ(server_msgs(s), 50, "the sink got exactly those");
out:
	for (i = 0; runs && i < n; i++)
		if (runs[i] > 0)
			kill(runs[i], SIGTERM);
	for (i = 0; runs && i < n; i++)
		if (runs[i] > 0)
			waitpid(runs[i], NULL, 0);
	if (park > 0) {
		kill(park, SIGTERM);
		waitpid(park, NULL, 0);
	}
	if (s)
		server_stop(s);
	/* The targets go first: one gc then removes their limits in one walk. */
	for (i = 0; i < pairs; i++)
		sh("ip link del nlsa%d 2>/dev/null", i);
	if (ifs)
		if_freenameindex(ifs);
	unlink(file);
	for (i = 0; i < n; i++) {
		snprintf(sub, sizeof(sub), "%s/c%d", cg, i);
		rmdir(sub);
	}
	snprintf(sub, sizeof(sub), "%s/park", cg);
	rmdir(sub);
	rmdir(cg);
	netlimit(&p, "gc", "-q", NULL);
	/* What has a target still (loopback's limit): detached by the ids listed. */
	detach_listed();
	ASSERT_EQ(listed(), 0, "all removed");
	free(runs);
}
