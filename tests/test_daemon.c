// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The netlimit service (`netlimit daemon`): users who are not root run and
 * attach their own processes through it with the cap holding to the byte;
 * it refuses another user's process, a cgroup, a root limit, a raised cap,
 * another user's limit; it survives hostile clients; it saves on a timer
 * and at SIGTERM and restores at start.
 */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include "harness.h"
#include "helpers.h"

#define USER_A 65534 /* nobody */
#define USER_B 65533

struct svc {
	struct proc p;
	char sock[108], file[64];
};

static bool svc_start(struct svc *s, const char *interval)
{
	char sockopt[160], fileopt[100], ivopt[64];

	snprintf(s->sock, sizeof(s->sock), "/tmp/nl-svc-%d/netlimit.sock", (int)getpid());
	snprintf(s->file, sizeof(s->file), "/tmp/nl-svc-%d.save", (int)getpid());
	snprintf(sockopt, sizeof(sockopt), "--socket=%s", s->sock);
	snprintf(fileopt, sizeof(fileopt), "--state-file=%s", s->file);
	snprintf(ivopt, sizeof(ivopt), "--save-interval=%s", interval);
	setenv("NETLIMIT_SOCKET", s->sock, 1);
	if (netlimit_bg(&s->p, "daemon", sockopt, fileopt, ivopt, NULL))
		return false;
	for (int i = 0; i < 100; i++) {
		if (!access(s->sock, F_OK))
			return true;
		msleep(50);
	}
	return false;
}

/* SIGTERM, and its exit status. */
static int svc_stop(struct svc *s)
{
	if (s->p.pid <= 0)
		return -1;
	kill(s->p.pid, SIGTERM);
	proc_finish(&s->p, 20);
	s->p.pid = 0;
	return s->p.status;
}

static void svc_clean(struct svc *s)
{
	char dir[128];

	if (s->p.pid > 0)
		svc_stop(s);
	unlink(s->file);
	snprintf(dir, sizeof(dir), "/tmp/nl-svc-%d", (int)getpid());
	rmdir(dir);
}

/* `netlimit ARGS...` as uid, like a user at a terminal: no root, no capabilities. */
static int as_user(uid_t uid, struct proc *out, ...)
{
	struct proc *p = mmap_shared_proc();
	char *argv[64];
	va_list ap;
	int argc = 0, st;
	pid_t pid;

	argv[argc++] = strdup(bin("netlimit"));
	va_start(ap, out);
	while (argc < 63 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(uid) || setuid(uid))
			_exit(90);
		proc_run(p, argv, 60);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	*out = *p;
	munmap(p, sizeof(*p));
	free(argv[0]);
	return out->status;
}

static int one_line(const struct proc *p)
{
	return p->err_len && strchr(p->err, '\n') - p->err + 1 == (long)p->err_len;
}

/* A user's run: the cap holds to the byte (block), and ends the command (kill, exit 120). */
void test_daemon_user_run(void)
{
	struct server *sink = NULL;
	struct svc s = { 0 };
	struct proc p;
	int port;

	if (!require_root())
		return;
	if (!ASSERT_TRUE(svc_start(&s, "5m"), "service up"))
		goto out;
	sink = udp_sink(AF_INET, &port);
	/* 20 datagrams of 1,028 IP bytes against a cap of ten. */
	as_user(USER_A, &p, "run", "--out=10280", "--on-limit=block", "--json", "--", traffic(),
		"udp", "127.0.0.1", num(port), "20", "1000", NULL);
	ASSERT_EQ(p.status, 0, "the command's own status");
	ASSERT_HAS(p.out, "sent 20", "the command ran, as the user");
	ASSERT_EQ(J(p.err, "out_bytes"), 10280, "the limit's count, to the byte");
	ASSERT_EQ(J(p.err, "out_dropped_packets"), 10, "the rest dropped");
	msleep(200);
	ASSERT_EQ(server_msgs(sink), 10, "what arrived: ten datagrams");
	/* The default action: the command ends at its cap. */
	as_user(USER_A, &p, "run", "--out=10280", "--", traffic(), "udp", "127.0.0.1", num(port),
		"2000", "1000", "1000", NULL);
	ASSERT_EQ(p.status, 120, "ended at its cap");
	ASSERT_HAS(p.err, "ended by netlimit", "says so");
	ASSERT_HAS(p.err, "cap reached: out", "which cap");
	/* The user's id, not root's, ran the command. */
	as_user(USER_A, &p, "run", "--out=1M", "--", "/usr/bin/id", "-u", NULL);
	ASSERT_STREQ(p.out, "65534\n", "the command runs as the user");
	setenv("PATH", "/usr/bin:/bin", 1); /* the harness runs without one */
	as_user(USER_A, &p, "run", "--out=1M", "--", "no-such-command-here", NULL);
	ASSERT_EQ(p.status, 127, "command not found");
	netlimit(&p, "list", "--json", NULL);
	ASSERT_STREQ(p.out, "[]\n", "every run's limit removed at its end");
out:
	server_stop(sink);
	svc_clean(&s);
}

