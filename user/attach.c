// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `netlimit attach`: a limit on running processes (--pid) or an existing
 * cgroup (--cgroup), and `netlimit host`. Nothing is moved between cgroups:
 * a cgroup's limit is an entry of the dataplane's nl_cgroups; processes are
 * tagged, with their future children and every socket they hold or create
 * (see bpf/dataplane.bpf.c); a host limit is an entry of nl_hosts. The limit
 * is in the pinned dataplane before attach returns; with --on-limit=kill a
 * small watcher process stays behind to end the targets at the cap.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include "attach.h"
#include "cgroup.h"
#include "create.h"
#include "exitcode.h"
#include "gc.h"
#include "log.h"
#include "opts.h"
#include "guard.h"
#include "preflight.h"
#include "dataplane_user.h"
#include "limit.h"
#include "report.h"
#include "state.h"

static const char attach_usage[] =
	"Usage: netlimit attach (--pid=PID[,PID...] | --cgroup=PATH) CAPS [OPTIONS]\n"
	"\n"
	"Put processes or a cgroup that already run under a data cap. The limit is\n"
	"pinned in bpffs and stays in force after netlimit exits; `netlimit list`\n"
	"shows it, `netlimit detach ID` removes it.\n"
	"\n"
	"Targets (one of):\n"
	"  -p, --pid=PID[,PID...]  these processes, all their threads, the children they\n"
	"                          have and will have, and every socket they hold now or\n"
	"                          open later (--no-children: leave out existing children)\n"
	"  -c, --cgroup=PATH       a cgroup v2 directory (absolute, or relative to the\n"
	"                          cgroup2 mount, e.g. system.slice/nginx.service)\n"
	"\n"
	"Caps: -l, --limit=SIZE (in+out), --in=SIZE, --out=SIZE (a cap or a rate at least)\n"
	NL_RATES_HELP
	NL_PERIOD_HELP
	"\n"
	"Options:\n"
	"      --on-limit=block  drop what exceeds the cap, keep the targets running (default)\n"
	"      --on-limit=throttle:RATE  past the cap, let traffic go on at RATE (in+out)\n"
	"      --on-limit=kill   end the targets at the cap: SIGTERM, SIGKILL after --grace\n"
	"      --grace=DURATION  SIGTERM to SIGKILL delay (default 2s)\n"
	"  -n, --name=NAME       a name to use instead of the id\n"
	"      --only=PREFIX[,...] / --exclude=PREFIX[,...]  count only / all but these\n"
	"                        remote prefixes; --count=l3|wire (see 'netlimit run --help')\n"
	"      --json            print the new limit as JSON on stdout\n"
	"  -v, -q, -h            verbose, quiet, help\n"
	"\n"
	"Prints the new limit's id on stdout.\n"
	"\n"
	"Examples:\n"
	"  sudo netlimit attach --pid=4242 --limit=100M --name=dl\n"
	"  sudo netlimit attach --cgroup=system.slice/backup.service --out=5G\n"
	"  sudo netlimit attach --pid=4242 --in=1G --on-limit=kill && sudo netlimit wait dl\n"
	"  sudo netlimit attach --cgroup=user.slice --in-rate=50mbit --out-rate=10mbit\n";

