// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `netlimit daemon`: the root service. It makes the saved limits again at
 * start, saves them every --save-interval and when it stops, and acts for
 * users who are not root over a unix socket (clients: user/client.c; wire
 * format: user/request.c).
 *
 * Each connection is handled by a child process of its own, so a slow or
 * hostile client holds up nobody. The caller is who the kernel says it is
 * (SO_PEERCRED); what a user may do:
 *   - limit their own processes (attach --pid, and run, whose command is a
 *     waiting child of the caller): every uid of each process is theirs;
 *   - tighten (lower a cap or a rate, add one) or remove a limit they made;
 *   - list and show every limit.
 * Nothing else: no cgroup, host or interface limit, no reset, no period
 * added later, no raised cap, no limit made by root or another user, and
 * at most USER_LIMITS limits held at once.
 * The service runs netlimit itself (/proc/self/exe) as root with arguments
 * it built from its own parse of the request, never a user's text as is.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include "daemon.h"
#include "exitcode.h"
#include "gc.h"
#include "limit.h"
#include "log.h"
#include "manage.h"
#include "opts.h"
#include "report.h"
#include "request.h"
#include "state.h"

static const char daemon_usage[] =
	"Usage: netlimit daemon [--socket=PATH] [--socket-group=GROUP] [--state-file=FILE]\n"
	"                       [--save-interval=DURATION] [-q] [-v]\n"
	"\n"
	"The netlimit service (netlimit.service runs it): makes the limits saved in\n"
	"FILE again at start, saves them every DURATION (default 5m) and when it\n"
	"stops, and lets users who are not root limit their own commands through\n"
	"a unix socket: `netlimit run`, `attach --pid` of their own processes, and\n"
	"`set` (tighten only) and `detach` of limits they made, `list`, `show`.\n"
	"\n"
	"Options:\n"
	"      --socket=PATH        where to listen (default " NL_SOCKET_DEFAULT ", or\n"
	"                           $NETLIMIT_SOCKET); users find it the same way\n"
	"      --socket-group=GROUP only this group's members may connect (mode 0660);\n"
	"                           default: every user (0666: each request is checked)\n"
	"      --state-file=FILE    restore from and save to FILE (default: neither)\n"
	"      --save-interval=DURATION  how often to save (default 5m; a crash loses\n"
	"                           at most this much of the counts)\n"
	"\n"
	"Examples:\n"
	"  sudo netlimit daemon --state-file=/var/lib/netlimit/limits\n"
	"  netlimit run --limit=500M -- curl -O https://example.org/big.iso   # as a user\n"
	"\n"
	"Exit status: 0 stopped by SIGTERM or SIGINT (after saving); 64 bad options;\n"
	"75 another service listens on the socket; 77 not root; 125 failed.\n";

#define MAX_CLIENTS 64
#define REQUEST_TIMEOUT_MS 2000
/* Limits one user may hold at once: the table is shared with root and every other user. */
#define USER_LIMITS 1024

/* Captured output of one run of netlimit as root. */
struct output {
	char *buf[2];
	size_t len[2];
};

static void output_free(struct output *o)
{
	free(o->buf[0]);
	free(o->buf[1]);
	memset(o, 0, sizeof(*o));
}

/*
 * Run `netlimit ARGV` as root with stdin from /dev/null; its stdout and
 * stderr kept (up to NL_REPLY_MAX / 4 each). Its exit status, or
 * NL_EXIT_FAIL.
 */