/* What a user may not do, each refused with one line and status 77. */
void test_daemon_user_refusals(void)
{
	char *sleep_argv[] = { "/bin/sleep", "60", NULL };
	struct proc p, root_proc = { 0 };
	struct svc s = { 0 };
	char pidopt[64];
	pid_t upid = 0;

	if (!require_root())
		return;
	if (!ASSERT_TRUE(svc_start(&s, "5m"), "service up"))
		goto out;
	proc_start(&root_proc, sleep_argv);
	upid = fork();
	if (upid == 0) {
		if (setgid(USER_A) || setuid(USER_A))
			_exit(90);
		execv(sleep_argv[0], sleep_argv);
		_exit(127);
	}
	snprintf(pidopt, sizeof(pidopt), "--pid=%d", (int)root_proc.pid);
	as_user(USER_A, &p, "attach", pidopt, "--out=1M", NULL);
	ASSERT_EQ(p.status, 77, "root's process");
	ASSERT_HAS(p.err, "is not yours", "says why");
	ASSERT_TRUE(one_line(&p), "one line");
	as_user(USER_A, &p, "attach", "--cgroup=/", "--out=1M", NULL);
	ASSERT_EQ(p.status, 77, "a cgroup");
	ASSERT_HAS(p.err, "users limit their own processes", "says why");
	as_user(USER_A, &p, "host", "192.0.2.1", "--in=1M", NULL);
	ASSERT_EQ(p.status, 77, "a host limit is root's");
	netlimit(&p, "host", "192.0.2.1", "--in=1M", "--name=rooth", "-q", NULL);
	as_user(USER_A, &p, "detach", "rooth", NULL);
	ASSERT_EQ(p.status, 77, "lift a root limit");
	ASSERT_HAS(p.err, "was not made by you", "says why");
	as_user(USER_A, &p, "set", "rooth", "--in=10M", NULL);
	ASSERT_EQ(p.status, 77, "raise a root limit");
	/* The user's own process and limit. */
	snprintf(pidopt, sizeof(pidopt), "--pid=%d", (int)upid);
	as_user(USER_A, &p, "attach", pidopt, "--out=1M", "--name=mine", NULL);
	ASSERT_EQ(p.status, 0, "own process");
	netlimit(&p, "show", "mine", "--json", NULL);
	ASSERT_EQ(J(p.out, "owner_uid"), USER_A, "owned by the user");
	as_user(USER_A, &p, "set", "mine", "--out=2M", NULL);
	ASSERT_EQ(p.status, 77, "raise own cap");
	ASSERT_HAS(p.err, "only tighten", "says why");
	as_user(USER_A, &p, "set", "mine", "--out=none", NULL);
	ASSERT_EQ(p.status, 77, "remove own cap");
	as_user(USER_A, &p, "set", "mine", "--period=day", NULL);
	ASSERT_EQ(p.status, 77, "a period later");
	as_user(USER_A, &p, "set", "mine", "--out=500K", "--in-rate=1mbit", NULL);
	ASSERT_EQ(p.status, 0, "tighten own: lower cap, new rate");
	as_user(USER_A, &p, "set", "mine", "--in-rate=2mbit", NULL);
	ASSERT_EQ(p.status, 77, "raise own rate");
	netlimit(&p, "show", "mine", "--json", NULL);
	ASSERT_EQ(J(p.out, "cap_out"), 500 * 1024, "the lower cap holds");
	as_user(USER_A, &p, "reset", "mine", NULL);
	ASSERT_EQ(p.status, 77, "reset is root's");
	as_user(USER_B, &p, "detach", "mine", NULL);
	ASSERT_EQ(p.status, 77, "another user's limit");
	as_user(USER_B, &p, "set", "mine", "--out=1K", NULL);
	ASSERT_EQ(p.status, 77, "another user's limit, even tighter");
	as_user(USER_B, &p, "list", NULL);
	ASSERT_EQ(p.status, 0, "list is for everyone");
	ASSERT_HAS(p.out, "mine", "shows it");
	as_user(USER_A, &p, "attach", "--pid=1", "--out=1M", NULL);
	ASSERT_EQ(p.status, 77, "PID 1");
	as_user(USER_A, &p, "attach", "--pid=99999999", "--out=1M", NULL);
	ASSERT_EQ(p.status, 64, "a pid out of range is refused by the parse");
	as_user(USER_A, &p, "detach", "mine", NULL);
	ASSERT_EQ(p.status, 0, "detach own");
out:
	netlimit(&p, "detach", "rooth", "-q", NULL);
	netlimit(&p, "detach", "mine", "-q", NULL);
	if (root_proc.pid > 0)
		proc_kill(&root_proc, SIGKILL);
	if (upid > 0) {
		kill(upid, SIGKILL);
		waitpid(upid, NULL, 0);
	}
	svc_clean(&s);
}