static bool parse_pids(const char *arg, struct nl_attach_opts *o)
{
	const char *p = arg;

	if (!*p) {
		nl_err("--pid: give one or more process IDs, e.g. --pid=4242,4243");
		return false;
	}
	while (*p) {
		char *end;
		long v;

		errno = 0;
		v = *p >= '0' && *p <= '9' ? strtol(p, &end, 10) : 0;
		if (!v || end == p || v > 0x3fffffff || errno || (*end && *end != ',')) {
			nl_err("--pid: '%s' is not a list of process IDs (see 'netlimit attach "
			       "--help')",
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
		{ "no-children", no_argument, NULL, 'N' },
		NL_CAP_LONGOPTS,
		NL_SCOPE_LONGOPTS,
		{ "on-limit", required_argument, NULL, NL_OPT_ON_LIMIT },
		{ "grace", required_argument, NULL, NL_OPT_GRACE },
		NL_COMMON_LONGOPTS,
		{ 0 },
	};
	struct nl_common_opts cm;
	int c;

	memset(o, 0, sizeof(*o));
	nl_common_init(&cm, &o->scope);
	o->action = NL_ACT_BLOCK;
	o->grace_ns = 2000000000ULL;
	*status = NL_EXIT_USAGE;
	while ((c = nl_getopt(argc, argv, "+:p:c:l:n:vqh", longopts, &cm)) != -1) {
		switch (c) {
		case NL_OPT_REFUSED:
			return false;
		case 'p':
			if (!parse_pids(optarg, o))
				return false;
			break;
		case 'c':
			o->cgroup = optarg;
			break;
		case 'N':
			o->no_children = true;
			break;
		case NL_OPT_ON_LIMIT:
			if (!nl_opt_action(optarg, &o->action, &cm.caps))
				return false;
			break;
		case NL_OPT_GRACE:
			if (!nl_opt_grace(optarg, &o->grace_ns))
				return false;
			break;
		case 'h':
			fputs(attach_usage, stdout);
			*status = NL_EXIT_OK;
			return false;
		default:
			nl_opt_unknown("attach", c, argv);
			return false;
		}
	}
	o->name = cm.name;
	o->json = cm.json;
	o->verbosity = cm.verbosity;
	if (optind < argc) {
		nl_err("unexpected argument '%s' (see 'netlimit attach --help')", argv[optind]);
		return false;
	}
	if (!!o->npids == !!o->cgroup) {
		nl_err("give exactly one target: --pid or --cgroup (see 'netlimit attach --help')");
		return false;
	}
	if (!nl_caps_complete(&cm.caps, o->action, "attach"))
		return false;
	o->cap_in = cm.caps.in;
	o->cap_out = cm.caps.out;
	o->cap_total = cm.caps.total;
	o->rates = cm.caps.rates;
	o->period = cm.caps.period;
	return true;
}

/* Refuse what cannot or must not be limited; returns 0 or an exit status. */
static int check_pid(pid_t pid)
{
	char path[64], buf[512];
	unsigned long flags = 0;
	FILE *f;

	if (pid == 1) {
		nl_err("PID 1 (init) cannot be limited: limit a service's cgroup with --cgroup "
		       "instead");
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
	{
		/* A thread's id opens /proc too: its process is what can be limited. */
		char status[64], line[128];
		int tgid = 0;

		snprintf(status, sizeof(status), "/proc/%d/status", (int)pid);
		f = fopen(status, "re");
		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "Tgid: %d", &tgid) == 1)
				break;
		if (f)
			fclose(f);
		if (tgid > 0 && tgid != pid) {
			nl_err("%d is a thread of process %d: attach to --pid=%d (all its threads "
			       "come along)",
			       (int)pid, tgid, tgid);
			return NL_EXIT_USAGE;
		}
	}
	if (flags & 0x00200000) { /* PF_KTHREAD */
		nl_err("PID %d is a kernel thread: it has no sockets of its own to limit",
		       (int)pid);
		return NL_EXIT_USAGE;
	}
	return 0;
}

/* The processes, then every descendant they have now, parents before children. */

/* Every process and its parent from /proc: without the dataplane's task iterator. */
static int proc_table(struct nl_task_rec **out, size_t *n)
{
	size_t cap = 256, np = 0;
	struct nl_task_rec *v = malloc(cap * sizeof(*v)), *tmp;
	struct dirent *de;
	DIR *d;

	*out = NULL;
	*n = 0;
	if (!v)
		return -ENOMEM;
	d = opendir("/proc");
	if (!d) {
		free(v);
		return -errno;
	}
	while ((de = readdir(d))) {
		char path[64], buf[512], *p;
		int a = atoi(de->d_name), b;
		FILE *f;

		if (a <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", a);
		f = fopen(path, "re");
		if (!f)
			continue;
		p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		if (!p || sscanf(p + 2, "%*c %d", &b) != 1)
			continue;
		if (np == cap) {
			tmp = realloc(v, 2 * cap * sizeof(*v));
			if (!tmp)
				break;
			v = tmp;
			cap *= 2;
		}
		v[np].pid = (__u32)a;
		v[np].ppid = (__u32)b;
		np++;
	}
	closedir(d);
	*out = v;
	*n = np;
	return 0;
}

/* Add pid to v (n used, cap room) unless it is there; false when out of memory. */
static bool tree_add(pid_t **v, size_t *n, size_t *cap, pid_t pid)
{
	pid_t *tmp;
	size_t k;

	for (k = 0; k < *n; k++)
		if ((*v)[k] == pid)
			return true;
	if (*n == *cap) {
		tmp = realloc(*v, 2 * *cap * sizeof(**v));
		if (!tmp)
			return false;
		*v = tmp;
		*cap *= 2;
	}
	(*v)[(*n)++] = pid;
	return true;
}

/*
 * The children of pid from /proc/PID/task/TID/children (each thread's own):
 * as many reads as the process has threads, whatever the size of the
 * process table. -ENOENT when the kernel lacks the file (CONFIG_PROC_CHILDREN).
 */
static int proc_children(pid_t pid, pid_t **v, size_t *n, size_t *cap)
{
	char path[96];
	struct dirent *de;
	int err = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)gettid());
	if (access(path, R_OK))
		return -ENOENT;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return 0; /* gone meanwhile: no children to find */
	while (!err && (de = readdir(d))) {
		int tid = atoi(de->d_name), c;
		FILE *f;

		if (tid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, tid);
		f = fopen(path, "re");
		if (!f)
			continue; /* the thread ended meanwhile */
		while (fscanf(f, "%d", &c) == 1)
			if (!tree_add(v, n, cap, (pid_t)c)) {
				err = -ENOMEM;
				break;
			}
		fclose(f);
	}
	closedir(d);
	return err;
}

