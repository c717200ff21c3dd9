// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `netlimit attach`: a limit on running processes (--pid) or an existing
 * cgroup (--cgroup). Nothing is moved between cgroups: a cgroup gets the
 * counting programs directly; processes are tagged, with their future
 * children and every socket they hold or create (see bpf/quota.bpf.c). The
 * limit is pinned before attach returns; with --on-limit=kill a small watcher
 * process stays behind to end the targets at the cap.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include "attach.h"
#include "cgroup.h"
#include "exitcode.h"
#include "gc.h"
#include "log.h"
#include "opts.h"
#include "preflight.h"
#include "quota_user.h"
#include "state.h"

static const char attach_usage[] =
	"Usage: netlimit attach (--pid=PID[,PID...] | --cgroup=PATH) CAPS [OPTIONS]\n"
	"\n"
	"Put processes or a cgroup that already run under a data cap. The limit is\n"
	"pinned in bpffs and stays in force after netlimit exits; `netlimit list`\n"
	"shows it, `netlimit detach ID` removes it.\n"
	"\n"
	"Targets (one of):\n"
	"  -p, --pid=PID[,PID...]  these processes, all their threads, all their future\n"
	"                          children, and every socket they hold now or open later\n"
	"  -c, --cgroup=PATH       a cgroup v2 directory (absolute, or relative to the\n"
	"                          cgroup2 mount, e.g. system.slice/nginx.service)\n"
	"\n"
	"Caps (at least one): -l, --limit=SIZE (in+out), --in=SIZE, --out=SIZE\n"
	"\n"
	"Options:\n"
	"      --on-limit=block  drop what exceeds the cap, keep the targets running (default)\n"
	"      --on-limit=kill   end the targets at the cap: SIGTERM, SIGKILL after --grace\n"
	"      --grace=DURATION  SIGTERM to SIGKILL delay (default 2s)\n"
	"  -n, --name=NAME       a name to use instead of the id\n"
	"      --json            print the new limit as JSON on stdout\n"
	"  -v, -q, -h            verbose, quiet, help\n"
	"\n"
	"Prints the new limit's id on stdout.\n"
	"\n"
	"Examples:\n"
	"  sudo netlimit attach --pid=4242 --limit=100M --name=dl\n"
	"  sudo netlimit attach --cgroup=system.slice/backup.service --out=5G\n"
	"  sudo netlimit attach --pid=4242 --in=1G --on-limit=kill && sudo netlimit wait dl\n";

static bool parse_pids(const char *arg, struct nl_attach_opts *o)
{
	const char *p = arg;

	while (*p) {
		char *end;
		long v;

		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p || v <= 0 || v > 0x3fffffff || errno || (*end && *end != ',')) {
			nl_err("--pid: '%s' is not a list of process IDs (see 'netlimit attach --help')",
			       arg);
			return false;
		}
		if (o->npids == NL_MAX_PIDS) {
			nl_err("--pid: at most %d processes per limit", NL_MAX_PIDS);
			return false;
		}
		o->pids[o->npids++] = (pid_t)v;
		p = *end ? end + 1 : end;
	}
	return o->npids > 0;
}

bool nl_attach_parse(int argc, char **argv, struct nl_attach_opts *o, int *status)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "cgroup", required_argument, NULL, 'c' },
		NL_CAP_LONGOPTS,
		{ "on-limit", required_argument, NULL, NL_OPT_ON_LIMIT },
		{ "grace", required_argument, NULL, NL_OPT_GRACE },
		{ "name", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, NL_OPT_JSON },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct nl_caps caps;
	int c;

	memset(o, 0, sizeof(*o));
	nl_caps_init(&caps);
	o->action = NL_ACT_BLOCK;
	o->grace_ns = 2000000000ULL;
	o->verbosity = NL_NORMAL;
	*status = NL_EXIT_USAGE;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:p:c:l:n:vqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!parse_pids(optarg, o))
				return false;
			break;
		case 'c':
			o->cgroup = optarg;
			break;
		case 'n':
			if (!nl_opt_name(optarg, &o->name))
				return false;
			break;
		case NL_OPT_ON_LIMIT:
			if (!nl_opt_action(optarg, &o->action))
				return false;
			break;
		case NL_OPT_GRACE:
			if (!nl_opt_grace(optarg, &o->grace_ns))
				return false;
			break;
		case NL_OPT_JSON:
			o->json = true;
			break;
		case 'v':
			o->verbosity = NL_VERBOSE;
			break;
		case 'q':
			o->verbosity = NL_QUIET;
			break;
		case 'h':
			fputs(attach_usage, stdout);
			*status = NL_EXIT_OK;
			return false;
		default:
			if (nl_caps_opt(c, optarg, &caps))
				break;
			nl_opt_unknown("attach", c, argv);
			return false;
		}
	}
	if (caps.error)
		return false;
	if (optind < argc) {
		nl_err("unexpected argument '%s' (see 'netlimit attach --help')", argv[optind]);
		return false;
	}
	if (!!o->npids == !!o->cgroup) {
		nl_err("give exactly one target: --pid or --cgroup (see 'netlimit attach --help')");
		return false;
	}
	if (!nl_caps_given(&caps)) {
		nl_err("no cap given: use --limit, --in or --out (see 'netlimit attach --help')");
		return false;
	}
	o->cap_in = caps.in;
	o->cap_out = caps.out;
	o->cap_total = caps.total;
	return true;
}

