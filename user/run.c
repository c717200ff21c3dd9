// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `netlimit run`: create a cgroup, make a limit on it (user/create.c), start the
 * command inside it (it enters the cgroup before exec, so its first
 * instruction is already metered), then wait for every process of the cgroup
 * to end while acting on limit events from the ring buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include "cgroup.h"
#include "exitcode.h"
#include "create.h"
#include "gc.h"
#include "log.h"
#include "opts.h"
#include "preflight.h"
#include "limit.h"
#include "report.h"
#include "run.h"
#include "size.h"
#include "sockets.h"
#include "state.h"

static const char run_usage[] =
	"Usage: netlimit run [OPTIONS] -- COMMAND [ARGS...]\n"
	"\n"
	"Run COMMAND in a cgroup of its own under a data cap the kernel enforces.\n"
	"Every process and thread COMMAND starts stays inside the cap.\n"
	"\n"
	"Caps (a cap or a rate at least; each holds on its own):\n"
	"  -l, --limit=SIZE      cap on bytes received plus sent\n"
	"      --in=SIZE         cap on bytes received\n"
	"      --out=SIZE        cap on bytes sent\n"
	"  SIZE: bytes, or K M G T (powers of 1024), KB MB GB TB (powers of 1000),\n"
	"        KiB MiB GiB TiB; fractions such as 1.5G are allowed.\n"
	"\n"
	NL_RATES_HELP
	NL_PERIOD_HELP
	"\n"
	"Which bytes count:\n"
	"      --only=PREFIX[,PREFIX...]     only traffic with these remote prefixes\n"
	"      --exclude=PREFIX[,PREFIX...]  all traffic but with these (e.g. the LAN)\n"
	"      --count=l3|wire   IP bytes as the stack sends them (default), or wire\n"
	"                        bytes: per-segment headers of GSO packets + link headers\n"
	"\n"
	"At the cap:\n"
	"      --on-limit=kill   end every process of COMMAND: SIGTERM, then SIGKILL\n"
	"                        after the grace time (default)\n"
	"      --on-limit=block  keep COMMAND running; traffic over the cap is dropped\n"
	"      --on-limit=throttle:RATE  keep COMMAND running; past the cap its traffic\n"
	"                        goes on at RATE (in plus out), as a data plan's fair use\n"
	"      --grace=DURATION  SIGTERM to SIGKILL delay (default 2s; ms, s, m, h)\n"
	"      --drain=DURATION  after COMMAND ends, how long its TCP connections may\n"
	"                        finish sending, still under the cap (default 5s);\n"
	"                        then, or at once if a cap was reached, they are reset\n"
	"\n"
	"Other options:\n"
	"  -u, --user=USER       run COMMAND as USER\n"
	"  -n, --name=NAME       name of the limit in `netlimit list`\n"
	"      --json            summary as one JSON line on stderr\n"
	"  -v, --verbose         say what is being set up, with libbpf's messages\n"
	"  -q, --quiet           no summary (errors are still printed)\n"
	"  -h, --help            this help\n"
	"\n"
	"Examples:\n"
	"  sudo netlimit run --limit=25M -- curl -O https://example.com/big.iso\n"
	"  sudo netlimit run --in=1G --out=100M --on-limit=block -- rsync -a src/ host:dst/\n"
	"  sudo netlimit run --user=$USER --limit=1.5GB --json -- ./sync.sh\n"
	"  sudo netlimit run --in-rate=10mbit -- apt-get download firefox-esr\n"
	"  sudo netlimit run --limit=5G --on-limit=throttle:1mbit -- ./backup.sh\n"
	"  sudo netlimit run --exclude=192.168.0.0/16,fd00::/8 --limit=2G -- apt-get upgrade\n"
	"\n"
	"Exit status: COMMAND's own (128+N if signal N ended it); 120 if netlimit\n"
	"ended it at its cap; 126/127 if it cannot be run or found; 64 usage error;\n"
	"77 not root; 69 kernel lacks what netlimit needs; 125 netlimit failed.\n";