/*
 * The processes, then every descendant they have now, parents before
 * children: from each process's /proc children files (the cost follows the
 * tree, not the machine), else from the whole process table (the
 * dataplane's task iterator when loaded, one read; else /proc).
 */
static int process_tree(const pid_t *pids, int npids, bool children, struct nl_dp *dp, pid_t **out,
			size_t *n)
{
	struct nl_task_rec *t = NULL;
	size_t cap = 64, nt = 0, i, j;
	pid_t *v;
	int err = 0;

	v = malloc(cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < (size_t)npids; i++)
		v[i] = pids[i];
	*n = (size_t)npids;
	*out = v;
	if (!children)
		return 0;
	/* Breadth first: v grows while it is walked. */
	for (i = 0; i < *n && !err; i++)
		err = proc_children(v[i], &v, n, &cap);
	*out = v;
	if (err != -ENOENT)
		return err;
	err = dp ? nl_dp__tasks(dp, &t, &nt) : -ENOENT;
	if (err)
		err = proc_table(&t, &nt);
	if (err)
		return err;
	for (i = 0; i < *n; i++)
		for (j = 0; j < nt; j++)
			if ((pid_t)t[j].ppid == v[i] && !tree_add(&v, n, &cap, (pid_t)t[j].pid))
				break;
	*out = v;
	free(t);
	return 0;
}

/*
 * Where to attach for a process: its cgroup, raised past any cgroup its own
 * user may write (a delegated subtree), so it cannot move out of reach.
 */
static int pid_cgroup(pid_t pid, char *buf, size_t len)
{
	char mnt[256], path[64], procs[600];
	struct stat st, ps;
	int err;

	err = nl_cgroup_of(pid, buf, len);
	if (err)
		return err;
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (stat(path, &ps) || nl_cgroup_mount(mnt, sizeof(mnt)))
		return -errno;
	while (ps.st_uid != 0 && strlen(buf) > strlen(mnt)) {
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", buf);
		if (stat(procs, &st) || st.st_uid != ps.st_uid)
			break;
		*strrchr(buf, '/') = '\0';
	}
	return 0;
}

