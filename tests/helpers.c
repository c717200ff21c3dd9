// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Shared machinery of the end-to-end tests. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "cgroup.h"
#include "harness.h"
#include "limit.h"
#include "refmeter.skel.h"
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "helpers.h"

#define TEST_STATE "/sys/fs/bpf/netlimit-test"
/*
 * The tests' subtree of the cgroup2 hierarchy, never the root: the
 * dataplane attaches here, `run` makes its cgroups in runs/, and each test
 * process lives in procs/, so all their traffic passes the dataplane.
 */
#define TEST_CGROUP "netlimit-test"

static char bindir[512];
static char binpath[600];

bool in_ci(void)
{
	const char *ci = getenv("CI");

	return ci && (!strcmp(ci, "true") || !strcmp(ci, "1"));
}

void test_env_init(const char *argv0)
{
	char exe[512];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		exe[n] = '\0';
		snprintf(bindir, sizeof(bindir), "%s", dirname(exe));
	} else {
		snprintf(exe, sizeof(exe), "%s", argv0);
		snprintf(bindir, sizeof(bindir), "%s", dirname(exe));
	}
	setenv("NETLIMIT_STATE", TEST_STATE, 1);
	setenv("NETLIMIT_CGROUP", TEST_CGROUP "/runs", 1);
	/*
	 * --in-rate's shaper attaches to every interface of netlimit's network
	 * namespace: only tests that run netlimit in a namespace of their own
	 * turn it on (tests/test_shaper.c); elsewhere --in-rate polices.
	 */
	setenv("NETLIMIT_SHAPER", "off", 1);
	test_base_cgroup(exe, sizeof(exe));
	setenv("NETLIMIT_DATAPLANE_CGROUP", exe, 1);
}

void test_base_cgroup(char *buf, size_t len)
{
	char mnt[256] = "/sys/fs/cgroup";

	nl_cgroup_mount(mnt, sizeof(mnt));
	snprintf(buf, len, "%s/%s", mnt, TEST_CGROUP);
}

int test_enter_procs(void)
{
	char path[512];

	test_base_cgroup(path, sizeof(path) - 8);
	mkdir(path, 0755);
	strcat(path, "/procs");
	mkdir(path, 0755);
	return nl_cgroup_enter(path, getpid());
}

const char *bin(const char *name)
{
	snprintf(binpath, sizeof(binpath), "%s/%s", bindir, name);
	return binpath;
}

const char *test_state_dir(void)
{
	return TEST_STATE;
}

void test_cgroup_parent(char *buf, size_t len)
{
	char mnt[256] = "/sys/fs/cgroup";

	nl_cgroup_mount(mnt, sizeof(mnt));
	snprintf(buf, len, "%s/%s/runs", mnt, TEST_CGROUP);
}

static void remove_tree(const char *dir)
{
	struct dirent *de;
	char path[768];
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (de->d_type == DT_DIR)
			remove_tree(path);
		else
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

int test_ref_cgroups(bool remove)
{
	char mnt[256], path[600];
	struct dirent *de;
	int n = 0;
	DIR *d;

	if (nl_cgroup_mount(mnt, sizeof(mnt)) || !(d = opendir(mnt)))
		return 0;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, TEST_CGROUP "-ref-", strlen(TEST_CGROUP "-ref-")))
			continue;
		n++;
		snprintf(path, sizeof(path), "%s/%s", mnt, de->d_name);
		if (remove)
			nl_cgroup_remove(path);
	}
	closedir(d);
	return n;
}

/* Kill what is in our cgroups, remove them and every pin of ours. */
/* A cgroup and every cgroup below it, deepest first, their processes killed. */
static void cgroup_remove_tree(const char *path)
{
	char sub[1024];
	struct dirent *de;
	DIR *d;

	nl_cgroup_kill(path);
	d = opendir(path);
	if (d) {
		while ((de = readdir(d))) {
			if (de->d_type != DT_DIR || de->d_name[0] == '.')
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			cgroup_remove_tree(sub);
		}
		closedir(d);
	}
	nl_cgroup_remove(path);
}