bool nl_run_parse(int argc, char **argv, struct nl_run_opts *o, int *status)
{
	static const struct option longopts[] = {
		NL_CAP_LONGOPTS,
		NL_SCOPE_LONGOPTS,
		{ "on-limit", required_argument, NULL, NL_OPT_ON_LIMIT },
		{ "grace", required_argument, NULL, NL_OPT_GRACE },
		{ "drain", required_argument, NULL, NL_OPT_DRAIN },
		{ "user", required_argument, NULL, 'u' },
		NL_COMMON_LONGOPTS,
		{ 0 },
	};
	struct nl_common_opts cm;
	int c;

	memset(o, 0, sizeof(*o));
	nl_common_init(&cm, &o->scope);
	o->action = NL_ACT_KILL;
	o->grace_ns = 2000000000ULL;
	o->drain_ns = 5000000000ULL;
	o->verbosity = NL_NORMAL;
	*status = NL_EXIT_USAGE;

	while ((c = nl_getopt(argc, argv, "+:l:u:n:vqh", longopts, &cm)) != -1) {
		switch (c) {
		case NL_OPT_REFUSED:
			return false;
		case NL_OPT_ON_LIMIT:
			if (!nl_opt_action(optarg, &o->action, &cm.caps))
				return false;
			break;
		case NL_OPT_GRACE:
			if (!nl_opt_grace(optarg, &o->grace_ns))
				return false;
			break;
		case NL_OPT_DRAIN: {
			const char *why;

			if (nl_parse_duration(optarg, &o->drain_ns, &why)) {
				nl_err("--drain: '%s' %s", optarg, why);
				return false;
			}
			break;
		}
		case 'u':
			o->user = optarg;
			break;
		case 'h':
			fputs(run_usage, stdout);
			*status = NL_EXIT_OK;
			return false;
		default:
			nl_opt_unknown("run", c, argv);
			return false;
		}
	}
	o->name = cm.name;
	o->json = cm.json;
	o->verbosity = cm.verbosity;
	if (!nl_caps_complete(&cm.caps, o->action, "run"))
		return false;
	if (optind >= argc) {
		nl_err("no command given: put it after -- (see 'netlimit run --help')");
		return false;
	}
	o->cap_in = cm.caps.in;
	o->cap_out = cm.caps.out;
	o->cap_total = cm.caps.total;
	o->rates = cm.caps.rates;
	o->period = cm.caps.period;
	o->argv = argv + optind;
	return true;
}

/* Why the child could not start, sent up a close-on-exec pipe. */
struct spawn_error {
	int stage; /* 1 cgroup, 2 user, 3 exec */
	int err;
};

struct runner {
	struct nl_run_opts *o;
	const char *cgroup;
	struct nl_lim *q;
	pid_t child;
	bool child_done;
	int child_status;
	int killing; /* 0, 1 SIGTERM sent, 2 SIGKILL sent */
	bool ended_by_netlimit;
	int timer_fd;
	const char *command;
};

static void start_kill(struct runner *r)
{
	struct itimerspec its = { 0 };
	int n;

	/* --grace=0: SIGKILL at once, no SIGTERM first. */
	if (r->o->grace_ns == 0) {
		if (nl_cgroup_populated(r->cgroup) > 0)
			r->ended_by_netlimit = true;
		nl_cgroup_kill(r->cgroup);
		r->killing = 2;
		return;
	}
	n = nl_cgroup_signal(r->cgroup, SIGTERM);
	r->killing = 1;
	if (n > 0)
		r->ended_by_netlimit = true;
	its.it_value.tv_sec = (time_t)(r->o->grace_ns / 1000000000ULL);
	its.it_value.tv_nsec = (long)(r->o->grace_ns % 1000000000ULL);
	timerfd_settime(r->timer_fd, 0, &its, NULL);
}