/*
 * A --cgroup argument as a canonical absolute path (symlinks, '.' and '..'
 * resolved) at or below the cgroup2 mount. The root only when spelled '/'.
 */
static int resolve_cgroup(const char *arg, char *buf, size_t len, const char **why)
{
	char mnt[256], joined[PATH_MAX], *real;
	struct statfs sfs;
	size_t ml;

	*why = "does not exist (see /proc/PID/cgroup for a process's)";
	if (!arg[0]) {
		*why = "is empty: name a cgroup, or '/' for the whole machine";
		return -EINVAL;
	}
	if (nl_cgroup_mount(mnt, sizeof(mnt)))
		return -ENOENT;
	if (!strcmp(arg, "/"))
		snprintf(joined, sizeof(joined), "%s", mnt);
	else if (arg[0] == '/')
		snprintf(joined, sizeof(joined), "%s", arg);
	else if ((size_t)snprintf(joined, sizeof(joined), "%s/%s", mnt, arg) >= sizeof(joined))
		return -ENAMETOOLONG;
	real = realpath(joined, NULL);
	if (!real)
		return -errno;
	ml = strlen(mnt);
	if (strncmp(real, mnt, ml) || (real[ml] && real[ml] != '/')) {
		*why = "is not below the cgroup2 mount";
		free(real);
		return -ENOTDIR;
	}
	if (!real[ml] && strcmp(arg, "/") && strcmp(arg, mnt)) {
		*why = "names the cgroup2 root: spell it '/' to mean the whole machine";
		free(real);
		return -EINVAL;
	}
	if ((size_t)snprintf(buf, len, "%s", real) >= len || strlen(real) + 8 > NL_TARGET_LEN) {
		*why = "is too long for netlimit to keep whole (at most 240 bytes)";
		free(real);
		return -ENAMETOOLONG;
	}
	free(real);
	if (statfs(buf, &sfs))
		return -errno;
	if (sfs.f_type != CGROUP2_SUPER_MAGIC) {
		*why = "is not a cgroup v2 directory";
		return -ENOTDIR;
	}
	return 0;
}

/* Whether path is base or lies below it. */
static bool path_below(const char *path, const char *base)
{
	size_t n = strlen(base);

	while (n > 1 && base[n - 1] == '/')
		n--;
	return !strncmp(path, base, n) && (path[n] == '\0' || path[n] == '/');
}

/* A cgroup's level: 0 for the cgroup2 root, one more per directory below it. */
static __u32 cgroup_level(const char *path)
{
	char mnt[256];
	const char *p;
	__u32 n = 0;

	if (nl_cgroup_mount(mnt, sizeof(mnt)))
		return 0;
	for (p = path + strlen(mnt); *p; p++)
		n += *p == '/';
	return n;
}

static void print_new(const struct nl_attach_opts *o, __u32 id, const struct nl_limit *l)
{
	if (o->json)
		nl_print_new_json(id, l->name, l->target);
	else
		printf("%u\n", id);
	if (o->verbosity >= NL_NORMAL)
		fprintf(stderr, "netlimit: limit %u%s%s%s attached to %s (%s at the cap)\n", id,
			l->name[0] ? " (" : "", l->name, l->name[0] ? ")" : "", l->target,
			o->action == NL_ACT_KILL ? "kill" : "block");
}

int nl_cmd_attach(int argc, char **argv)
{
	struct nl_attach_opts o;
	int status;

	if (!nl_attach_parse(argc, argv, &o, &status))
		return status;
	return nl_attach_run(&o, 0, NULL);
}