static int run_self(char *const argv[], struct output *o)
{
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, st;
	struct pollfd p[2];
	size_t cap[2] = { 0, 0 };
	pid_t pid;

	memset(o, 0, sizeof(*o));
	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		goto fail;
	pid = fork();
	if (pid < 0)
		goto fail;
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		execv("/proc/self/exe", argv);
		_exit(NL_EXIT_NOEXEC);
	}
	close(out[1]);
	close(err[1]);
	p[0] = (struct pollfd){ .fd = out[0], .events = POLLIN };
	p[1] = (struct pollfd){ .fd = err[0], .events = POLLIN };
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			char chunk[16384];
			ssize_t n;

			if (p[i].fd < 0 || !p[i].revents)
				continue;
			n = read(p[i].fd, chunk, sizeof(chunk));
			if (n <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
				continue;
			}
			if (o->len[i] + (size_t)n + 1 > NL_REPLY_MAX / 4)
				continue; /* what passes the bound is dropped */
			if (o->len[i] + (size_t)n + 1 > cap[i]) {
				size_t c = (o->len[i] + (size_t)n + 1) * 2;
				char *b = realloc(o->buf[i], c);

				if (!b)
					continue;
				o->buf[i] = b;
				cap[i] = c;
			}
			memcpy(o->buf[i] + o->len[i], chunk, (size_t)n);
			o->len[i] += (size_t)n;
			o->buf[i][o->len[i]] = '\0';
		}
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : NL_EXIT_FAIL;
fail:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	return NL_EXIT_FAIL;
}

static void reply(int fd, int status, const char *out, size_t out_len, const char *err,
		  size_t err_len)
{
	size_t len;
	char *buf = nl_reply_encode(status, out ? out : "", out ? out_len : 0, err ? err : "",
				    err ? err_len : 0, &len);

	if (buf)
		nl_frame_write(fd, buf, len);
	else
		reply(fd, NL_EXIT_FAIL, NULL, 0, "netlimit: the reply is too big\n", 31);
	free(buf);
}

static void __attribute__((format(printf, 3, 4))) refuse(int fd, int status, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = snprintf(line, sizeof(line), "netlimit: ");
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	line[n] = '\0';
	reply(fd, status, NULL, 0, line, (size_t)n);
}

/* Every uid of the process (real, effective, saved, file system) is uid; its parent's pid. */
static bool process_of(pid_t pid, uid_t uid, pid_t *ppid)
{
	char path[64], line[256];
	bool uid_ok = false, ppid_ok = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned int a, b, c, d;
		int pp;

		if (sscanf(line, "Uid: %u %u %u %u", &a, &b, &c, &d) == 4)
			uid_ok = a == uid && b == uid && c == uid && d == uid;
		else if (sscanf(line, "PPid: %d", &pp) == 1)
			*ppid = pp, ppid_ok = true;
	}
	fclose(f);
	return uid_ok && ppid_ok;
}

/* The argv of `netlimit OP [FIRST] NORM-ARGS`, pointing into n; its length (room for 4 more). */
static int build_argv(char **argv, const char *op, const struct nl_req_norm *n, const char *first)
{
	int k = 0;

	argv[k++] = "netlimit";
	argv[k++] = (char *)op;
	if (first)
		argv[k++] = (char *)first;
	for (int i = 0; i < n->argc; i++)
		argv[k++] = (char *)n->argv[i];
	argv[k] = NULL;
	return k;
}

/* The limit named by target (id or name), opened; an exit status after refusing. */
static int open_limit(int fd, const char *target, struct nl_state **st, struct nl_lim **q)
{
	__u32 id;
	int err;

	*st = NULL;
	*q = NULL;
	err = nl_state__open(st, false);
	if (err) {
		refuse(fd, NL_EXIT_NOTARGET, "no limits exist (see 'netlimit list')");
		return NL_EXIT_NOTARGET;
	}
	/* resolve() says what is wrong on our stderr: the client gets its own line. */
	err = nl_limit_resolve(*st, target, &id);
	if (!err && nl_lim__open(*st, id, q))
		err = NL_EXIT_NOTARGET;
	if (err) {
		refuse(fd, err, "no limit '%s' (see 'netlimit list')", target);
		nl_state__free(*st);
		*st = NULL;
	}
	return err;
}

/* A limit the caller may change: made through the service by this uid (root: any). */
static int check_owner(int fd, const struct nl_limit *l, uid_t uid, const char *what)
{
	if (uid == 0 || (l->owner_uid == uid && l->kind == NL_KIND_PID))
		return 0;
	refuse(fd, NL_EXIT_NOPERM,
	       "limit %u was not made by you (uid %u): users may %s only limits they made", l->id,
	       (unsigned)uid, what);
	return NL_EXIT_NOPERM;
}