static void on_event(void *ctx, const struct nl_event *e)
{
	struct runner *r = ctx;
	char hit[16], cap[32];

	struct timespec now;

	/* The event carries its kernel time (CLOCK_MONOTONIC): say how fast we are. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	nl_verbose("cap event read %.1f us after the kernel sent it",
		 ((double)now.tv_sec * 1e9 + (double)now.tv_nsec - (double)e->ts_ns) / 1e3);
	nl_hit_names(e->hit, hit, sizeof(hit));
	nl_format_size(e->cap, cap, sizeof(cap));
	if (r->o->action == NL_ACT_BLOCK) {
		nl_info("%s cap of %llu bytes (%s) reached: dropping what exceeds it", hit,
			(unsigned long long)e->cap, cap);
		return;
	}
	if (r->o->action == NL_ACT_THROTTLE) {
		char rate[32];

		nl_info("%s cap of %llu bytes (%s) reached: going on at %s", hit,
			(unsigned long long)e->cap, cap,
			nl_format_bits(r->o->rates.bits[NL_B_THROTTLE], rate, sizeof(rate)));
		return;
	}
	if (r->killing)
		return;
	nl_info("%s cap of %llu bytes (%s) reached: ending '%s'", hit, (unsigned long long)e->cap,
		cap, r->command);
	start_kill(r);
}

static pid_t spawn(struct runner *r, const sigset_t *orig_mask, int *status)
{
	struct spawn_error se = { 0 };
	struct passwd *pw = NULL;
	int pfd[2];
	pid_t pid;
	ssize_t n;

	if (r->o->user) {
		const char *u = r->o->user;
		char *end;

		errno = 0;
		pw = getpwnam(u);
		/* A number names a uid, as in chown and sudo -u '#UID'. */
		if (!pw && *u >= '0' && *u <= '9') {
			unsigned long uid = strtoul(u, &end, 10);

			if (!*end && uid < 0xffffffffUL)
				pw = getpwuid((uid_t)uid);
		}
		if (!pw) {
			nl_err("--user: no user named or numbered '%s'", r->o->user);
			*status = NL_EXIT_USAGE;
			return -1;
		}
	}
	if (pipe2(pfd, O_CLOEXEC)) {
		nl_err("pipe: %s", strerror(errno));
		*status = NL_EXIT_FAIL;
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		nl_err("fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		*status = NL_EXIT_FAIL;
		return -1;
	}
	if (pid == 0) {
		close(pfd[0]);
		sigprocmask(SIG_SETMASK, orig_mask, NULL);
		se.stage = 1;
		se.err = -nl_cgroup_enter(r->cgroup, getpid());
		if (se.err)
			goto fail;
		if (pw) {
			se.stage = 2;
			if (initgroups(pw->pw_name, pw->pw_gid) || setgid(pw->pw_gid) ||
			    setuid(pw->pw_uid)) {
				se.err = errno;
				goto fail;
			}
			setenv("HOME", pw->pw_dir, 1);
			setenv("USER", pw->pw_name, 1);
			setenv("LOGNAME", pw->pw_name, 1);
		}
		se.stage = 3;
		execvp(r->o->argv[0], r->o->argv);
		se.err = errno;
	fail:
		if (write(pfd[1], &se, sizeof(se)) < 0)
			_exit(NL_EXIT_FAIL);
		_exit(NL_EXIT_FAIL);
	}
	close(pfd[1]);
	do {
		n = read(pfd[0], &se, sizeof(se));
	} while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n == (ssize_t)sizeof(se)) {
		waitpid(pid, NULL, 0);
		switch (se.stage) {
		case 1:
			nl_err("cannot move the command into %s: %s", r->cgroup, strerror(se.err));
			*status = NL_EXIT_FAIL;
			break;
		case 2:
			nl_err("cannot switch to user '%s': %s", r->o->user, strerror(se.err));
			*status = NL_EXIT_FAIL;
			break;
		default:
			if (se.err == ENOENT) {
				nl_err("%s: command not found", r->o->argv[0]);
				*status = NL_EXIT_NOCMD;
			} else {
				nl_err("%s: cannot execute: %s", r->o->argv[0], strerror(se.err));
				*status = NL_EXIT_NOEXEC;
			}
		}
		return -1;
	}
	return pid;
}

static void reap(struct runner *r)
{
	int st;
	pid_t p;

	/* netlimit is a subreaper: orphaned descendants land here too. */
	while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
		if (p == r->child) {
			r->child_done = true;
			r->child_status = st;
		}
	}
}

