// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `netlimit top` (user/top.c, user/usage.c): its JSON rounds checked field
 * by field against known traffic, and its full screen driven in a real
 * terminal (tmux), keys and all, down to the terminal it leaves behind.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "harness.h"
#include "helpers.h"

/* The last non-empty line of text (top --json prints one object per round). */
static const char *last_line(char *text)
{
	size_t n = strlen(text);

	while (n && text[n - 1] == '\n')
		text[--n] = '\0';
	while (n && text[n - 1] != '\n')
		n--;
	return text + n;
}

static unsigned long long field(const char *json, const char *anchor, const char *key)
{
	unsigned long long v = ~0ULL;

	if (!json_u64_after(json, anchor, key, &v))
		test_fail_at(__FILE__, __LINE__, "no %s after %s in: %.2000s", key, anchor, json);
	return v;
}

static int count_lines(const char *text)
{
	int n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* Whether the object that starts at anchor holds text. */
static bool obj_has(const char *json, const char *anchor, const char *text)
{
	const char *o = strstr(json, anchor), *end, *t;

	if (!o)
		return false;
	end = strchr(o, '}');
	t = strstr(o, text);
	return t && end && t < end;
}

static const char *pid_anchor(pid_t pid)
{
	static char a[64];

	snprintf(a, sizeof(a), "{\"pid\":%d,", (int)pid);
	return a;
}

/* Until the meter is on (top turns it on when it starts). */
static bool meter_on(void)
{
	struct proc p;

	for (int i = 0; i < 100; i++) {
		netlimit(&p, "meter", "status", "--json", NULL);
		if (strstr(p.out, "\"meter\":true"))
			return true;
		msleep(30);
	}
	return false;
}

/*
 * Two processes of one cgroup, a process and its child, and one that exits
 * between two rounds: every view holds exactly their datagrams.
 */
void test_top_json_counts(void)
{
	static char rounds[1 << 20];
	char cg[512], rel[64], anchor[160], file[64], cmd[700];
	struct proc t, p, a, b, f, s1, tc;
	unsigned long long sum, cg_out, cg_in;
	struct server *s = NULL, *ts = NULL;
	const char *last;
	pid_t child;
	int port, tport, id;

	if (!require_root())
		return;
	snprintf(rel, sizeof(rel), "tj-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		return;
	netlimit(&p, "attach", "--cgroup", cg, "--out=1G", "--name=tj", "--json", NULL);
	id = (int)J(p.out, "id");
	s = udp_sink_at("127.0.0.3", &port);
	ts = tcp_sink_at("127.0.0.2", &tport);
	/* Rounds outgrow a struct proc's buffer: to a file. */
	snprintf(file, sizeof(file), "/tmp/nltop-json-%d", (int)getpid());
	snprintf(cmd, sizeof(cmd), "exec %s top --json --iterations=8 --interval=400ms > %s",
		 bin("netlimit"), file);
	if (!ASSERT_OK(proc_start(&t, (char *[]){ "/bin/sh", "-c", cmd, NULL }), "top") ||
	    !ASSERT_TRUE(meter_on(), "top turned the meter on"))
		goto out;
	start_in_cgroup(&a, cg,
			(char *[]){ traffic(), "udp", "127.0.0.3", num(port), "30", "100", NULL });
	start_in_cgroup(&b, cg,
			(char *[]){ traffic(), "udp", "127.0.0.3", num(port), "70", "200", NULL });
	start_in_cgroup(
		&f, cg,
		(char *[]){ traffic(), "udp-fork", "127.0.0.3", num(port), "5", "50", NULL });
	/* Short-lived: gone long before top's last round. */
	start_in_cgroup(&s1, cg,
			(char *[]){ traffic(), "udp", "127.0.0.3", num(port), "7", "100", NULL });
	/* TCP to another address: 200,000 bytes up. */
	start_in_cgroup(&tc, cg,
			(char *[]){ traffic(), "tcp-send", "127.0.0.2", num(tport), "200000", NULL });
	proc_finish(&a, 10);
	proc_finish(&b, 10);
	proc_finish(&f, 10);
	proc_finish(&s1, 10);
	proc_finish(&tc, 10);
	child = (pid_t)atoi(strstr(f.out, "child ") ? strstr(f.out, "child ") + 6 : "0");
	proc_finish(&t, 20);
	ASSERT_EQ(t.status, 0, "top ran its 8 rounds");
	{
		FILE *fp = fopen(file, "r");
		size_t n = fp ? fread(rounds, 1, sizeof(rounds) - 1, fp) : 0;

		rounds[n] = '\0';
		if (fp)
			fclose(fp);
		unlink(file);
		ASSERT_EQ(count_lines(rounds), 8, "8 rounds, a line each");
	}
	last = last_line(rounds);
	sum = 37 * 128 + 70 * 228 + 15 * 78;
	ASSERT_EQ(field(last, pid_anchor(a.pid), "out_bytes"), 30 * 128, "first process");
	ASSERT_EQ(field(last, pid_anchor(b.pid), "out_bytes"), 70 * 228, "second process");
	ASSERT_EQ(field(last, pid_anchor(f.pid), "out_bytes"), 5 * 78, "a parent: its own");
	ASSERT_EQ(field(last, pid_anchor(child), "out_bytes"), 10 * 78, "its child apart");
	ASSERT_EQ(field(last, pid_anchor(s1.pid), "out_bytes"), 7 * 128, "the short-lived one");
	ASSERT_EQ(field(last, pid_anchor(s1.pid), "out_packets"), 7, "its packets");
	ASSERT_TRUE(obj_has(last, pid_anchor(s1.pid), "\"ended\":true"), "marked ended");
	ASSERT_TRUE(obj_has(last, pid_anchor(child), "\"ended\":true"), "the child too");
	ASSERT_EQ(field(last, pid_anchor(a.pid), "uid"), 0, "its uid");
	snprintf(anchor, sizeof(anchor), "%s\"uid\":0,\"user\":\"root\",\"comm\":\"nltraffic\"",
		 pid_anchor(a.pid));
	ASSERT_HAS(last, anchor, "user and command");
	snprintf(anchor, sizeof(anchor), "%s", pid_anchor(a.pid));
	ASSERT_HAS(strstr(last, anchor), "\"limits\":\"", "the limits it is under");
	{
		char lim[64];

		snprintf(lim, sizeof(lim), "\"limits\":\"%d\"", id);
		ASSERT_HAS(strstr(last, anchor), lim, "its cgroup's limit");
	}
	/* The UDP host: exactly the datagrams; the cgroup and the limit: the same packets. */
	ASSERT_HAS(last, rel, "the cgroup by path");
	ASSERT_EQ(field(last, "{\"address\":\"127.0.0.3\",", "out_bytes"), sum,
		  "the host 127.0.0.3: the UDP sum (its sockets closed)");
	ASSERT_EQ(field(last, "{\"address\":\"127.0.0.3\",", "in_bytes"), 0,
		  "nothing from it");
	ASSERT_GT(field(last, pid_anchor(tc.pid), "out_bytes"), 200000, "the TCP sender: its bytes");
	ASSERT_GT(field(last, "{\"address\":\"127.0.0.2\",", "out_bytes"), 200000,
		  "the TCP host");
	snprintf(anchor, sizeof(anchor), "/%s\",", rel);
	cg_out = field(last, anchor, "out_bytes");
	cg_in = field(last, anchor, "in_bytes");
	ASSERT_EQ(cg_out, sum + field(last, pid_anchor(tc.pid), "out_bytes"),
		  "the cgroup: its processes' sum");
	ASSERT_EQ(field(last, "\"name\":\"tj\",", "out_bytes"), cg_out,
		  "the limit counted what the meter did, out");
	ASSERT_EQ(field(last, "\"name\":\"tj\",", "in_bytes"), cg_in, "and in (TCP's ACKs)");
	ASSERT_EQ(field(last, "\"total\":{", "out_bytes"), field(last, "\"total\":{", "in_bytes"),
		  "loopback: what went out came in");
	ASSERT_HAS(last, "\"interface\":\"lo\"", "the interfaces");
	/* top leaves the meter as it found it. */
	netlimit(&p, "meter", "status", "--json", NULL);
	ASSERT_HAS(p.out, "\"meter\":false", "the meter is off again");
out:
	if (s)
		server_stop(s);
	if (ts)
		server_stop(ts);
	netlimit(&p, "detach", "tj", NULL);
	rmdir(cg);
}

/* A tmux server of the test's own: its socket name. */
static char tmux_sock[64];

static int tmux(const char *fmt, const char *arg)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "tmux -L %s ", tmux_sock);
	snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), fmt, arg);
	return sh("%s", cmd);
}