void test_env_scrub(void)
{
	char cg[512], path[768];
	struct dirent *de;
	DIR *d;

	test_ref_cgroups(true);
	test_cgroup_parent(cg, sizeof(cg));
	d = opendir(cg);
	if (d) {
		while ((de = readdir(d))) {
			if (de->d_type != DT_DIR || de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", cg, de->d_name);
			cgroup_remove_tree(path); /* a test that timed out may leave a tree */
		}
		closedir(d);
	}
	d = opendir(TEST_STATE);
	if (d) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", TEST_STATE, de->d_name);
			if (de->d_type == DT_DIR)
				remove_tree(path);
			else
				unlink(path);
		}
		closedir(d);
	}
}

void test_env_fini(void)
{
	char cg[512], procs[600];

	test_env_scrub();
	test_cgroup_parent(cg, sizeof(cg));
	rmdir(cg);
	test_base_cgroup(cg, sizeof(cg));
	snprintf(procs, sizeof(procs), "%s/procs", cg);
	nl_cgroup_remove(procs);
	nl_cgroup_remove(cg);
	rmdir(TEST_STATE);
}

int proc_start(struct proc *p, char *const argv[])
{
	int efd[2], ofd[2];
	pid_t pid;

	memset(p, 0, sizeof(*p));
	p->err_fd = p->out_fd = -1;
	if (pipe2(efd, O_CLOEXEC) || pipe2(ofd, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	/* p may live in shared memory: only the parent writes the PID. */
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(efd[1], 2);
		dup2(ofd[1], 1);
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	p->pid = pid;
	close(efd[1]);
	close(ofd[1]);
	p->err_fd = efd[0];
	p->out_fd = ofd[0];
	return 0;
}

static void drain(int *fd, char *buf, size_t cap, size_t *len)
{
	ssize_t n;

	if (*fd < 0)
		return;
	n = read(*fd, buf + *len, cap - 1 - *len);
	if (n > 0) {
		*len += (size_t)n;
		buf[*len] = '\0';
		if (*len >= cap - 1) { /* full: stop reading, keep the head */
			close(*fd);
			*fd = -1;
		}
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		close(*fd);
		*fd = -1;
	}
}

int proc_finish(struct proc *p, int timeout_s)
{
	time_t deadline = time(NULL) + timeout_s;
	int st;

	if (p->pid <= 0)
		return p->status = -1;
	while (p->err_fd >= 0 || p->out_fd >= 0) {
		struct pollfd pfd[2] = { { p->err_fd, POLLIN, 0 }, { p->out_fd, POLLIN, 0 } };

		if (time(NULL) > deadline)
			break;
		if (poll(pfd, 2, 200) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			drain(&p->err_fd, p->err, sizeof(p->err), &p->err_len);
		if (pfd[1].revents)
			drain(&p->out_fd, p->out, sizeof(p->out), &p->out_len);
	}
	for (;;) {
		pid_t w = waitpid(p->pid, &st, WNOHANG);

		if (w == p->pid)
			break;
		if (time(NULL) > deadline) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &st, 0);
			p->status = -1;
			goto out;
		}
		msleep(10);
	}
	p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
out:
	if (p->err_fd >= 0)
		close(p->err_fd);
	if (p->out_fd >= 0)
		close(p->out_fd);
	p->err_fd = p->out_fd = -1;
	return p->status;
}

int proc_run(struct proc *p, char *const argv[], int timeout_s)
{
	int err = proc_start(p, argv);

	if (err)
		return err;
	return proc_finish(p, timeout_s);
}

static int vnetlimit(struct proc *p, bool bg, va_list ap)
{
	char *argv[64];
	int argc = 0;
	char *a;

	argv[argc++] = strdup(bin("netlimit"));
	while ((a = va_arg(ap, char *)) && argc < 63)
		argv[argc++] = a;
	argv[argc] = NULL;
	if (bg) {
		int err = proc_start(p, argv);

		free(argv[0]);
		return err;
	}
	proc_run(p, argv, 120);
	free(argv[0]);
	return p->status;
}

int netlimit(struct proc *p, ...)
{
	va_list ap;
	int r;

	va_start(ap, p);
	r = vnetlimit(p, false, ap);
	va_end(ap);
	return r;
}

int netlimit_bg(struct proc *p, ...)
{
	va_list ap;
	int r;

	va_start(ap, p);
	r = vnetlimit(p, true, ap);
	va_end(ap);
	return r;
}

bool json_u64(const char *text, const char *key, unsigned long long *v)
{
	const char *line = NULL, *p = text, *k;
	char pat[64];

	/* The last line that starts with '{' (or '[', a list). */
	while (p && *p) {
		if (*p == '{' || *p == '[')
			line = p;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!line)
		return false;
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	k = strstr(line, pat);
	if (!k)
		return false;
	k += strlen(pat);
	if (!strncmp(k, "true", 4))
		*v = 1;
	else if (!strncmp(k, "false", 5) || !strncmp(k, "null", 4))
		*v = 0;
	else
		*v = strtoull(k, NULL, 10);
	return true;
}

void lo_l3(unsigned long long *bytes, unsigned long long *packets)
{
	unsigned long long rb, rp, x, tb = 0, tp = 0;
	char line[512];
	FILE *f = fopen("/proc/net/dev", "re");

	*bytes = *packets = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *c = strstr(line, "lo:");

		if (!c)
			continue;
		if (sscanf(c + 3, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &rb, &rp, &x,
			   &x, &x, &x, &x, &x, &tb, &tp) == 10)
			break;
	}
	fclose(f);
	/* loopback_xmit() takes skb->len after eth_type_trans(): L3 bytes. */
	*bytes = tb;
	*packets = tp;
}