static int raw_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send one frame of text; the reply's first bytes (or "" if the service closed). */
static void raw_ask(const char *path, const void *frame, size_t len, char *out, size_t cap)
{
	int fd = raw_connect(path);
	ssize_t n = 0, r;

	out[0] = '\0';
	if (fd < 0)
		return;
	if (write(fd, frame, len) == (ssize_t)len) {
		while ((size_t)n < cap - 1 && (r = read(fd, out + n, cap - 1 - (size_t)n)) > 0)
			n += r;
	}
	out[n > 0 ? n : 0] = '\0';
	close(fd);
}

static size_t frame(char *buf, const char *text)
{
	size_t n = strlen(text);

	buf[0] = (char)n;
	buf[1] = (char)(n >> 8);
	buf[2] = (char)(n >> 16);
	buf[3] = (char)(n >> 24);
	memcpy(buf + 4, text, n);
	return n + 4;
}

/* Garbage, oversized, slow and many clients: refused or dropped; the service answers on. */
void test_daemon_hostile_clients(void)
{
	static char buf[8192], out[8192];
	int idle[100], slow;
	struct svc s = { 0 };
	struct proc p;
	size_t n;

	if (!require_root())
		return;
	for (size_t i = 0; i < 100; i++)
		idle[i] = -1;
	slow = -1;
	if (!ASSERT_TRUE(svc_start(&s, "5m"), "service up"))
		goto out;
	n = frame(buf, "hello\n");
	raw_ask(s.sock, buf, n, out, sizeof(out));
	ASSERT_HAS(out + 4, "status=64", "garbage: usage status");
	ASSERT_HAS(out + 4, "is%20not%20a%20netlimit%20request", "says why");
	n = frame(buf, "netlimit-request 1\nop=attach\narg=--cgroup=/\n");
	raw_ask(s.sock, buf, n, out, sizeof(out));
	ASSERT_HAS(out + 4, "status=77", "a cgroup through the socket");
	n = frame(buf, "netlimit-request 1\nop=list\nfrob=1\n");
	raw_ask(s.sock, buf, n, out, sizeof(out));
	ASSERT_HAS(out + 4, "unknown%20key", "an unknown key");
	n = frame(buf, "netlimit-request 1\nop=list\narg=%ZZ\n");
	raw_ask(s.sock, buf, n, out, sizeof(out));
	ASSERT_HAS(out + 4, "badly%20escaped", "a broken escape");
	/* A frame that says 1 GiB. */
	memcpy(buf, "\x00\x00\x00\x40", 4);
	raw_ask(s.sock, buf, 4, out, sizeof(out));
	ASSERT_HAS(out + 4, "longer%20than", "a huge frame: refused before reading it");
	/* Slowloris: half a frame, then nothing; 100 idle connections beside it. */
	slow = raw_connect(s.sock);
	ASSERT_EQ(write(slow, "\x40\x00\x00\x00netlimit", 12), 12, "half a frame");
	for (size_t i = 0; i < 100; i++)
		idle[i] = raw_connect(s.sock);
	as_user(USER_A, &p, "list", NULL);
	ASSERT_EQ(p.status, 0, "a real client is answered meanwhile");
	ASSERT_HAS(p.out, "ID", "with the list");
	msleep(2500);
	/* The slow one was dropped after its 2 s. */
	ASSERT_EQ(read(slow, out, sizeof(out)), 0, "the slow client dropped");
	as_user(USER_A, &p, "list", NULL);
	ASSERT_EQ(p.status, 0, "still answering");
	ASSERT_TRUE(pid_alive(s.p.pid), "the service lives");
out:
	for (size_t i = 0; i < 100; i++)
		if (idle[i] >= 0)
			close(idle[i]);
	if (slow >= 0)
		close(slow);
	svc_clean(&s);
}