/* Whether every change in a set request tightens the limit; else one line and false. */
static bool tightens(int fd, const struct nl_req_norm *n, const struct nl_limit *l)
{
	static const struct option opts[] = { NL_CAP_LONGOPTS, { 0 } };
	char *argv[NL_REQ_ARGS + 2];
	struct nl_caps c;
	int argc = 0, opt, b;

	nl_caps_init(&c);
	c.allow_none = true;
	argv[argc++] = "set";
	for (int i = 0; i < n->argc; i++)
		if (!strncmp(n->argv[i], "--", 2))
			argv[argc++] = (char *)n->argv[i];
	argv[argc] = NULL;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":l:", opts, NULL)) != -1)
		if (!nl_caps_opt(opt, optarg, &c) || c.error) {
			refuse(fd, NL_EXIT_USAGE, "the request has a value that does not parse");
			return false;
		}
	if ((c.given_in && c.in > l->cap_in) || (c.given_out && c.out > l->cap_out) ||
	    (c.given_total && c.total > l->cap_total)) {
		refuse(fd, NL_EXIT_NOPERM,
		       "users may only tighten their limits: a cap may go down, not up or away "
		       "(ask root)");
		return false;
	}
	for (b = 0; b < NL_B_THROTTLE; b++) {
		if (!c.given_rate[b] || !l->rate[b])
			continue; /* a new rate only slows down */
		if (!c.rates.bits[b] || c.rates.bits[b] > l->rate[b]) {
			refuse(fd, NL_EXIT_NOPERM,
			       "users may only tighten their limits: a rate may go down, not up or "
			       "away (ask root)");
			return false;
		}
	}
	if (c.given_burst) {
		for (b = 0; b < NL_BUCKETS; b++)
			if (l->rate[b] && c.rates.burst > l->burst[b]) {
				refuse(fd, NL_EXIT_NOPERM,
				       "users may only tighten their limits: a larger --burst lets more "
				       "through (ask root)");
				return false;
			}
	}
	if (c.given_period) {
		refuse(fd, NL_EXIT_NOPERM,
		       "a period lets the counts start again: users give one when they make the "
		       "limit, root changes it");
		return false;
	}
	return true;
}

/* The id in `attach --json`'s {"id":N,...}; 0 if none. */
static __u32 json_id(const char *out)
{
	const char *p = out ? strstr(out, "\"id\":") : NULL;

	return p ? (__u32)strtoul(p + 5, NULL, 10) : 0;
}

static void set_owner(__u32 id, uid_t uid)
{
	struct nl_state *st;
	struct nl_lim *q;

	if (nl_state__open(&st, false))
		return;
	if (!nl_lim__open(st, id, &q)) {
		__atomic_store_n(&nl_lim__limit(q)->owner_uid, (__u32)uid, __ATOMIC_RELAXED);
		nl_lim__free(q);
	}
	nl_state__free(st);
}

struct owned {
	uid_t uid;
	size_t n;
};

static int count_owned(struct nl_lim *q, void *ctx)
{
	struct owned *o = ctx;

	o->n += nl_lim__limit(q)->owner_uid == o->uid;
	return 0;
}

/* How many limits uid made through the service and still has. */
static size_t limits_of(uid_t uid)
{
	struct owned o = { .uid = uid };
	struct nl_state *st;

	if (nl_state__open(&st, false))
		return 0;
	nl_lim__each(st, count_owned, &o);
	nl_state__free(st);
	return o.n;
}