/* The screen now. */
static const char *screen(void)
{
	static char buf[65536];
	char cmd[256];
	size_t n;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "tmux -L %s capture-pane -p -t nltop 2>/dev/null", tmux_sock);
	f = popen(cmd, "r");
	if (!f)
		return "";
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	pclose(f);
	return buf;
}

/* Wait until the screen shows text (or not, when gone is set). */
static bool shows(const char *text, bool gone)
{
	for (int i = 0; i < 100; i++) {
		if (!strstr(screen(), text) == gone)
			return true;
		msleep(50);
	}
	return false;
}

static bool file_has(const char *path, const char *text)
{
	char buf[4096];
	size_t n;
	FILE *f;

	for (int i = 0; i < 100; i++) {
		f = fopen(path, "r");
		if (f) {
			n = fread(buf, 1, sizeof(buf) - 1, f);
			buf[n] = '\0';
			fclose(f);
			if (strstr(buf, text))
				return true;
		}
		msleep(50);
	}
	return false;
}

/* Start top in a new tmux session; after it ends, the shell records the terminal's modes. */
static bool start_top(const char *done)
{
	char cmd[1024];

	unlink(done);
	snprintf(cmd, sizeof(cmd),
		 "new-session -d -s nltop -x 220 -y 50 \"%s top -i 300ms; stty -a > %s; echo "
		 "done >> %s; sleep 30\"",
		 bin("netlimit"), done, done);
	return !tmux("%s", cmd) && shows("netlimit top", false);
}