/* Saves on its timer and at SIGTERM; restores at start; one service per socket. */
void test_daemon_save_restore(void)
{
	struct svc s = { 0 };
	struct stat sb;
	struct proc p;
	char sockopt[160];
	bool saved = false;

	if (!require_root())
		return;
	if (!ASSERT_TRUE(svc_start(&s, "1s"), "service up"))
		goto out;
	ASSERT_EQ(stat(s.sock, &sb), 0, "socket there");
	ASSERT_EQ(sb.st_mode & 0777, 0666, "any user may connect: each request is checked");
	snprintf(sockopt, sizeof(sockopt), "/tmp/nl-svc-%d", (int)getpid());
	ASSERT_EQ(stat(sockopt, &sb), 0, "its directory");
	ASSERT_EQ(sb.st_mode & 0022, 0, "not writable by others");
	snprintf(sockopt, sizeof(sockopt), "--socket=%s", s.sock);
	netlimit(&p, "daemon", sockopt, NULL);
	ASSERT_EQ(p.status, 75, "a second service on the same socket");
	ASSERT_HAS(p.err, "another netlimit service listens", "says so");
	netlimit(&p, "daemon", "--socket-group=no-such-group-here", NULL);
	ASSERT_EQ(p.status, 64, "a group that does not exist");
	as_user(USER_A, &p, "daemon", NULL);
	ASSERT_EQ(p.status, 77, "not root");
	netlimit(&p, "host", "192.0.2.44", "--in=7M", "--name=kept", "-q", NULL);
	for (int i = 0; i < 40 && !saved; i++) {
		msleep(100);
		saved = !sh("grep -q 'name=kept' %s 2>/dev/null", s.file);
	}
	ASSERT_TRUE(saved, "saved within its interval");
	ASSERT_EQ(stat(s.file, &sb), 0, "the file");
	ASSERT_EQ(sb.st_mode & 0777, 0600, "root's alone");
	ASSERT_EQ(svc_stop(&s), 0, "SIGTERM: exit 0");
	ASSERT_EQ(access(s.sock, F_OK), -1, "socket removed");
	netlimit(&p, "detach", "kept", "-q", NULL);
	netlimit(&p, "list", "--json", NULL);
	ASSERT_STREQ(p.out, "[]\n", "gone before the restart");
	if (!ASSERT_TRUE(svc_start(&s, "5m"), "service up again"))
		goto out;
	netlimit(&p, "show", "kept", "--json", NULL);
	ASSERT_EQ(J(p.out, "cap_in"), 7 * 1024 * 1024, "made again from the save");
out:
	netlimit(&p, "detach", "kept", "-q", NULL);
	svc_clean(&s);
}