/* attach --pid for the caller (and run's waiting child): made, then owned. */
static void do_attach(int fd, const struct nl_request *r, const struct nl_req_norm *n,
		      const struct ucred *cr)
{
	char pids[NL_REQ_PIDS * 12 + 8] = "--pid=", *argv[NL_REQ_ARGS + 8];
	bool run = r->op == NL_REQ_RUN_START, has_action = false;
	size_t len = strlen(pids);
	struct output o;
	int status, k;
	__u32 id;

	if (cr->uid && limits_of(cr->uid) >= USER_LIMITS) {
		refuse(fd, NL_EXIT_NOPERM,
		       "you (uid %u) hold %d limits, the most a user may: detach some first",
		       (unsigned)cr->uid, USER_LIMITS);
		return;
	}
	for (size_t i = 0; i < (run ? 1 : n->npids); i++) {
		pid_t pid = run ? r->pid : n->pids[i], ppid = 0;

		if (!process_of(pid, cr->uid, &ppid) && cr->uid != 0) {
			refuse(fd, NL_EXIT_NOPERM,
			       "process %d is not yours (uid %u) or does not exist: users limit "
			       "their own processes",
			       (int)pid, (unsigned)cr->uid);
			return;
		}
		if (run && ppid != cr->pid) {
			refuse(fd, NL_EXIT_NOPERM, "process %d is not the caller's child", (int)pid);
			return;
		}
		len += (size_t)snprintf(pids + len, sizeof(pids) - len, "%s%d", i ? "," : "",
					(int)pid);
	}
	for (int i = 0; i < n->argc; i++)
		has_action |= !strncmp(n->argv[i], "--on-limit=", 11);
	/* run's own default: the command ends at its cap. */
	k = build_argv(argv, "attach", n, pids);
	/* run's own default: the command ends at its cap; its report comes at its end. */
	if (run && !has_action)
		argv[k++] = "--on-limit=kill";
	if (!n->json)
		argv[k++] = "--json";
	if (run)
		argv[k++] = "-q";
	argv[k] = NULL;
	status = run_self(argv, &o);
	id = status ? 0 : json_id(o.buf[0]);
	if (id)
		set_owner(id, cr->uid);
	if (!status && !id)
		status = NL_EXIT_FAIL;
	/* run's client needs the id; attach's gets what it asked for. */
	reply(fd, status, run || n->json ? o.buf[0] : NULL, o.len[0], o.buf[1], o.len[1]);
	output_free(&o);
}

static void do_run_end(int fd, const struct nl_request *r, const struct ucred *cr)
{
	struct nl_run_result res = { 0 };
	struct nl_state *st = NULL;
	struct nl_lim *q = NULL;
	struct nl_limit snap;
	char id[16], *text = NULL;
	size_t text_len = 0;
	FILE *f;

	snprintf(id, sizeof(id), "%u", r->id);
	if (open_limit(fd, id, &st, &q))
		return;
	if (check_owner(fd, nl_lim__limit(q), cr->uid, "end"))
		goto out;
	nl_limit_snapshot(nl_lim__limit(q), &snap);
	res.command = r->command[0] ? r->command : "command";
	res.duration_s = (double)r->duration_ms / 1000;
	if (WIFSIGNALED(r->wstatus)) {
		res.signal = WTERMSIG(r->wstatus);
		res.exit_code = 128 + res.signal;
	} else {
		res.exit_code = WEXITSTATUS(r->wstatus);
	}
	/* Ended by the limit's watcher at the cap. */
	if (snap.hit && snap.action == NL_ACT_KILL && WIFSIGNALED(r->wstatus)) {
		res.ended_by_netlimit = true;
		res.exit_code = NL_EXIT_LIMIT;
	}
	f = r->quiet && !r->json ? NULL : open_memstream(&text, &text_len);
	if (f) {
		if (r->json)
			nl_report_run_json(f, &snap, &res);
		else
			nl_report_run(f, &snap, &res);
		fclose(f);
	}
	nl_lim__free(q);
	q = NULL;
	if (!nl_state__lock(st)) {
		nl_limit_remove(st, r->id, 0);
		nl_state__unlock(st);
	}
	reply(fd, res.exit_code, NULL, 0, text, text_len);
	free(text);
out:
	nl_lim__free(q);
	nl_state__free(st);
}

/* `netlimit OP ARGS` as root, as the request's parse left them; its output is the reply. */
static void run_and_reply(int fd, const struct nl_request *r, const struct nl_req_norm *n)
{
	char *argv[NL_REQ_ARGS + 8];
	struct output o;
	int status;

	build_argv(argv, nl_req_op_name(r->op), n, NULL);
	status = run_self(argv, &o);
	reply(fd, status, o.buf[0], o.len[0], o.buf[1], o.len[1]);
	output_free(&o);
}