/* Refuse what cannot or must not be limited; returns 0 or an exit status. */
static int check_pid(pid_t pid)
{
	char path[64], buf[512];
	unsigned long flags = 0;
	FILE *f;

	if (pid == 1) {
		nl_err("PID 1 (init) cannot be limited: limit a service's cgroup with --cgroup instead");
		return NL_EXIT_USAGE;
	}
	if (pid == getpid()) {
		nl_err("netlimit cannot limit itself");
		return NL_EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f) {
		nl_err("no process with PID %d (see 'ps' for running processes)", (int)pid);
		return NL_EXIT_NOTARGET;
	}
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	/* Field 9 is flags; after the ")" that ends the command name. */
	{
		char *p = strrchr(buf, ')');
		char state = 0;

		if (!p || sscanf(p + 2, "%c %*d %*d %*d %*d %*d %lu", &state, &flags) != 2)
			return NL_EXIT_NOTARGET;
		if (state == 'Z' || state == 'X') {
			nl_err("process %d has exited", (int)pid);
			return NL_EXIT_NOTARGET;
		}
	}
	if (flags & 0x00200000) { /* PF_KTHREAD */
		nl_err("PID %d is a kernel thread: it has no sockets of its own to limit", (int)pid);
		return NL_EXIT_USAGE;
	}
	return 0;
}

/*
 * Where to attach for a process: its cgroup, raised past any cgroup its own
 * user may write (a delegated subtree), so it cannot move out of reach.
 */
static int pid_cgroup(pid_t pid, char *buf, size_t len)
{
	char mnt[256], path[64], line[512], procs[600];
	struct stat st, ps;
	FILE *f;
	int err = -ENOENT;

	if (nl_cgroup_mount(mnt, sizeof(mnt)))
		return -ENOENT;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		if ((size_t)snprintf(buf, len, "%s%s", mnt, strcmp(line + 3, "/") ? line + 3 : "") <
		    len)
			err = 0;
	}
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (err || stat(path, &ps))
		return err ? err : -errno;
	while (ps.st_uid != 0 && strlen(buf) > strlen(mnt)) {
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", buf);
		if (stat(procs, &st) || st.st_uid != ps.st_uid)
			break;
		*strrchr(buf, '/') = '\0';
	}
	return 0;
}

static int resolve_cgroup(const char *arg, char *buf, size_t len)
{
	char mnt[256];
	struct statfs sfs;

	if (arg[0] == '/') {
		snprintf(buf, len, "%s", arg);
	} else {
		if (nl_cgroup_mount(mnt, sizeof(mnt)))
			return -ENOENT;
		snprintf(buf, len, "%s/%s", mnt, arg);
	}
	if (statfs(buf, &sfs))
		return -errno;
	if (sfs.f_type != CGROUP2_SUPER_MAGIC)
		return -ENOTDIR;
	return 0;
}

/* The watcher left behind by --on-limit=kill. */
struct watch {
	struct nl_state *st;
	__u32 id;
	struct nl_quota *q;
	__u64 grace_ns;
	int killing;
	struct timespec kill_at;
};