static int add_fd(int ep, int fd, __u32 events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* Wait until the command and every process it started are gone. */
static int supervise(struct runner *r, int sig_fd, int events_fd)
{
	char evpath[512], buf[256];
	struct epoll_event evs[4];
	int ep, cg_fd, populated = 1, i, n, err = 0;

	snprintf(evpath, sizeof(evpath), "%s/cgroup.events", r->cgroup);
	cg_fd = open(evpath, O_RDONLY | O_CLOEXEC);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (cg_fd < 0 || ep < 0) {
		err = -errno;
		goto out;
	}
	if ((err = add_fd(ep, sig_fd, EPOLLIN)) || (err = add_fd(ep, events_fd, EPOLLIN)) ||
	    (err = add_fd(ep, r->timer_fd, EPOLLIN)) || (err = add_fd(ep, cg_fd, EPOLLPRI)))
		goto out;

	for (;;) {
		reap(r);
		populated = nl_cgroup_populated(r->cgroup);
		if (r->child_done && populated <= 0)
			break;
		n = epoll_wait(ep, evs, 4, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == events_fd) {
				nl_lim__consume(r->q);
			} else if (fd == r->timer_fd) {
				__u64 ticks;

				if (read(fd, &ticks, sizeof(ticks)) > 0 && r->killing == 1) {
					nl_verbose("grace time over: SIGKILL to every process left");
					nl_cgroup_kill(r->cgroup);
					r->killing = 2;
				}
			} else if (fd == cg_fd) {
				/* Re-arm the notification by reading the file. */
				if (pread(cg_fd, buf, sizeof(buf), 0) < 0)
					nl_verbose("cgroup.events: %s", strerror(errno));
			} else if (fd == sig_fd) {
				struct signalfd_siginfo si;

				while (read(sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
					if (si.ssi_signo == SIGCHLD)
						continue;
					nl_verbose("passing signal %u to '%s'", si.ssi_signo,
						 r->command);
					if (!r->child_done)
						kill(r->child, (int)si.ssi_signo);
					else
						nl_cgroup_signal(r->cgroup, (int)si.ssi_signo);
				}
			}
		}
	}
	/* Events that arrived with the last packets. */
	nl_lim__consume(r->q);
out:
	if (cg_fd >= 0)
		close(cg_fd);
	if (ep >= 0)
		close(ep);
	return err;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * A TCP socket outlives its process: as an orphan it goes on sending what its
 * send buffer holds. The limit stays attached until the cgroup's sockets are
 * done; past the drain time, or once a cap was reached, they are reset.
 */
static void settle_sockets(struct runner *r, __u64 cgid)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	double deadline = now_s() + (double)r->o->drain_ns / 1e9;
	struct nl_limit *l = nl_lim__limit(r->q);
	int n;

	while ((n = nl_sockets_count(cgid)) > 0) {
		if (__atomic_load_n(&l->hit, __ATOMIC_RELAXED) || now_s() >= deadline) {
			n = nl_sockets_destroy(cgid);
			nl_verbose("reset %d connection(s) the command left behind", n);
			break;
		}
		nanosleep(&ts, NULL);
	}
	if (n < 0)
		nl_verbose("cannot list the command's sockets: %s", strerror(-n));
}

int nl_cmd_run(int argc, char **argv)
{
	char cgparent[512], cgpath[600], limdir[512], cmdname[NL_NAME_LEN];
	struct nl_lim_opts qo = { .sz = sizeof(qo) };
	struct nl_run_result res = { 0 };
	struct runner r = { 0 };
	struct nl_limit final;
	struct nl_run_opts o;
	sigset_t mask, orig_mask;
	struct nl_create c = { .own_fd = -1 };
	int status = NL_EXIT_FAIL, err, cg_fd = -1, sig_fd = -1, events_fd;
	bool have_cgroup = false, masked = false;
	double t0;
	__u64 cgid;
	__u32 id = 0;
	__u64 stamp = 0;

	r.timer_fd = -1;
	if (!nl_run_parse(argc, argv, &o, &status))
		return status;
	nl_verbosity = o.verbosity;
	r.o = &o;
	snprintf(cmdname, sizeof(cmdname), "%s", basename(o.argv[0]));
	/* A command's name may not be a valid --name: keep what list can show. */
	for (char *ch = cmdname; *ch; ch++)
		if (!nl_name_char_ok(*ch))
			*ch = '_';
	r.command = cmdname;

	status = nl_preflight("netlimit run");
	if (status)
		return status;
	status = NL_EXIT_FAIL;

	status = nl_create__begin(&c, "netlimit run");
	if (status)
		goto cleanup;
	status = NL_EXIT_FAIL;
	id = c.id;
	err = nl_cgroup_home(cgparent, sizeof(cgparent));
	if (!err) {
		snprintf(cgpath, sizeof(cgpath), "%s/%u", cgparent, id);
		err = nl_cgroup_create(cgpath);
	}
	if (err) {
		nl_err("cannot create a cgroup for the command: %s", strerror(-err));
		status = nl_exit_for_errno(err);
		goto cleanup;
	}
	have_cgroup = true;
	r.cgroup = cgpath;
	cg_fd = open(cgpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg_fd < 0 || nl_cgroup_id(cgpath, &cgid)) {
		err = -errno;
		nl_err("cannot open %s: %s", cgpath, strerror(errno));
		goto cleanup;
	}

	qo.kind = NL_KIND_RUN;
	qo.action = (__u32)o.action;
	qo.pid = 0;
	qo.cap_in = o.cap_in;
	qo.cap_out = o.cap_out;
	qo.cap_total = o.cap_total;
	qo.rates = o.rates;
	qo.period = o.period;
	qo.cgroup_id = cgid;
	qo.name = o.name ? o.name : cmdname;
	qo.target = cgpath;
	qo.scope = o.scope.mode;
	qo.prefixes = o.scope.prefixes;
	qo.nprefixes = o.scope.n;
	qo.wire = o.scope.wire;
	status = nl_create__limit(&c, &qo);
	if (status)
		goto cleanup;
	status = NL_EXIT_FAIL;
	r.q = c.q;
	stamp = nl_lim__limit(r.q)->created_ns;
	err = nl_lim__attach_cgroup(r.q, cgpath);
	if (err) {
		nl_err("cannot attach to %s: %s", cgpath,
		       err == -EXDEV ? "it is outside the dataplane's cgroup" : strerror(-err));
		status = nl_exit_for_errno(err);
		goto cleanup;
	}
	/* In the pinned dataplane before the command starts: if netlimit dies, the cap holds. */
	status = nl_create__commit(&c);
	if (status)
		goto cleanup;
	status = NL_EXIT_FAIL;
	nl_state__path(c.st, id, NULL, limdir, sizeof(limdir));
	events_fd = nl_lim__events(r.q, on_event, &r);
	if (events_fd < 0) {
		err = events_fd;
		nl_err("cannot read limit events: %s", strerror(-err));
		goto cleanup;
	}
	nl_create__unlock(&c);
	nl_verbose("limit %u: cgroup %s, state in %s", id, cgpath, limdir);

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	sigprocmask(SIG_BLOCK, &mask, &orig_mask);
	masked = true;
	sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	r.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (sig_fd < 0 || r.timer_fd < 0) {
		err = -errno;
		nl_err("cannot set up signal handling: %s", strerror(errno));
		goto cleanup;
	}
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	t0 = now_s();
	r.child = spawn(&r, &orig_mask, &status);
	if (r.child < 0) {
		/* Scripts read the last line: it is there whenever the command was tried. */
		if (o.json && (status == NL_EXIT_NOCMD || status == NL_EXIT_NOEXEC)) {
			nl_limit_snapshot(nl_lim__limit(r.q), &final);
			res.command = cmdname;
			res.exit_code = status;
			nl_report_run_json(stderr, &final, &res);
		}
		goto cleanup;
	}
	nl_lim__limit(r.q)->pid = (__u32)r.child; /* for `list`/`show` */
	err = supervise(&r, sig_fd, events_fd);
	if (err)
		nl_err("lost track of the command: %s", strerror(-err));
	settle_sockets(&r, cgid);

	nl_limit_snapshot(nl_lim__limit(r.q), &final);
	res.command = cmdname;
	res.duration_s = now_s() - t0;
	if (WIFSIGNALED(r.child_status)) {
		res.signal = WTERMSIG(r.child_status);
		res.exit_code = 128 + res.signal;
	} else {
		res.exit_code = WEXITSTATUS(r.child_status);
	}
	if (r.ended_by_netlimit) {
		res.ended_by_netlimit = true;
		res.exit_code = NL_EXIT_LIMIT;
	}
	status = err ? NL_EXIT_FAIL : res.exit_code;
	res.exit_code = status;
	if (nl_verbosity >= NL_NORMAL && !o.json)
		nl_report_run(stderr, &final, &res);
	if (o.json)
		nl_report_run_json(stderr, &final, &res);

cleanup:
	if (c.committed) {
		/* If the command still runs (netlimit failed), keep enforcing. */
		if (have_cgroup && nl_cgroup_populated(cgpath) > 0) {
			nl_err("processes of limit %u still run in %s; the cap stays in force", id,
			       cgpath);
		} else {
			nl_state__lock(c.st);
			nl_lim__free(c.q);
			c.q = NULL;
			/* Unless someone detached it and the id now holds another limit. */
			nl_limit_remove(c.st, id, stamp);
			nl_state__unlock(c.st);
		}
	}
	/* A limit never committed is taken out by nl_create__end. */
	nl_create__end(&c);
	if (have_cgroup && nl_cgroup_populated(cgpath) == 0)
		nl_cgroup_remove(cgpath);
	if (cg_fd >= 0)
		close(cg_fd);
	if (sig_fd >= 0)
		close(sig_fd);
	if (r.timer_fd >= 0)
		close(r.timer_fd);
	if (masked)
		sigprocmask(SIG_SETMASK, &orig_mask, NULL);
	return status;
}
