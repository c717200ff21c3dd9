// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `netlimit watch`: an alert when a rate stays above a threshold, and one
 * when it has recovered, for processes, cgroups, hosts, interfaces or
 * limits (the rounds of user/usage.c). Each event is a line (or a JSON
 * line) and, with --exec, a command run with the event in its environment.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "cgroup.h"
#include "exitcode.h"
#include "json.h"
#include "log.h"
#include "meter.h"
#include "opts.h"
#include "rate.h"
#include "size.h"
#include "state.h"
#include "text.h"
#include "usage.h"
#include "watch.h"

static const char watch_usage[] =
	"Usage: netlimit watch [--process[=PID|COMM] | --cgroup[=PATH] | --host[=ADDR] |\n"
	"                       --iface[=NAME] | --limit[=ID|NAME]] --above=RATE\n"
	"                      [--direction=in|out|total] [--for=DURATION] [--exec=CMD]\n"
	"                      [--interval=DURATION] [--timeout=DURATION] [--json]\n"
	"\n"
	"Prints one line when a rate stays above RATE for DURATION (an alert), and\n"
	"one when it has stayed at or below it as long again (recovered): who, the\n"
	"rate, the threshold and since when. Without a value, a selector watches\n"
	"each of its kind (every process, every host ...); the default is every\n"
	"process. It turns the meter on while it runs if it was off.\n"
	"\n"
	"  --above=RATE        the threshold: 10mbit, 1.5Mbit/s, 500KB/s, 2MiB/s;\n"
	"                      a bare number is bytes per second\n"
	"  --direction=DIR     in, out or total (default: total, in + out)\n"
	"  --for=DURATION      how long above (and below again) counts (default 0:\n"
	"                      the first round)\n"
	"  --exec=CMD          run CMD with /bin/sh at each event, with NETLIMIT_EVENT\n"
	"                      (alert|recovered), NETLIMIT_KIND, NETLIMIT_ID, NETLIMIT_NAME,\n"
	"                      NETLIMIT_DIRECTION, NETLIMIT_RATE and NETLIMIT_THRESHOLD\n"
	"                      (bytes/s), NETLIMIT_SINCE (Unix time) in its environment\n"
	"  -i, --interval=DUR  time between rounds (default 1s)\n"
	"  --timeout=DURATION  stop after that long\n"
	"  --json              one JSON object per event\n"
	"  -q, -v              fewer or more messages\n"
	"\n"
	"Examples:\n"
	"  sudo netlimit watch --above=10mbit --for=5s\n"
	"  sudo netlimit watch --iface=eth0 --direction=in --above=50MB/s --json\n"
	"  sudo netlimit watch --limit=backup --above=1MiB/s --exec='logger \"$NETLIMIT_EVENT\"'\n"
	"\n"
	"Exit status: 0 ok (ended by --timeout or a signal); 64 usage error; 66 no such\n"
	"process, cgroup, interface or limit; 77 not root; 125 netlimit failed.\n";

enum dir { D_TOTAL, D_IN, D_OUT };
static const char *const dir_names[] = { "total", "in", "out" };

struct watch_opts {
	int view;
	const char *match; /* NULL: each of the view */
	__u64 match_id;	   /* a PID, limit id or ifindex named by number */
	double above;	   /* bytes per second */
	enum dir dir;
	__u64 for_ns, interval_ns, timeout_ns;
	const char *exec;
	bool json;
};

/* What watch remembers of one subject between rounds. */
struct subject {
	char key[64];
	double above_since, below_since;
	bool alerted;
};

static volatile sig_atomic_t watch_stop;