struct server {
	int fd, family, kind;
	size_t n;
	pthread_t thread;
	volatile int stop;
	unsigned long long bytes, msgs;
	pthread_mutex_t lock;
};

enum { UDP_SINK, TCP_SINK, TCP_SOURCE };

static int bind_port_at(const char *addr, int family, int type, int *port);

static int bind_any_port(int family, int type, int *port)
{
	return bind_port_at(NULL, family, type, port);
}

static int bind_port_at(const char *addr, int family, int type, int *port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int fd, one = 1, big = 8 << 20;

	fd = socket(family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (addr)
			inet_pton(AF_INET, addr, &a->sin_addr);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		if (addr)
			inet_pton(AF_INET6, addr, &a->sin6_addr);
		len = sizeof(*a);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) || (type == SOCK_STREAM && listen(fd, 4096)) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len)) {
		close(fd);
		return -1;
	}
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					: ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static void account(struct server *s, size_t bytes, size_t msgs)
{
	pthread_mutex_lock(&s->lock);
	s->bytes += bytes;
	s->msgs += msgs;
	pthread_mutex_unlock(&s->lock);
}

struct conn {
	struct server *s;
	int fd;
};

static void *conn_thread(void *arg)
{
	struct conn *c = arg;
	static char buf[65536];
	char rbuf[65536];
	size_t left;
	ssize_t n;

	if (c->s->kind == TCP_SINK) {
		while ((n = read(c->fd, rbuf, sizeof(rbuf))) > 0)
			account(c->s, (size_t)n, 0);
	} else {
		for (left = c->s->n; left;) {
			/* The peer may be killed at its cap: no SIGPIPE. */
			n = send(c->fd, buf, left < sizeof(buf) ? left : sizeof(buf), MSG_NOSIGNAL);
			if (n <= 0)
				break;
			account(c->s, (size_t)n, 0);
			left -= (size_t)n;
		}
		/* Close first, then let the peer's FIN arrive: full sockets on both sides. */
		shutdown(c->fd, SHUT_WR);
		while (read(c->fd, rbuf, sizeof(rbuf)) > 0)
			;
	}
	account(c->s, 0, 1);
	close(c->fd);
	free(c);
	return NULL;
}