static void signal_targets(struct watch *w, int sig)
{
	struct nl_limit *l = nl_quota__limit(w->q);
	struct dirent *de;
	DIR *d;

	if (l->kind == NL_KIND_CGROUP) {
		if (sig == SIGKILL)
			nl_cgroup_kill(l->target + strlen("cgroup "));
		else
			nl_cgroup_signal(l->target + strlen("cgroup "), sig);
		return;
	}
	/* Tagged processes: every PID whose task storage holds our tag. */
	d = opendir("/proc");
	if (!d)
		return;
	while ((de = readdir(d))) {
		pid_t pid = (pid_t)atoi(de->d_name);

		if (pid > 0 && nl_quota__pid_tagged(w->q, pid) == 1)
			kill(pid, sig);
	}
	closedir(d);
}

static void watch_event(void *ctx, const struct nl_event *e)
{
	struct watch *w = ctx;

	if (w->killing)
		return;
	w->killing = 1;
	signal_targets(w, SIGTERM);
	clock_gettime(CLOCK_MONOTONIC, &w->kill_at);
	w->kill_at.tv_sec += (time_t)(w->grace_ns / 1000000000ULL);
	w->kill_at.tv_nsec += (long)(w->grace_ns % 1000000000ULL);
	if (w->kill_at.tv_nsec >= 1000000000L) {
		w->kill_at.tv_sec++;
		w->kill_at.tv_nsec -= 1000000000L;
	}
}

static void watch_loop(struct watch *w, int events_fd)
{
	char dir[512];
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	nl_state__path(w->st, w->id, "limit", dir, sizeof(dir));
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, events_fd, &ev))
		return;
	for (;;) {
		struct timespec now;

		epoll_wait(ep, &ev, 1, 100);
		nl_quota__consume(w->q);
		if (w->killing == 1) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec > w->kill_at.tv_sec ||
			    (now.tv_sec == w->kill_at.tv_sec && now.tv_nsec >= w->kill_at.tv_nsec)) {
				signal_targets(w, SIGKILL);
				w->killing = 2;
			}
		}
		if (access(dir, F_OK))
			break; /* detached */
		if (nl_limit_target_gone(nl_quota__limit(w->q))) {
			nl_state__lock(w->st);
			nl_limit_remove(w->st, w->id);
			nl_state__unlock(w->st);
			break;
		}
	}
	close(ep);
}

/* Fork the watcher; it inherits the owner lock, so gc leaves the limit alone. */
static int start_watcher(struct nl_state *st, __u32 id, int own_fd, __u64 grace_ns)
{
	struct watch w = { .st = st, .id = id, .grace_ns = grace_ns };
	char dir[512];
	pid_t pid;
	int fd;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		return 0;
	setsid();
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	signal(SIGHUP, SIG_IGN);
	nl_state__path(st, id, NULL, dir, sizeof(dir));
	if (!nl_quota__open(dir, &w.q)) {
		int efd = nl_quota__events(w.q, watch_event, &w);

		if (efd >= 0)
			watch_loop(&w, efd);
		nl_quota__free(w.q);
	}
	close(own_fd);
	_exit(0);
}

static void print_new(const struct nl_attach_opts *o, __u32 id, const struct nl_limit *l)
{
	if (o->json)
		printf("{\"id\":%u,\"name\":\"%s\",\"target\":\"%s\"}\n", id, l->name, l->target);
	else
		printf("%u\n", id);
	if (o->verbosity >= NL_NORMAL)
		fprintf(stderr, "netlimit: limit %u%s%s%s attached to %s (%s at the cap)\n", id,
			l->name[0] ? " (" : "", l->name, l->name[0] ? ")" : "", l->target,
			o->action == NL_ACT_KILL ? "kill" : "block");
}