/* One connection, in a child of its own. */
static void handle(int fd)
{
	static struct nl_request r;
	static struct nl_req_norm n;
	struct ucred cr;
	socklen_t crlen = sizeof(cr);
	char *buf = NULL;
	const char *why = "";
	struct nl_state *st;
	struct nl_lim *q;
	size_t len = 0;
	int err;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen))
		return;
	err = nl_frame_read(fd, &buf, &len, NL_REQ_MAX, REQUEST_TIMEOUT_MS);
	if (err) {
		if (err == -EMSGSIZE)
			refuse(fd, NL_EXIT_USAGE, "the request is longer than %d bytes", NL_REQ_MAX);
		return;
	}
	err = nl_request_parse(buf, len, &r, &why);
	free(buf);
	if (!err)
		err = nl_request_normalize(&r, &n, &why);
	if (err) {
		refuse(fd, err == -EPERM ? NL_EXIT_NOPERM : NL_EXIT_USAGE, "the request %s%s", why,
		       err == -EPERM ? " (users limit their own processes: cgroup, host and "
				       "interface limits are root's)"
				     : "");
		return;
	}
	nl_verbose("uid %u pid %d: %s", (unsigned)cr.uid, (int)cr.pid, nl_req_op_name(r.op));
	switch (r.op) {
	case NL_REQ_LIST:
	case NL_REQ_SHOW:
		run_and_reply(fd, &r, &n);
		return;
	case NL_REQ_ATTACH:
	case NL_REQ_RUN_START:
		do_attach(fd, &r, &n, &cr);
		return;
	case NL_REQ_RUN_END:
		do_run_end(fd, &r, &cr);
		return;
	case NL_REQ_SET:
	case NL_REQ_DETACH:
		if (open_limit(fd, n.target, &st, &q))
			return;
		if (check_owner(fd, nl_lim__limit(q), cr.uid,
				r.op == NL_REQ_SET ? "change" : "remove") ||
		    (r.op == NL_REQ_SET && cr.uid && !tightens(fd, &n, nl_lim__limit(q)))) {
			nl_lim__free(q);
			nl_state__free(st);
			return;
		}
		nl_lim__free(q);
		nl_state__free(st);
		run_and_reply(fd, &r, &n);
		return;
	default:
		refuse(fd, NL_EXIT_USAGE, "the request names no operation");
	}
}

/* restore or save through netlimit itself, its lines passed on to our stderr. */
static void state_file(const char *verb, const char *file)
{
	char *argv[] = { "netlimit", (char *)verb, (char *)file, "-q", NULL };
	struct output o;
	int status;

	if (!file)
		return;
	status = run_self(argv, &o);
	if (o.len[1])
		fputs(o.buf[1], stderr);
	if (status)
		nl_err("%s %s: exit status %d", verb, file, status);
	output_free(&o);
}