static void *server_thread(void *arg)
{
	struct server *s = arg;
	char buf[65536];

	while (!s->stop) {
		struct pollfd pfd = { s->fd, POLLIN, 0 };

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		if (s->kind == UDP_SINK) {
			ssize_t n;

			while ((n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0)
				account(s, (size_t)n, 1);
		} else {
			struct conn *c = malloc(sizeof(*c));
			pthread_t t;

			c->s = s;
			c->fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
			if (c->fd < 0 || pthread_create(&t, NULL, conn_thread, c)) {
				if (c->fd >= 0)
					close(c->fd);
				free(c);
				continue;
			}
			pthread_detach(t);
		}
	}
	return NULL;
}

static struct server *start_server(int family, int kind, int *port, size_t n)
{
	struct server *s = calloc(1, sizeof(*s));

	s->kind = kind;
	s->n = n;
	s->family = family;
	pthread_mutex_init(&s->lock, NULL);
	s->fd = bind_any_port(family, kind == UDP_SINK ? SOCK_DGRAM : SOCK_STREAM, port);
	if (s->fd < 0 || pthread_create(&s->thread, NULL, server_thread, s)) {
		free(s);
		return NULL;
	}
	return s;
}

struct server *udp_sink_at(const char *addr, int *port)
{
	struct server *s = calloc(1, sizeof(*s));
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;

	s->kind = UDP_SINK;
	s->family = family;
	pthread_mutex_init(&s->lock, NULL);
	s->fd = bind_port_at(addr, family, SOCK_DGRAM, port);
	if (s->fd < 0 || pthread_create(&s->thread, NULL, server_thread, s)) {
		free(s);
		return NULL;
	}
	return s;
}

struct server *tcp_sink_at(const char *addr, int *port)
{
	struct server *s = calloc(1, sizeof(*s));
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;

	s->kind = TCP_SINK;
	s->family = family;
	pthread_mutex_init(&s->lock, NULL);
	s->fd = bind_port_at(addr, family, SOCK_STREAM, port);
	if (s->fd < 0 || pthread_create(&s->thread, NULL, server_thread, s)) {
		free(s);
		return NULL;
	}
	return s;
}

struct server *udp_sink(int family, int *port)
{
	return start_server(family, UDP_SINK, port, 0);
}

struct server *tcp_sink(int family, int *port)
{
	return start_server(family, TCP_SINK, port, 0);
}

struct server *tcp_source(int family, int *port, size_t n)
{
	return start_server(family, TCP_SOURCE, port, n);
}

unsigned long long server_bytes(struct server *s)
{
	unsigned long long v;

	pthread_mutex_lock(&s->lock);
	v = s->bytes;
	pthread_mutex_unlock(&s->lock);
	return v;
}

unsigned long long server_msgs(struct server *s)
{
	unsigned long long v;

	pthread_mutex_lock(&s->lock);
	v = s->msgs;
	pthread_mutex_unlock(&s->lock);
	return v;
}

void server_stop(struct server *s)
{
	if (!s)
		return;
	s->stop = 1;
	pthread_join(s->thread, NULL);
	close(s->fd);
}

void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

pid_t read_pidfile(const char *path, int timeout_ms)
{
	int waited;

	for (waited = 0; waited <= timeout_ms; waited += 10) {
		FILE *f = fopen(path, "re");
		int pid = 0;

		if (f) {
			if (fscanf(f, "%d", &pid) != 1)
				pid = 0;
			fclose(f);
			if (pid > 0)
				return pid;
		}
		msleep(10);
	}
	return -1;
}

bool pid_alive(pid_t pid)
{
	char path[64], state = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
		state = 0;
	fclose(f);
	return state && state != 'Z' && state != 'X';
}

struct proc *mmap_shared_proc(void)
{
	void *p = mmap(NULL, sizeof(struct proc), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

struct ref_meter {
	struct refmeter_bpf *skel;
	struct bpf_link *in, *out;
	char cgroup[512], home[512];
};

struct ref_meter *ref_meter_start(void)
{
	struct ref_meter *r = calloc(1, sizeof(*r));
	char parent[256];
	int fd;

	if (!r || nl_cgroup_of(0, r->home, sizeof(r->home)))
		goto fail;
	/* Beside the tests' subtree, not in it: the dataplane must not see this side. */
	test_base_cgroup(parent, sizeof(parent));
	snprintf(r->cgroup, sizeof(r->cgroup), "%s-ref-%d", parent, (int)getpid());
	if (nl_cgroup_create(r->cgroup))
		goto fail;
	r->skel = refmeter_bpf__open_and_load();
	fd = open(r->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !r->skel) {
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	r->in = bpf_program__attach_cgroup(r->skel->progs.nl_ref_in, fd);
	r->out = bpf_program__attach_cgroup(r->skel->progs.nl_ref_out, fd);
	close(fd);
	if (!r->in || !r->out || nl_cgroup_enter(r->cgroup, getpid()))
		goto fail;
	return r;
fail:
	if (r)
		ref_meter_stop(r, NULL);
	return NULL;
}

void ref_meter_stop(struct ref_meter *r, struct nl_limit *out)
{
	if (!r)
		return;
	if (out && r->skel) {
		__u32 k = NL_IN;

		memset(out, 0, sizeof(*out));
		bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.ref_counts), &k, &out->in);
		k = NL_OUT;
		bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.ref_counts), &k, &out->out);
	}
	if (r->home[0])
		nl_cgroup_enter(r->home, getpid());
	bpf_link__destroy(r->in);
	bpf_link__destroy(r->out);
	refmeter_bpf__destroy(r->skel);
	if (r->cgroup[0])
		nl_cgroup_remove(r->cgroup);
	free(r);
}