static void on_signal(int sig)
{
	watch_stop = 1;
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool matches(const struct watch_opts *o, const struct nl_use_row *r)
{
	if (!o->match)
		return true;
	if (o->match_id)
		return r->id == o->match_id;
	switch (o->view) {
	case NL_USE_HOSTS:
		return !strcmp(strchr(r->key, '/') ? strchr(r->key, '/') + 1 : r->key, o->match);
	case NL_USE_CGROUPS:
		return !strcmp(r->name, o->match);
	default:
		return !strcmp(r->name, o->match);
	}
}

static double rate_of(const struct watch_opts *o, const struct nl_use_row *r)
{
	return o->dir == D_IN ? r->rate_in : o->dir == D_OUT ? r->rate_out : r->rate_in + r->rate_out;
}

static const char *kind_of(int view)
{
	static const char *const k[NL_USE_VIEWS] = { "process", "cgroup", "host", "iface", "limit" };

	return k[view];
}

static void iso_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One event: a line, and the command. since is CLOCK_MONOTONIC; wall is its offset. */
static void event(const struct watch_opts *o, const char *what, const struct nl_use_row *r,
		  double rate, double since, double wall_off)
{
	char now[32], at[32], rt[32], th[32], ident[64];
	time_t since_wall = (time_t)(since + wall_off);
	pid_t pid;

	iso_time(time(NULL), now, sizeof(now));
	iso_time(since_wall, at, sizeof(at));
	if (o->view == NL_USE_HOSTS)
		snprintf(ident, sizeof(ident), "%s", strchr(r->key, '/') ? strchr(r->key, '/') + 1 : r->key);
	else
		snprintf(ident, sizeof(ident), "%llu", (unsigned long long)r->id);
	if (o->json) {
		struct nl_json j;

		nl_json_init(&j, stdout);
		nl_json_open(&j, NULL, '{');
		nl_json_str(&j, "event", what);
		nl_json_str(&j, "time", now);
		nl_json_str(&j, "kind", kind_of(o->view));
		nl_json_str(&j, "id", ident);
		nl_json_str(&j, "name", r->name);
		nl_json_str(&j, "direction", dir_names[o->dir]);
		nl_json_double(&j, "rate", rate);
		nl_json_double(&j, "threshold", o->above);
		nl_json_str(&j, "since", at);
		nl_json_close(&j, '}');
	} else {
		printf("%s %-9s %s %s %s: %s %s %s %s (since %s)\n", now, what, kind_of(o->view),
		       ident, r->name, dir_names[o->dir], nl_format_rate(rate, rt, sizeof(rt)),
		       !strcmp(what, "alert") ? "above" : "back to at most",
		       nl_format_rate(o->above, th, sizeof(th)), at);
	}
	fflush(stdout);
	if (!o->exec)
		return;
	pid = fork();
	if (pid == 0) {
		char v[64];

		setenv("NETLIMIT_EVENT", what, 1);
		setenv("NETLIMIT_KIND", kind_of(o->view), 1);
		setenv("NETLIMIT_ID", ident, 1);
		setenv("NETLIMIT_NAME", r->name, 1);
		setenv("NETLIMIT_DIRECTION", dir_names[o->dir], 1);
		snprintf(v, sizeof(v), "%.0f", rate);
		setenv("NETLIMIT_RATE", v, 1);
		snprintf(v, sizeof(v), "%.0f", o->above);
		setenv("NETLIMIT_THRESHOLD", v, 1);
		snprintf(v, sizeof(v), "%lld", (long long)since_wall);
		setenv("NETLIMIT_SINCE", v, 1);
		execl("/bin/sh", "sh", "-c", o->exec, (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		nl_err("watch: cannot run --exec: %s", strerror(errno));
}

static struct subject *subject_of(struct subject **v, size_t *n, const char *key)
{
	struct subject *s;

	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i].key, key))
			return &(*v)[i];
	s = realloc(*v, (*n + 1) * sizeof(**v));
	if (!s)
		return NULL;
	*v = s;
	s = &s[(*n)++];
	memset(s, 0, sizeof(*s));
	snprintf(s->key, sizeof(s->key), "%s", key);
	return s;
}

/* A named target must exist now: one line and status 66 otherwise. */
static int check_target(struct watch_opts *o, struct nl_use *u)
{
	char path[64];
	char *end;
	unsigned long v;

	if (!o->match)
		return 0;
	errno = 0;
	v = strtoul(o->match, &end, 10);
	switch (o->view) {
	case NL_USE_PROCS:
		if (!*end && !errno && v) {
			snprintf(path, sizeof(path), "/proc/%lu", v);
			if (access(path, F_OK)) {
				nl_err("watch --process: no process %lu (see ps)", v);
				return NL_EXIT_NOTARGET;
			}
			o->match_id = v;
		}
		return 0;
	case NL_USE_IFACES:
		if (!if_nametoindex(o->match)) {
			nl_err("watch --iface: no interface '%s' here (see ip link)", o->match);
			return NL_EXIT_NOTARGET;
		}
		return 0;
	case NL_USE_HOSTS: {
		static char canon[INET6_ADDRSTRLEN];
		unsigned char a[16];
		int fam = strchr(o->match, ':') ? AF_INET6 : AF_INET;

		/* As the tables write it: "::1", not "0::1". */
		if (inet_pton(fam, o->match, a) != 1 || !inet_ntop(fam, a, canon, sizeof(canon))) {
			nl_err("watch --host: '%s' is not an IPv4 or IPv6 address", o->match);
			return NL_EXIT_USAGE;
		}
		o->match = canon;
		return 0;
	}
	case NL_USE_LIMITS:
		if (!*end && !errno && v)
			o->match_id = v;
		for (size_t i = 0; i < u->n[NL_USE_LIMITS]; i++)
			if (matches(o, &u->rows[NL_USE_LIMITS][i]))
				return 0;
		nl_err("watch --limit: no limit '%s' (see netlimit list)", o->match);
		return NL_EXIT_NOTARGET;
	case NL_USE_CGROUPS: {
		char mnt[256], full[600];
		struct stat sb;

		if (nl_cgroup_mount(mnt, sizeof(mnt)))
			return NL_EXIT_UNSUPPORTED;
		/* Accept the mount's path or the hierarchy's: tables show the latter. */
		if (!strncmp(o->match, mnt, strlen(mnt)) && o->match[strlen(mnt)] == '/')
			o->match += strlen(mnt);
		snprintf(full, sizeof(full), "%s%s%s", mnt, o->match[0] == '/' ? "" : "/",
			 o->match);
		if (stat(full, &sb) || !S_ISDIR(sb.st_mode)) {
			nl_err("watch --cgroup: no cgroup '%s' (see /proc/PID/cgroup)", o->match);
			return NL_EXIT_NOTARGET;
		}
		return 0;
	}
	default:
		return 0;
	}
}

static int parse_opts(int argc, char **argv, struct watch_opts *o)
{
	static const struct option longopts[] = {
		{ "process", optional_argument, NULL, 'P' },
		{ "cgroup", optional_argument, NULL, 'C' },
		{ "host", optional_argument, NULL, 'H' },
		{ "iface", optional_argument, NULL, 'I' },
		{ "limit", optional_argument, NULL, 'L' },
		{ "above", required_argument, NULL, 'A' },
		{ "direction", required_argument, NULL, 'D' },
		{ "for", required_argument, NULL, 'F' },
		{ "exec", required_argument, NULL, 'E' },
		{ "interval", required_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool have_above = false, have_view = false;
	const char *why;
	__u64 bits;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:hqv", longopts, NULL)) != -1) {
		switch (c) {
		case 'P':
		case 'C':
		case 'H':
		case 'I':
		case 'L':
			if (have_view) {
				nl_err("watch takes one of --process, --cgroup, --host, --iface, --limit");
				return NL_EXIT_USAGE;
			}
			have_view = true;
			o->view = c == 'P'   ? NL_USE_PROCS
				  : c == 'C' ? NL_USE_CGROUPS
				  : c == 'H' ? NL_USE_HOSTS
				  : c == 'I' ? NL_USE_IFACES
					     : NL_USE_LIMITS;
			if (optarg && !*optarg) {
				nl_err("watch: an empty value; leave the '=' out to watch each");
				return NL_EXIT_USAGE;
			}
			o->match = optarg;
			break;
		case 'A':
			if (nl_parse_rate(optarg, &bits, &why)) {
				nl_err("--above: '%s' %s", optarg, why);
				return NL_EXIT_USAGE;
			}
			o->above = (double)bits / 8.0;
			have_above = true;
			break;
		case 'D':
			for (o->dir = 0; o->dir < 3 && strcmp(optarg, dir_names[o->dir]); o->dir++)
				;
			if (o->dir == 3) {
				nl_err("--direction: '%s' is not in, out or total", optarg);
				return NL_EXIT_USAGE;
			}
			break;
		case 'E':
			o->exec = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'F':
		case 'i':
		case 'T':
			if (nl_opt_duration(c == 'F' ? "for" : c == 'i' ? "interval" : "timeout", optarg,
					    c == 'F' ? &o->for_ns : c == 'i' ? &o->interval_ns : &o->timeout_ns,
					    c == 'i' ? 86400ULL * 1000000000ULL : 0, c == 'F'))
				return NL_EXIT_USAGE;
			break;
		case 'q':
		case 'v':
			nl_verbosity = c == 'q' ? NL_QUIET : NL_VERBOSE;
			break;
		case 'h':
			fputs(watch_usage, stdout);
			return -1;
		default:
			nl_opt_unknown("watch", c, argv);
			return NL_EXIT_USAGE;
		}
	}
	if (nl_opt_no_args("watch", argc, argv))
		return NL_EXIT_USAGE;
	if (!have_above) {
		nl_err("watch needs --above=RATE, the threshold (see 'netlimit watch --help')");
		return NL_EXIT_USAGE;
	}
	return 0;
}

int nl_cmd_watch(int argc, char **argv)
{
	struct watch_opts o = { .view = NL_USE_PROCS, .interval_ns = 1000000000ULL };
	struct nl_use prev = { 0 }, now = { 0 };
	struct nl_use_opts uo = { .resolve = false };
	struct sigaction sa = { .sa_handler = on_signal };
	struct subject *subj = NULL;
	struct nl_state *st = NULL;
	struct nl_dp *dp = NULL;
	double deadline = 0, wall_off;
	size_t nsubj = 0;
	int hold = -1;
	int status, err;

	status = parse_opts(argc, argv, &o);
	if (status)
		return status < 0 ? NL_EXIT_OK : status;
	if (geteuid() != 0) {
		nl_err("watch needs root: it reads the dataplane's root-only pins; run it with "
		       "sudo");
		return NL_EXIT_NOPERM;
	}
	status = nl_meter_hold("netlimit watch", &st, &dp, &hold);
	if (status)
		return status;
	err = nl_use__collect(dp, st, NULL, &prev, &uo);
	if (err) {
		nl_err("watch: cannot read the meter: %s", strerror(-err));
		status = NL_EXIT_FAIL;
		goto out;
	}
	status = check_target(&o, &prev);
	if (status)
		goto out;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	wall_off = (double)time(NULL) - mono();
	if (o.timeout_ns)
		deadline = mono() + (double)o.timeout_ns / 1e9;
	while (!watch_stop) {
		double until = mono() + (double)o.interval_ns / 1e9, fr = (double)o.for_ns / 1e9;

		if (deadline > 0 && until > deadline)
			until = deadline;
		while (!watch_stop && mono() < until)
			poll(NULL, 0, (int)((until - mono()) * 1000) + 1);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			; /* --exec commands that ended */
		if (watch_stop)
			break;
		err = nl_use__collect(dp, st, &prev, &now, &uo);
		if (err) {
			nl_err("watch: cannot read the meter: %s", strerror(-err));
			status = NL_EXIT_FAIL;
			break;
		}
		for (size_t i = 0; i < now.n[o.view]; i++) {
			const struct nl_use_row *r = &now.rows[o.view][i];
			struct subject *s;
			double rate;

			if (!r->has_rate || !matches(&o, r))
				continue;
			s = subject_of(&subj, &nsubj, r->key);
			if (!s)
				break;
			rate = rate_of(&o, r);
			/* A round's rate stands for the interval before it. */
			if (rate > o.above) {
				s->below_since = 0;
				if (!s->above_since)
					s->above_since = prev.t;
				if (!s->alerted && now.t - s->above_since >= fr - 1e-6) {
					s->alerted = true;
					event(&o, "alert", r, rate, s->above_since, wall_off);
				}
			} else {
				s->above_since = 0;
				if (s->alerted && !s->below_since)
					s->below_since = prev.t;
				if (s->alerted && now.t - s->below_since >= fr - 1e-6) {
					s->alerted = false;
					event(&o, "recovered", r, rate, s->below_since, wall_off);
					s->below_since = 0;
				}
			}
		}
		nl_use__free(&prev);
		prev = now;
		memset(&now, 0, sizeof(now));
		if (deadline > 0 && mono() >= deadline)
			break;
	}
out:
	free(subj);
	nl_use__free(&prev);
	nl_use__free(&now);
	nl_meter_unhold(st, dp, hold);
	return status;
}