/* The terminal after top: canonical input and echo back on. */
static void assert_restored(const char *done, const char *how)
{
	char buf[4096] = "";
	FILE *f;
	size_t n;

	if (!ASSERT_TRUE(file_has(done, "done"), how))
		return;
	f = fopen(done, "r");
	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	ASSERT_TRUE(strstr(buf, " icanon") && !strstr(buf, "-icanon"), "canonical input restored");
	ASSERT_TRUE(strstr(buf, " echo ") && !strstr(buf, "-echo "), "echo restored");
}

void test_top_terminal(void)
{
	char cg[512], rel[64], done[64], pidtext[32];
	struct proc p, a;
	struct server *s = NULL;
	int port;
	pid_t shell = 0, top = 0;
	FILE *f;

	if (!require_root())
		return;
	snprintf(tmux_sock, sizeof(tmux_sock), "nltest%d", (int)getpid());
	snprintf(done, sizeof(done), "/tmp/nltop-%d", (int)getpid());
	snprintf(rel, sizeof(rel), "tt-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		return;
	netlimit(&p, "attach", "--cgroup", cg, "--out=1G", "--name=termlim", NULL);
	s = udp_sink(AF_INET, &port);
	/* A sender that keeps going: about 1,000 datagrams a second for 8 s. */
	start_in_cgroup(&a, cg,
			(char *[]){ traffic(), "udp", "127.0.0.1", num(port), "8000", "100", "1000",
				    NULL });
	if (!ASSERT_TRUE(start_top(done), "top on the screen"))
		goto out;
	ASSERT_TRUE(shows("1 processes", false), "the views' tabs");
	ASSERT_TRUE(shows(num((unsigned)a.pid), false), "the sender's pid");
	ASSERT_TRUE(shows("nltraffic", false), "and its command");
	ASSERT_TRUE(shows("KiB/s", false), "with a rate");
	tmux("send-keys -t nltop %s", "5");
	ASSERT_TRUE(shows("termlim", false), "5: the limits view");
	tmux("send-keys -t nltop %s", "3");
	ASSERT_TRUE(shows("127.0.0.1", false), "3: the hosts view");
	tmux("send-keys -t nltop %s", "2");
	ASSERT_TRUE(shows(rel, false), "2: the cgroups view names the cgroup");
	tmux("send-keys -t nltop %s", "/ z z z Enter");
	ASSERT_TRUE(shows("(none)", false), "a filter that matches nothing");
	tmux("send-keys -t nltop %s", "/ BSpace BSpace BSpace Enter");
	ASSERT_TRUE(shows(rel, false), "the filter cleared");
	tmux("send-keys -t nltop %s", "O");
	ASSERT_TRUE(shows("sort: out", false), "O: sorted by total out");
	tmux("send-keys -t nltop %s", "h");
	ASSERT_TRUE(shows("this help", false), "h: help");
	tmux("send-keys -t nltop %s", "x");
	ASSERT_TRUE(shows("this help", true), "any key closes it");
	tmux("send-keys -t nltop %s", "p");
	ASSERT_TRUE(shows("[paused]", false), "p: paused");
	tmux("send-keys -t nltop %s", "q");
	assert_restored(done, "q ends it");
	tmux("%s", "kill-session -t nltop");
	/* Ctrl-C. */
	if (!ASSERT_TRUE(start_top(done), "top again"))
		goto out;
	tmux("send-keys -t nltop %s", "C-c");
	assert_restored(done, "Ctrl-C ends it");
	tmux("%s", "kill-session -t nltop");
	/* SIGTERM, to top itself: the shell's child in the pane. */
	if (!ASSERT_TRUE(start_top(done), "top a third time"))
		goto out;
	snprintf(pidtext, sizeof(pidtext), "/tmp/nltop-pane-%d", (int)getpid());
	{
		char cmd[256], path[96];

		snprintf(cmd, sizeof(cmd), "display -p -t nltop '#{pane_pid}' > %s", pidtext);
		tmux("%s", cmd);
		f = fopen(pidtext, "r");
		if (f && fscanf(f, "%d", &shell) != 1)
			shell = 0;
		if (f)
			fclose(f);
		unlink(pidtext);
		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)shell, (int)shell);
		f = fopen(path, "r");
		if (f && fscanf(f, "%d", &top) != 1)
			top = 0;
		if (f)
			fclose(f);
	}
	if (ASSERT_GT(top, 0, "top's pid"))
		kill(top, SIGTERM);
	assert_restored(done, "SIGTERM ends it");