int proc_kill(struct proc *p, int sig)
{
	int st;

	/* Its children may hold its pipes: reap it without waiting for EOF. */
	kill(p->pid, sig);
	waitpid(p->pid, &st, 0);
	if (p->err_fd >= 0)
		close(p->err_fd);
	if (p->out_fd >= 0)
		close(p->out_fd);
	p->err_fd = p->out_fd = -1;
	p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return p->status;
}

static int vsh(const char *prefix, const char *fmt, va_list ap)
{
	char cmd[1024];
	size_t n = (size_t)snprintf(cmd, sizeof(cmd), "%s", prefix);
	int st;

	vsnprintf(cmd + n, sizeof(cmd) - n, fmt, ap);
	fflush(NULL);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int sh(const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsh("", fmt, ap);
	va_end(ap);
	return r;
}

int peer_sh(struct peer *p, const char *fmt, ...)
{
	char prefix[64];
	va_list ap;
	int r;

	snprintf(prefix, sizeof(prefix), "nsenter -t %d -n ", (int)p->pid);
	va_start(ap, fmt);
	r = vsh(prefix, fmt, ap);
	va_end(ap);
	return r;
}

int peer_start(struct peer *p, const char *name, const char *peer, bool ipv6)
{
	int ready[2];
	char c;

	memset(p, 0, sizeof(*p));
	p->self_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (p->self_ns < 0 || pipe(ready))
		return -errno;
	p->pid = fork();
	if (p->pid == 0) {
		close(ready[0]);
		if (unshare(CLONE_NEWNET))
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1)
		return -EIO;
	close(ready[0]);
	/* IPv6 off unless asked: no router solicitations or DAD in exact counts. */
	if (sh("ip link add %s type veth peer name %s && ip link set %s netns %d", name, peer, peer,
	       (int)p->pid) ||
	    sh("echo %d > /proc/sys/net/ipv6/conf/%s/disable_ipv6", ipv6 ? 0 : 1, name) ||
	    peer_sh(p, "sh -c 'echo %d > /proc/sys/net/ipv6/conf/%s/disable_ipv6'", ipv6 ? 0 : 1,
		    peer) ||
	    peer_sh(p, "ip link set lo up"))
		return -EIO;
	return 0;
}

int peer_enter(struct peer *p)
{
	char path[64];
	int fd, err;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)p->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	return err;
}