/* A socket someone answers on: another service. One nobody answers: left by a crash. */
static bool service_there(const char *path)
{
	int fd = nl_socket_connect(path);

	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

static int listen_on(const char *path, const char *group)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char dir[sizeof(a.sun_path)], *slash;
	struct group *g = NULL;
	int fd;

	if (strlen(path) >= sizeof(a.sun_path)) {
		nl_err("--socket: '%s' is longer than a unix socket path may be (%zu bytes)", path,
		       sizeof(a.sun_path) - 1);
		return -NL_EXIT_USAGE;
	}
	if (group && !(g = getgrnam(group))) {
		nl_err("--socket-group: no group named '%s'", group);
		return -NL_EXIT_USAGE;
	}
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST) {
			nl_err("cannot make %s for the socket: %s", dir, strerror(errno));
			return -NL_EXIT_FAIL;
		}
	}
	if (service_there(path)) {
		nl_err("another netlimit service listens on %s: stop it first", path);
		return -NL_EXIT_INUSE;
	}
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 128)) {
		nl_err("cannot listen on %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -NL_EXIT_FAIL;
	}
	/* Connecting needs write permission on the socket; each request is checked anyway. */
	if ((g && chown(path, 0, g->gr_gid)) || chmod(path, g ? 0660 : 0666)) {
		nl_err("cannot set the permissions of %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -NL_EXIT_FAIL;
	}
	return fd;
}

int nl_cmd_daemon(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "socket-group", required_argument, NULL, 'g' },
		{ "state-file", required_argument, NULL, 'f' },
		{ "save-interval", required_argument, NULL, 'i' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *sock = NULL, *group = NULL, *file = NULL;
	__u64 interval_ns = 300ULL * 1000000000ULL;
	struct timespec next, now;
	int c, lfd, sfd, children = 0;
	sigset_t mask;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qvh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'g':
			group = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 'i':
			if (nl_opt_duration("save-interval", optarg, &interval_ns, 0, false))
				return NL_EXIT_USAGE;
			break;
		case 'q':
			nl_verbosity = NL_QUIET;
			break;
		case 'v':
			nl_verbosity = NL_VERBOSE;
			break;
		case 'h':
			fputs(daemon_usage, stdout);
			return NL_EXIT_OK;
		default:
			nl_opt_unknown("daemon", c, argv);
			return NL_EXIT_USAGE;
		}
	}
	if (nl_opt_no_args("daemon", argc - optind + 1, argv + optind - 1))
		return NL_EXIT_USAGE;
	if (geteuid() != 0) {
		nl_err("daemon needs root: it makes limits for users; run it with sudo or as "
		       "netlimit.service");
		return NL_EXIT_NOPERM;
	}
	sock = nl_socket_path(sock);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGPIPE);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	/* The saved limits first: once the socket is there, they are too. */
	if (file && !access(file, F_OK) && !service_there(sock))
		state_file("restore", file);
	lfd = listen_on(sock, group);
	if (lfd < 0 || sfd < 0) {
		if (sfd >= 0)
			close(sfd);
		return lfd < 0 ? -lfd : NL_EXIT_FAIL;
	}
	nl_info("listening on %s%s%s", sock, file ? "; saving to " : "", file ? file : "");
	clock_gettime(CLOCK_MONOTONIC, &next);
	next.tv_sec += (time_t)(interval_ns / 1000000000ULL);
	for (;;) {
		struct pollfd p[2] = { { .fd = lfd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
		long long wait_ms;

		clock_gettime(CLOCK_MONOTONIC, &now);
		wait_ms = (next.tv_sec - now.tv_sec) * 1000LL + (next.tv_nsec - now.tv_nsec) / 1000000;
		if (wait_ms <= 0) {
			state_file("save", file);
			clock_gettime(CLOCK_MONOTONIC, &next);
			next.tv_sec += (time_t)(interval_ns / 1000000000ULL);
			next.tv_nsec += (long)(interval_ns % 1000000000ULL);
			if (next.tv_nsec >= 1000000000L) {
				next.tv_sec++;
				next.tv_nsec -= 1000000000L;
			}
			continue;
		}
		/* Busy with MAX_CLIENTS: new connections wait in the backlog. */
		if (children >= MAX_CLIENTS)
			p[0].fd = -1;
		if (poll(p, 2, (int)(wait_ms > 60000 ? 60000 : wait_ms)) < 0 && errno != EINTR)
			break;
		if (p[1].revents) {
			struct signalfd_siginfo si;
			bool stop = false;

			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				stop |= si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT;
			while (waitpid(-1, NULL, WNOHANG) > 0)
				children--;
			if (stop)
				break;
		}
		if (p[0].revents) {
			int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			pid_t pid;

			if (cfd < 0)
				continue;
			pid = fork();
			if (pid == 0) {
				sigprocmask(SIG_UNBLOCK, &mask, NULL);
				signal(SIGPIPE, SIG_IGN);
				close(lfd);
				close(sfd);
				handle(cfd);
				close(cfd);
				_exit(0);
			}
			if (pid > 0)
				children++;
			close(cfd);
		}
	}
	close(lfd);
	unlink(sock);
	state_file("save", file);
	while (children-- > 0 && wait(NULL) > 0)
		;
	close(sfd);
	nl_info("stopped");
	return NL_EXIT_OK;
}