int nl_attach_run(struct nl_attach_opts *po, __u32 kind, const char *what)
{
	struct nl_lim_opts qo = { .sz = sizeof(qo) };
	char target[NL_TARGET_LEN], cgpath[512], base[512];
	static char cgs[NL_MAX_PIDS][512];
	struct nl_attach_opts o = *po;
	struct nl_create c = { .own_fd = -1 };
	struct nl_lim *q = NULL;
	int status, err = 0, i, j, ncg = 0;
	pid_t *tree = NULL;
	size_t off, t, ntree = 0;

	nl_verbosity = o.verbosity;
	status = nl_preflight(kind == NL_KIND_HOST ? "netlimit host" : "netlimit attach");
	if (status)
		return status;

	/* Every target is checked before anything is created. */
	if (o.cgroup) {
		const char *why;

		err = resolve_cgroup(o.cgroup, cgpath, sizeof(cgpath), &why);
		if (err) {
			nl_err("--cgroup: '%s' %s", o.cgroup, why);
			return err == -ENOENT ? NL_EXIT_NOTARGET : NL_EXIT_USAGE;
		}
		snprintf(target, sizeof(target), "cgroup %s", cgpath);
		if (what)
			snprintf(target, sizeof(target), "%s", what);
	} else {
		off = (size_t)snprintf(target, sizeof(target), "pid ");
		for (i = 0; i < o.npids; i++) {
			status = check_pid(o.pids[i]);
			if (status)
				return status;
			if (off < sizeof(target))
				off += (size_t)snprintf(target + off, sizeof(target) - off, "%s%d",
							i ? "," : "", (int)o.pids[i]);
		}
		/*
		 * The named processes now; their children once they are tagged
		 * (below): from then on a fork is tagged by the kernel, so one walk
		 * of the process table finds every child that was there before.
		 */
		err = process_tree(o.pids, o.npids, false, NULL, &tree, &ntree);
		if (err) {
			nl_err("cannot read the process table: %s", strerror(errno));
			free(tree);
			return NL_EXIT_FAIL;
		}
		for (t = 0; t < ntree; t++) {
			/* A child that exited meanwhile is simply not there to limit. */
			if (pid_cgroup(tree[t], cgpath, sizeof(cgpath))) {
				if (t < (size_t)o.npids) {
					nl_err("cannot find the cgroup of process %d",
					       (int)tree[t]);
					free(tree);
					return NL_EXIT_NOTARGET;
				}
				continue;
			}
			for (j = 0; j < ncg && strcmp(cgs[j], cgpath); j++)
				;
			if (j == ncg && ncg == NL_MAX_PIDS) {
				nl_err("the processes live in more than %d cgroups", NL_MAX_PIDS);
				free(tree);
				return NL_EXIT_USAGE;
			}
			if (j == ncg)
				snprintf(cgs[ncg++], sizeof(cgs[0]), "%s", cgpath);
		}
	}

	status = NL_EXIT_FAIL;
	err = nl_dp_base_path(base, sizeof(base));
	if (err) {
		nl_err("cannot find the dataplane's cgroup: %s", strerror(-err));
		return nl_exit_for_errno(err);
	}
	/* The dataplane sees only what lies below its cgroup. */
	for (i = 0; i < ncg; i++)
		if (!path_below(cgs[i], base)) {
			nl_err("a target process lives in %s, outside the dataplane's cgroup %s",
			       cgs[i], base);
			free(tree);
			return NL_EXIT_NOTARGET;
		}
	if (o.cgroup && !path_below(cgpath, base)) {
		nl_err("--cgroup: %s is outside the dataplane's cgroup %s", cgpath, base);
		return NL_EXIT_NOTARGET;
	}
	status = nl_create__begin(&c, kind == NL_KIND_HOST ? "netlimit host" : "netlimit attach");
	if (status)
		goto out;
	q = NULL;
	qo.kind = kind ? kind : o.cgroup ? NL_KIND_CGROUP : NL_KIND_PID;
	/* A host limit is reached only through the host trie: no scope lookup on top. */
	if (kind != NL_KIND_HOST) {
		qo.scope = o.scope.mode;
		qo.prefixes = o.scope.prefixes;
		qo.nprefixes = o.scope.n;
	}
	qo.wire = o.scope.wire;
	qo.action = (__u32)o.action;
	qo.pid = o.npids ? (__u32)o.pids[0] : 0;
	qo.cap_in = o.cap_in;
	qo.cap_out = o.cap_out;
	qo.cap_total = o.cap_total;
	qo.rates = o.rates;
	qo.period = o.period;
	qo.name = o.name;
	qo.target = target;
	if (o.cgroup)
		nl_cgroup_id(cgpath, &qo.cgroup_id);
	/* A host limit on a subtree checks the packet's ancestor at the subtree's level. */
	if (kind == NL_KIND_HOST && strcmp(cgpath, base))
		qo.cg_level = cgroup_level(cgpath);
	status = nl_create__limit(&c, &qo);
	if (status)
		goto out;
	q = c.q;
	status = NL_EXIT_FAIL;
	if (kind == NL_KIND_HOST) {
		err = nl_lim__attach_host(q, &o.scope.prefixes[0]);
		if (err == -E2BIG) {
			nl_err("more than %d host limits would cover one address: change one of "
			       "them with 'netlimit set'",
			       NL_HOST_CHAIN);
			status = NL_EXIT_USAGE;
			goto out;
		}
	} else if (o.cgroup) {
		err = nl_lim__attach_cgroup(q, cgpath);
		if (err == -E2BIG) {
			nl_err("%s already has %d limits: change one of them with 'netlimit set'",
			       cgpath, NL_CG_LIMITS);
			status = NL_EXIT_USAGE;
			goto out;
		}
	}
	if (err) {
		nl_err("cannot attach to %s: %s", target, strerror(-err));
		status = nl_exit_for_errno(err);
		goto out;
	}
	for (t = 0; t < ntree; t++) {
		err = nl_lim__tag_pid(q, tree[t]);
		/* The named processes must be there; a child may have ended since. */
		if (err && t < (size_t)o.npids) {
			if (err == -E2BIG)
				nl_err("process %d is under %d process limits already: change one "
				       "of them with 'netlimit set'",
				       (int)tree[t], NL_TASK_TAGS);
			else
				nl_err("cannot attach to process %d: %s", (int)tree[t],
				       strerror(-err));
			status = err == -ESRCH	 ? NL_EXIT_NOTARGET
				 : err == -E2BIG ? NL_EXIT_USAGE
						 : nl_exit_for_errno(err);
			goto out;
		}
	}
	/*
	 * The children they have: one walk (tagged parents fork tagged children
	 * from now on); again only while it finds some, for a grandchild forked
	 * by a child before the child was tagged.
	 */
	for (i = 0; i < 4 && !o.no_children; i++) {
		pid_t *again = NULL;
		size_t nagain = 0, added = 0;

		if (process_tree(tree, (int)ntree, true, nl_lim__dp(q), &again, &nagain)) {
			free(again);
			break;
		}
		for (t = ntree; t < nagain; t++)
			added += nl_lim__pid_tagged(q, again[t]) == 0 &&
				 !nl_lim__tag_pid(q, again[t]);
		if (nagain > ntree)
			nl_verbose("%zu child process(es) come along", nagain - ntree);
		free(tree);
		tree = again;
		ntree = nagain;
		if (!added)
			break;
	}
	status = nl_create__commit(&c);
	if (status)
		goto out;
	if (o.action == NL_ACT_KILL) {
		err = nl_guard_start(c.st, c.id, c.own_fd, o.grace_ns);
		if (err) {
			nl_err("cannot start the watcher that ends the targets at the cap: %s",
			       strerror(-err));
			c.committed =
				false; /* a kill limit without its watcher is not what was asked */
			status = NL_EXIT_FAIL;
			goto out;
		}
	}
	print_new(&o, c.id, nl_lim__limit(q));
	status = NL_EXIT_OK;
out:
	nl_create__end(&c);
	free(tree);
	return status;
}