void peer_leave(struct peer *p)
{
	if (setns(p->self_ns, CLONE_NEWNET))
		fprintf(stderr, "setns back: %s\n", strerror(errno));
}

void peer_stop(struct peer *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
	}
	if (p->self_ns > 0)
		close(p->self_ns);
	p->pid = 0;
}

void dev_counters(const char *dev, unsigned long long *rxb, unsigned long long *rxp,
		  unsigned long long *txb, unsigned long long *txp)
{
	unsigned long long x;
	char line[512], pat[32];
	FILE *f = fopen("/proc/net/dev", "re");

	*rxb = *rxp = *txb = *txp = 0;
	snprintf(pat, sizeof(pat), "%s:", dev);
	while (f && fgets(line, sizeof(line), f)) {
		char *c = strstr(line, pat);

		if (!c || (c > line && c[-1] != ' '))
			continue;
		if (sscanf(c + strlen(pat), "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			   rxb, rxp, &x, &x, &x, &x, &x, &x, txb, txp) == 10)
			break;
	}
	if (f)
		fclose(f);
}

unsigned long long json_at(const char *file, int line, const char *text, const char *key)
{
	unsigned long long v = ~0ULL;

	if (!json_u64(text, key, &v))
		test_fail_at(file, line, "no \"%s\" in:\n%s", key, text);
	return v;
}

char *num(unsigned long long v)
{
	static char bufs[16][24];
	static int i;
	char *b = bufs[i++ % 16];

	snprintf(b, 24, "%llu", v);
	return b;
}

char *traffic(void)
{
	static char path[600];

	snprintf(path, sizeof(path), "%s", bin("nltraffic"));
	return path;
}

bool test_make_cgroup(const char *name, char *path, size_t len)
{
	char parent[384];

	test_cgroup_parent(parent, sizeof(parent));
	mkdir(parent, 0755);
	snprintf(path, len, "%.384s/%.64s", parent, name);
	return !mkdir(path, 0755) || errno == EEXIST;
}

int start_in_cgroup(struct proc *p, const char *cgroup, char **argv)
{
	char *shell[40] = { "/bin/sh", "-c", NULL, "sh" };
	char script[700];
	int i;

	snprintf(script, sizeof(script), "echo $$ > '%s/cgroup.procs' && exec \"$@\"", cgroup);
	shell[2] = script;
	for (i = 0; i < 35 && argv[i]; i++)
		shell[4 + i] = argv[i];
	shell[4 + i] = NULL;
	return proc_start(p, shell);
}

bool json_u64_after(const char *text, const char *anchor, const char *key, unsigned long long *v)
{
	const char *a = strstr(text, anchor), *k;
	char pat[64];

	if (!a)
		return false;
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	k = strstr(a, pat);
	if (!k)
		return false;
	*v = strtoull(k + strlen(pat), NULL, 10);
	return true;
}

/* Run argv as user nobody; p (shared memory) gets what it printed and its status. */
int run_as_nobody(struct proc *p, char **argv)
{
	pid_t pid;
	int st;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(90);
		proc_run(p, argv, 20);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	return p->status;
}

/* Until p printed "port N" on stdout (at most 5 s): N, or 0. */
int printed_port(struct proc *p)
{
	for (int i = 0; i < 250; i++) {
		struct pollfd pfd = { p->out_fd, POLLIN, 0 };
		ssize_t n;
		char *at;

		if (poll(&pfd, 1, 20) > 0 && p->out_len < sizeof(p->out) - 1) {
			n = read(p->out_fd, p->out + p->out_len, sizeof(p->out) - 1 - p->out_len);
			if (n > 0)
				p->out_len += (size_t)n;
			p->out[p->out_len] = '\0';
		}
		at = strstr(p->out, "port ");
		if (at && strchr(at, '\n'))
			return atoi(at + 5);
	}
	return 0;
}