out:
	tmux("%s", "kill-server");
	proc_kill(&a, SIGKILL);
	if (s)
		server_stop(s);
	unlink(done);
	netlimit(&p, "detach", "termlim", NULL);
	rmdir(cg);
}

void test_top_refusals(void)
{
	struct proc p, *q;
	char *nl;

	if (!require_root())
		return;
	netlimit(&p, "top", "--view=sideways", NULL);
	ASSERT_EQ(p.status, 64, "an unknown view");
	ASSERT_HAS(p.err, "--view", "names the option");
	netlimit(&p, "top", "--sort=size", NULL);
	ASSERT_EQ(p.status, 64, "an unknown sort");
	netlimit(&p, "top", "--interval=0", NULL);
	ASSERT_EQ(p.status, 64, "interval 0");
	netlimit(&p, "top", "--timeout=soon", NULL);
	ASSERT_EQ(p.status, 64, "a bad timeout");
	netlimit(&p, "top", "--iterations=-1", NULL);
	ASSERT_EQ(p.status, 64, "a bad count");
	netlimit(&p, "top", "extra", NULL);
	ASSERT_EQ(p.status, 64, "an argument");
	/* --timeout ends it by itself; --once prints one table. */
	netlimit(&p, "top", "--timeout=700ms", "--interval=200ms", "--view=interfaces", NULL);
	ASSERT_EQ(p.status, 0, "--timeout ends it");
	ASSERT_HAS(p.out, "lo ", "the loopback interface listed");
	netlimit(&p, "top", "--once", "--view=limits", NULL);
	ASSERT_EQ(p.status, 0, "--once");
	ASSERT_HAS(p.out, "(none)", "no limit, and it still works");
	q = mmap_shared_proc();
	nl = strdup(bin("netlimit"));
	if (ASSERT_TRUE(q && nl, "memory")) {
		run_as_nobody(q, (char *[]){ nl, "top", "--once", NULL });
		ASSERT_EQ(q->status, 77, "not root");
		ASSERT_HAS(q->err, "sudo", "says what to do");
	}
	free(nl);
}