int nl_cmd_attach(int argc, char **argv)
{
	struct nl_quota_opts qo = { .sz = sizeof(qo) };
	char target[NL_TARGET_LEN], cgpath[512], dir[512];
	char cgs[NL_MAX_PIDS][512];
	struct nl_attach_opts o;
	struct nl_state *st = NULL;
	struct nl_quota *q = NULL;
	int status, err = 0, i, j, ncg = 0, own_fd = -1, fd;
	bool have_id = false;
	__u32 id = 0;
	size_t off;

	if (!nl_attach_parse(argc, argv, &o, &status))
		return status;
	nl_verbosity = o.verbosity;
	status = nl_preflight("netlimit attach");
	if (status)
		return status;

	/* Every target is checked before anything is created. */
	if (o.cgroup) {
		err = resolve_cgroup(o.cgroup, cgpath, sizeof(cgpath));
		if (err) {
			nl_err("--cgroup: %s %s", o.cgroup,
			       err == -ENOTDIR ? "is not a cgroup v2 directory"
					       : "does not exist (see /proc/PID/cgroup for a process's)");
			return err == -ENOTDIR ? NL_EXIT_USAGE : NL_EXIT_NOTARGET;
		}
		snprintf(target, sizeof(target), "cgroup %s", cgpath);
	} else {
		off = (size_t)snprintf(target, sizeof(target), "pid ");
		for (i = 0; i < o.npids; i++) {
			status = check_pid(o.pids[i]);
			if (status)
				return status;
			if (pid_cgroup(o.pids[i], cgpath, sizeof(cgpath))) {
				nl_err("cannot find the cgroup of process %d", (int)o.pids[i]);
				return NL_EXIT_NOTARGET;
			}
			for (j = 0; j < ncg && strcmp(cgs[j], cgpath); j++)
				;
			if (j == ncg)
				snprintf(cgs[ncg++], sizeof(cgs[0]), "%s", cgpath);
			if (off < sizeof(target))
				off += (size_t)snprintf(target + off, sizeof(target) - off, "%s%d",
							i ? "," : "", (int)o.pids[i]);
		}
	}

	status = NL_EXIT_FAIL;
	err = nl_state__open(&st, true);
	if (err) {
		nl_err("cannot open netlimit's state in bpffs: %s", strerror(-err));
		status = nl_exit_for_errno(err);
		goto cleanup;
	}
	nl_state__lock(st);
	nl_gc(st, false);
	err = nl_state__new_id(st, &id);
	if (err) {
		nl_err("cannot create a limit: %s", strerror(-err));
		goto unlock;
	}
	have_id = true;
	own_fd = nl_state__own(st, id);
	qo.id = id;
	qo.kind = o.cgroup ? NL_KIND_CGROUP : NL_KIND_PID;
	qo.action = (__u32)o.action;
	qo.pid = o.npids ? (__u32)o.pids[0] : 0;
	qo.cap_in = o.cap_in;
	qo.cap_out = o.cap_out;
	qo.cap_total = o.cap_total;
	qo.name = o.name;
	qo.target = target;
	if (o.cgroup)
		nl_cgroup_id(cgpath, &qo.cgroup_id);
	err = nl_quota__new(&qo, &q);
	if (err) {
		nl_err("cannot load the BPF programs: %s (run with -v for the verifier's log)",
		       strerror(-err));
		status = nl_exit_for_errno(err);
		goto unlock;
	}
	if (o.cgroup) {
		fd = open(cgpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		err = fd < 0 ? -errno : nl_quota__attach_cgroup(q, fd);
		if (fd >= 0)
			close(fd);
	} else {
		err = nl_quota__attach_tasks(q);
		for (i = 0; !err && i < ncg; i++) {
			fd = open(cgs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			err = fd < 0 ? -errno : nl_quota__attach_sockets(q, fd);
			if (fd >= 0)
				close(fd);
			nl_debug("attached to %s", cgs[i]);
		}
	}
	if (err) {
		nl_err("cannot attach to %s: %s", target, strerror(-err));
		status = nl_exit_for_errno(err);
		goto unlock;
	}
	nl_state__new_path(st, id, dir, sizeof(dir));
	err = nl_quota__pin(q, dir);
	if (err) {
		nl_err("cannot pin the limit in %s: %s", dir, strerror(-err));
		goto unlock;
	}
	for (i = 0; i < o.npids; i++) {
		err = nl_quota__tag_pid(q, o.pids[i]);
		if (err) {
			nl_err("cannot attach to process %d: %s", (int)o.pids[i], strerror(-err));
			status = err == -ESRCH ? NL_EXIT_NOTARGET : nl_exit_for_errno(err);
			goto unlock;
		}
	}
	err = nl_state__commit(st, id);
	if (err) {
		nl_err("cannot commit the limit: %s", strerror(-err));
		goto unlock;
	}
	if (o.action == NL_ACT_KILL) {
		err = start_watcher(st, id, own_fd, o.grace_ns);
		if (err) {
			nl_err("cannot start the watcher that ends the targets at the cap: %s",
			       strerror(-err));
			goto unlock;
		}
	}
	print_new(&o, id, nl_quota__limit(q));
	have_id = false; /* it stays */
	status = NL_EXIT_OK;
unlock:
	if (have_id) {
		nl_quota__free(q);
		q = NULL;
		nl_limit_remove(st, id);
	}
	nl_state__unlock(st);
cleanup:
	nl_quota__free(q);
	if (own_fd >= 0)
		close(own_fd);
	nl_state__free(st);
	return status;
}