static const char host_usage[] =
	"Usage: netlimit host PREFIX CAPS [--cgroup=PATH] [OPTIONS]\n"
	"\n"
	"Cap all traffic between this machine and an address or prefix, whatever\n"
	"process makes it (every process below the cgroup2 root, or below PATH).\n"
	"\n"
	"Caps: -l, --limit=SIZE, --in=SIZE, --out=SIZE (a cap or a rate at least)\n"
	NL_RATES_HELP
	NL_PERIOD_HELP
	"Options: --cgroup=PATH, --count=l3|wire, --on-limit=block|throttle:RATE,\n"
	"         -n/--name=NAME, --json, -v, -q, -h\n"
	"\n"
	"Examples:\n"
	"  sudo netlimit host 203.0.113.7 --limit=1G\n"
	"  sudo netlimit host 192.0.2.0/24 --in-rate=20mbit\n"
	"  sudo netlimit host 2001:db8::/32 --in=10G --name=mirror\n";

int nl_cmd_host(int argc, char **argv)
{
	static const struct option longopts[] = {
		NL_CAP_LONGOPTS,
		{ "count", required_argument, NULL, NL_OPT_COUNT },
		{ "cgroup", required_argument, NULL, 'c' },
		{ "on-limit", required_argument, NULL, NL_OPT_ON_LIMIT },
		NL_COMMON_LONGOPTS,
		{ 0 },
	};
	static struct nl_attach_opts o;
	char mnt[256], target[NL_TARGET_LEN], fa[64];
	struct nl_common_opts cm;
	const char *why;
	int c;

	memset(&o, 0, sizeof(o));
	nl_common_init(&cm, &o.scope);
	cm.scope_count_only = true;
	o.action = NL_ACT_BLOCK;
	while ((c = nl_getopt(argc, argv, ":l:c:n:vqh", longopts, &cm)) != -1) {
		switch (c) {
		case NL_OPT_REFUSED:
			return NL_EXIT_USAGE;
		case 'c':
			o.cgroup = optarg;
			break;
		case NL_OPT_ON_LIMIT:
			if (!nl_opt_action(optarg, &o.action, &cm.caps))
				return NL_EXIT_USAGE;
			if (o.action == NL_ACT_KILL) {
				nl_err("--on-limit: a host limit cannot end processes: use 'block' or "
				       "'throttle:RATE'");
				return NL_EXIT_USAGE;
			}
			break;
		case 'h':
			fputs(host_usage, stdout);
			return NL_EXIT_OK;
		default:
			nl_opt_unknown("host", c, argv);
			return NL_EXIT_USAGE;
		}
	}
	o.name = cm.name;
	o.json = cm.json;
	o.verbosity = cm.verbosity;
	if (optind != argc - 1) {
		nl_err("host takes one address or prefix (see 'netlimit host --help')");
		return NL_EXIT_USAGE;
	}
	if (nl_parse_prefix(argv[optind], &o.scope.prefixes[0], &why)) {
		nl_err("'%s' %s (examples: 203.0.113.7, 192.0.2.0/24, 2001:db8::/32)", argv[optind],
		       why);
		return NL_EXIT_USAGE;
	}
	o.scope.n = 1;
	o.scope.mode = NL_SCOPE_ONLY;
	if (!nl_caps_complete(&cm.caps, o.action, "host"))
		return NL_EXIT_USAGE;
	o.cap_in = cm.caps.in;
	o.cap_out = cm.caps.out;
	o.cap_total = cm.caps.total;
	o.rates = cm.caps.rates;
	o.period = cm.caps.period;
	if (!o.cgroup) {
		if (nl_dp_base_path(mnt, sizeof(mnt))) {
			nl_err("no cgroup2 file system is mounted; mount one with 'mount -t "
			       "cgroup2 none /sys/fs/cgroup'");
			return NL_EXIT_UNSUPPORTED;
		}
		o.cgroup = mnt;
	}
	snprintf(target, sizeof(target), "host %s (%.80s)",
		 nl_format_prefix(&o.scope.prefixes[0], fa, sizeof(fa)), o.cgroup);
	return nl_attach_run(&o, NL_KIND_HOST, target);
}
