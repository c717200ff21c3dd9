// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Commands on limits that exist: they find them in bpffs (user/state.c), read
 * and change them through the dataplane's mmapped nl_limits slots
 * (user/limit.c), and never write a counter that BPF updates, except `reset`.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "dataplane_user.h"
#include "exitcode.h"
#include "gc.h"
#include "log.h"
#include "manage.h"
#include "shaper.h"
#include "opts.h"
#include "period_user.h"
#include "limit.h"
#include "report.h"
#include "size.h"
#include "state.h"

/* One help per command: what it takes, what it prints, an example. */
static const struct {
	const char *cmd, *usage;
} manage_usage[] = {
	{ "list",
	  "Usage: netlimit list [--json] [-q] [-v]\n"
	  "\n"
	  "Every limit: id, name, kind, target, bytes in and out, caps, share used, state,\n"
	  "rates and what they achieve (read twice, 0.5 s apart, when some limit has a rate),\n"
	  "period and its next reset.\n"
	  "\n"
	  "Examples:\n"
	  "  sudo netlimit list\n"
	  "  sudo netlimit list --json\n" },
	{ "show",
	  "Usage: netlimit show ID|NAME [--json] [-q] [-v]\n"
	  "\n"
	  "One limit in full: with its owner (a user, through the service) and its\n"
	  "period, when it next resets and what the period before counted.\n"
	  "\n"
	  "Examples:\n"
	  "  sudo netlimit show 3\n"
	  "  sudo netlimit show dl --json\n" },
	{ "set",
	  "Usage: netlimit set ID|NAME CAPS|RATES [-q] [-v]\n"
	  "\n"
	  "Change caps and rates live. CAPS: -l, --limit=SIZE, --in=SIZE, --out=SIZE;\n"
	  "RATES: --rate=RATE, --in-rate=RATE, --out-rate=RATE, --burst=SIZE;\n"
	  "--period=day|week|month[:DAY]; 'none' removes a cap, a rate or the period.\n"
	  "A raised cap lets traffic flow again at once; a new rate holds from the\n"
	  "next packet; a new period counts from now to its next start.\n"
	  "\n"
	  "Examples:\n"
	  "  sudo netlimit set dl --in=2G --out=none\n"
	  "  sudo netlimit set dl --in-rate=5mbit\n"
	  "  sudo netlimit set dl --rate=none\n"
	  "  sudo netlimit set dl --period=month:15\n" },
	{ "reset",
	  "Usage: netlimit reset ID|NAME [--json] [-q] [-v]\n"
	  "\n"
	  "Zero the counters and re-arm the caps.\n"
	  "\n"
	  "Examples:\n"
	  "  sudo netlimit reset dl\n" },
	{ "detach",
	  "Usage: netlimit detach ID|NAME [--json] [-q] [-v]\n"
	  "\n"
	  "Remove the limit and everything it attached.\n"
	  "\n"
	  "Examples:\n"
	  "  sudo netlimit detach dl\n" },
	{ "wait",
	  "Usage: netlimit wait ID|NAME [--json] [-q] [-v]\n"
	  "\n"
	  "Block until a cap is reached (exit 0) or the target is gone (exit 3).\n"
	  "\n"
	  "Examples:\n"
	  "  sudo netlimit attach --pid=123 --limit=100M --name=dl && sudo netlimit wait dl "
	  "&& kill 123\n" },
	{ "gc",
	  "Usage: netlimit gc [--legacy] [-q] [-v]\n"
	  "\n"
	  "Remove limits whose processes and cgroups are gone. --legacy: also the\n"
	  "limits an older netlimit pinned (one set of programs each; their caps are\n"
	  "lifted).\n"
	  "\n"
	  "Examples:\n"
	  "  sudo netlimit gc\n"
	  "  sudo netlimit gc --legacy\n" },
};

static void usage_of(const char *cmd)
{
	for (size_t i = 0; i < sizeof(manage_usage) / sizeof(manage_usage[0]); i++)
		if (!strcmp(manage_usage[i].cmd, cmd))
			fputs(manage_usage[i].usage, stdout);
}

struct opened {
	struct nl_state *st;
	struct nl_lim *q;
	__u32 id;
};

static int open_state(const char *cmd, struct nl_state **st, bool must_exist)
{
	int err;

	if (geteuid() != 0) {
		nl_err("%s needs root: limits live in root-only bpffs pins; run it with sudo", cmd);
		return NL_EXIT_NOPERM;
	}
	err = nl_state__open(st, false);
	if (err == -ENOENT && !must_exist)
		return 0;
	if (err) {
		if (err == -ENOENT)
			nl_err("no limits exist (see 'netlimit list')");
		else
			nl_err("cannot open netlimit's state: %s", strerror(-err));
		return err == -ENOENT ? NL_EXIT_NOTARGET : nl_exit_for_errno(err);
	}
	return 0;
}

struct by_name {
	const char *name;
	__u32 id;
	size_t found;
};

static int match_name(struct nl_lim *q, void *ctx)
{
	struct by_name *b = ctx;

	if (!strcmp(nl_lim__limit(q)->name, b->name)) {
		b->id = nl_lim__limit(q)->id;
		b->found++;
	}
	return 0;
}

int nl_limit_resolve(struct nl_state *st, const char *arg, __u32 *id)
{
	struct by_name b = { .name = arg };
	char dir[512], *end;
	unsigned long v = strtoul(arg, &end, 10);

	/* Digits only: strtoul would take " 1" and "+1" for 1. */
	if (*arg >= '0' && *arg <= '9' && !*end) {
		nl_state__path(st, (__u32)v, NULL, dir, sizeof(dir));
		if (v && v < NL_MAX_LIMITS && !access(dir, F_OK)) {
			*id = (__u32)v;
			return 0;
		}
		nl_err("no limit with id %s (see 'netlimit list')", arg);
		return NL_EXIT_NOTARGET;
	}
	nl_lim__each(st, match_name, &b);
	if (b.found == 1) {
		*id = b.id;
		return 0;
	}
	if (b.found)
		nl_err("%zu limits are named '%s': use the id (see 'netlimit list')", b.found, arg);
	else
		nl_err("no limit named '%s' (see 'netlimit list')", arg);
	return b.found ? NL_EXIT_USAGE : NL_EXIT_NOTARGET;
}

static int open_one(const char *cmd, const char *arg, struct opened *o)
{
	int status, err;

	memset(o, 0, sizeof(*o));
	status = open_state(cmd, &o->st, false);
	if (status)
		return status;
	if (!o->st) {
		/* No limit was ever made here: say so about the one asked for. */
		if (*arg >= '0' && *arg <= '9')
			nl_err("no limit with id %s (see 'netlimit list')", arg);
		else
			nl_err("no limit named '%s' (see 'netlimit list')", arg);
		return NL_EXIT_NOTARGET;
	}
	status = nl_limit_resolve(o->st, arg, &o->id);
	if (status)
		return status;
	err = nl_lim__open(o->st, o->id, &o->q);
	if (err) {
		nl_err("cannot open limit %u: %s", o->id, strerror(-err));
		return nl_exit_for_errno(err);
	}
	return 0;
}

static void close_one(struct opened *o)
{
	nl_lim__free(o->q);
	nl_state__free(o->st);
}


/*
 * What rates achieve: the counters twice, this far apart, when some limit
 * has a rate (list and show take that long then, and only then).
 */
#define ACHIEVED_MS 500

struct achieved {
	__u64 *in, *out; /* by id, at the first read */
	double dt;	 /* seconds between the reads; 0: not measured */
	bool any;	 /* some limit has a rate: worth the wait */
};

static int achieved_first(struct nl_lim *q, void *ctx)
{
	struct nl_limit *l = nl_lim__limit(q);
	struct achieved *a = ctx;

	if (!l->rated || l->id >= NL_MAX_LIMITS)
		return 0;
	a->in[l->id] = nl_read(&l->in.bytes);
	a->out[l->id] = nl_read(&l->out.bytes);
	a->any = true;
	return 0;
}

/* Read every rated limit (or only id, if not 0), wait, and keep the time apart. */
static void achieved_start(struct nl_state *st, struct nl_lim *one, struct achieved *a)
{
	struct timespec t0, t1, nap = { 0, ACHIEVED_MS * 1000000L };

	memset(a, 0, sizeof(*a));
	a->in = calloc(NL_MAX_LIMITS, sizeof(*a->in));
	a->out = calloc(NL_MAX_LIMITS, sizeof(*a->out));
	if (!a->in || !a->out)
		return;
	if (one)
		achieved_first(one, a);
	else
		nl_lim__each(st, achieved_first, a);
	if (!a->any)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	nanosleep(&nap, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	a->dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

/* Bits a second in and out since the first read; -1 where not measured. */
static void achieved_of(const struct achieved *a, const struct nl_limit *l, double *in,
			double *out)
{
	*in = *out = -1;
	if (!a || !a->dt || !a->in || !l->rated || l->id >= NL_MAX_LIMITS)
		return;
	*in = (double)(l->in.bytes - a->in[l->id]) * 8 / a->dt;
	*out = (double)(l->out.bytes - a->out[l->id]) * 8 / a->dt;
}

static void achieved_free(struct achieved *a)
{
	free(a->in);
	free(a->out);
}

/* One limit as a JSON object (inside an array or alone). */
static void json_limit(struct nl_json *j, const struct nl_limit *l, const struct achieved *a,
		       struct nl_dp *dp)
{
	struct nl_period_view pv;
	double in, out;
	char hit[32];

	nl_json_open(j, NULL, '{');
	nl_json_u64(j, "id", l->id);
	nl_json_str(j, "name", l->name);
	nl_json_str(j, "kind", nl_kind_name(l->kind));
	nl_json_str(j, "target", l->target);
	nl_json_str(j, "state", nl_state_name(l));
	nl_json_str(j, "action", nl_action_name(l->action));
	nl_json_str(j, "count", l->wire ? "wire" : "l3");
	nl_json_str(j, "scope",
		    l->kind == NL_KIND_HOST	   ? "host"
		    : l->scope == NL_SCOPE_ONLY	   ? "only"
		    : l->scope == NL_SCOPE_EXCLUDE ? "exclude"
						   : "all");
	nl_json_counters(j, l);
	achieved_of(a, l, &in, &out);
	if (in >= 0) {
		nl_json_double(j, "in_achieved_bps", in);
		nl_json_double(j, "out_achieved_bps", out);
	} else {
		nl_json_null(j, "in_achieved_bps");
		nl_json_null(j, "out_achieved_bps");
	}
	nl_period_view(dp, l, &pv);
	if (pv.has) {
		char name[32];

		nl_json_str(j, "period", nl_period_name(&pv.spec, name, sizeof(name)));
		if (pv.next)
			nl_json_u64(j, "period_next_reset", (unsigned long long)pv.next);
		else
			nl_json_null(j, "period_next_reset");
		nl_json_u64(j, "period_resets", pv.resets);
		nl_json_u64(j, "period_prev_in_bytes", pv.prev_in);
		nl_json_u64(j, "period_prev_out_bytes", pv.prev_out);
	} else {
		nl_json_null(j, "period");
		nl_json_null(j, "period_next_reset");
	}
	nl_json_u64(j, "pid", l->pid);
	nl_json_u64(j, "owner_uid", l->owner_uid);
	nl_json_bool(j, "limit_hit", l->hit);
	nl_json_str(j, "hit", nl_hit_names(l->hit, hit, sizeof(hit)));
	nl_json_u64(j, "tasks", l->tasks);
	nl_json_int(j, "socks", l->socks);
	nl_json_u64(j, "created_ns", l->created_ns);
	nl_json_close(j, '}');
}

/* A limit as one JSON document on its own line. */
static void json_limit_line(const struct nl_limit *l, const struct achieved *a, struct nl_dp *dp)
{
	struct nl_json j;

	nl_json_init(&j, stdout);
	json_limit(&j, l, a, dp);
}

static bool parse_json_flag(int argc, char **argv, const char *cmd, bool *json, int *nargs,
			    char **args)
{
	int i;

	*json = false;
	*nargs = 0;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			*json = true;
		} else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			nl_verbosity = NL_QUIET;
		} else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			nl_verbosity = NL_VERBOSE;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage_of(cmd);
			return false;
		} else if (argv[i][0] == '-') {
			nl_err("unknown option '%s' (see 'netlimit %s --help')", argv[i], cmd);
			*nargs = -1;
			return false;
		} else if (*nargs < 4) {
			args[(*nargs)++] = argv[i];
		}
	}
	return true;
}

struct list_ctx {
	bool json;
	struct nl_json j;
	struct achieved a;
};

static int list_one(struct nl_lim *q, void *ctx)
{
	char in[32], out[32], caps[96], used[64], target[NL_TARGET_LEN], rates[128], ach[64];
	char period[64];
	struct nl_period_view pv;
	struct list_ctx *c = ctx;
	struct nl_limit l;
	double ain, aout;
	size_t tl;

	nl_limit_snapshot(nl_lim__limit(q), &l);
	if (c->json) {
		json_limit(&c->j, &l, &c->a, nl_lim__dp(q));
		return 0;
	}
	nl_rates_cell(l.rate, rates, sizeof(rates));
	achieved_of(&c->a, &l, &ain, &aout);
	nl_achieved_cell(&l, ain, aout, ach, sizeof(ach));
	/* Paths are data: no control character or broken UTF-8 reaches the terminal. */
	nl_printable(l.target, target, sizeof(target));
	tl = strlen(target);
	nl_caps_cells(&l, caps, sizeof(caps), used, sizeof(used));
	nl_period_view(nl_lim__dp(q), &l, &pv);
	nl_period_cell(&pv, period, sizeof(period));
	/* A long path: its end names the target; keep that. */
	printf("%-4u %-16s %-6s %s%-*s %12s %12s  %-24s %-18s %-12s %-26s %-24s %s\n", l.id,
	       l.name[0] ? l.name : "-", nl_kind_name(l.kind), tl > 34 ? "..." : "",
	       tl > 34 ? 31 : 34, tl > 34 ? target + tl - 31 : target,
	       nl_format_size(l.in.bytes, in, sizeof(in)),
	       nl_format_size(l.out.bytes, out, sizeof(out)), caps[0] ? caps : "-",
	       used[0] ? used : "-", nl_state_name(&l), rates, ach, period);
	return 0;
}

int nl_cmd_list(int argc, char **argv)
{
	struct nl_state *st = NULL;
	struct list_ctx c = { 0 };
	char *args[4];
	int status, nargs;

	if (!parse_json_flag(argc, argv, "list", &c.json, &nargs, args))
		return nargs < 0 ? NL_EXIT_USAGE : NL_EXIT_OK;
	if (nargs) {
		nl_err("list takes no arguments (see 'netlimit list --help')");
		return NL_EXIT_USAGE;
	}
	status = open_state("netlimit list", &st, false);
	if (status)
		return status;
	if (st && !nl_dp_usable(st)) {
		nl_state__free(st);
		return NL_EXIT_UNSUPPORTED;
	}
	if (st && !nl_state__lock(st)) {
		nl_gc(st, false); /* cheap, and list then shows what really is; periods catch up */
		nl_state__unlock(st);
	}
	if (st)
		achieved_start(st, NULL, &c.a);
	nl_json_init(&c.j, stdout);
	if (c.json)
		nl_json_open(&c.j, NULL, '[');
	else
		printf("%-4s %-16s %-6s %-34s %12s %12s  %-24s %-18s %-12s %-26s %-24s %s\n", "ID",
		       "NAME", "KIND", "TARGET", "IN", "OUT", "CAPS", "USED", "STATE", "RATES",
		       "ACHIEVED", "PERIOD");
	if (st)
		nl_lim__each(st, list_one, &c);
	if (c.json)
		nl_json_close(&c.j, ']');
	achieved_free(&c.a);
	nl_state__free(st);
	return NL_EXIT_OK;
}

static int need_one_arg(const char *cmd, int nargs)
{
	if (nargs == 1)
		return 0;
	nl_err("%s takes one limit id or name (see 'netlimit %s --help')", cmd, cmd);
	return NL_EXIT_USAGE;
}

int nl_cmd_show(int argc, char **argv)
{
	char *args[4], created[64], target[NL_TARGET_LEN];
	struct achieved a = { 0 };
	struct opened o;
	struct nl_limit l;
	struct tm tm;
	time_t t;
	int status, nargs;
	bool json;

	if (!parse_json_flag(argc, argv, "show", &json, &nargs, args))
		return nargs < 0 ? NL_EXIT_USAGE : NL_EXIT_OK;
	status = need_one_arg("show", nargs);
	if (status)
		return status;
	status = open_one("netlimit show", args[0], &o);
	if (status)
		goto out;
	achieved_start(o.st, o.q, &a);
	nl_limit_snapshot(nl_lim__limit(o.q), &l);
	if (json) {
		json_limit_line(&l, &a, nl_lim__dp(o.q));
		goto out;
	}
	t = (time_t)(l.created_ns / 1000000000ULL);
	localtime_r(&t, &tm);
	strftime(created, sizeof(created), "%Y-%m-%d %H:%M:%S", &tm);
	printf("limit %u%s%s%s\n", l.id, l.name[0] ? " (" : "", l.name, l.name[0] ? ")" : "");
	printf("  kind     %s\n  target   %s\n  state    %s\n  action   %s at the cap\n",
	       nl_kind_name(l.kind), nl_printable(l.target, target, sizeof(target)), nl_state_name(&l),
	       nl_action_name(l.action));
	printf("  count    %s bytes%s\n", l.wire ? "wire" : "L3",
	       l.scope == NL_SCOPE_ONLY	     ? ", only some remote prefixes"
	       : l.scope == NL_SCOPE_EXCLUDE ? ", all but some remote prefixes"
					     : "");
	if (l.kind == NL_KIND_RUN && l.pid)
		printf("  pid      %u (the command)\n", l.pid);
	if (l.kind == NL_KIND_PID)
		printf("  tasks    %u process(es), %d open TCP socket(s) tagged\n", l.tasks,
		       l.socks);
	printf("  created  %s\n", created);
	if (l.owner_uid)
		printf("  owner    uid %u (made through the netlimit service)\n", l.owner_uid);
	{
		struct nl_period_view pv;
		char cell[64], pin[32], pout[32];

		nl_period_view(nl_lim__dp(o.q), &l, &pv);
		if (pv.has) {
			printf("  period   %s (local time)\n", nl_period_cell(&pv, cell, sizeof(cell)));
			if (pv.resets)
				printf("  before   the last reset (%llu so far): in %s, out %s\n",
				       (unsigned long long)pv.resets,
				       nl_format_size(pv.prev_in, pin, sizeof(pin)),
				       nl_format_size(pv.prev_out, pout, sizeof(pout)));
		}
	}
	nl_report_table(stdout, &l);
	if (l.rated) {
		char ach[64];
		double in, out;

		achieved_of(&a, &l, &in, &out);
		nl_achieved_cell(&l, in, out, ach, sizeof(ach));
		printf("  achieved %s (over the last %.1f s)\n", ach, a.dt);
	}
out:
	achieved_free(&a);
	close_one(&o);
	return status;
}

int nl_cmd_set(int argc, char **argv)
{
	static const struct option longopts[] = { NL_CAP_LONGOPTS,
						  { "help", no_argument, NULL, 'h' },
						  { 0 } };
	struct nl_limit *l;
	struct nl_caps caps;
	struct opened o = { 0 };
	__u32 rearm = 0;
	int c, status;

	nl_caps_init(&caps);
	caps.allow_none = true;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":l:hqv", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage_of("set");
			return NL_EXIT_OK;
		}
		if (c == 'q' || c == 'v') {
			nl_verbosity = c == 'q' ? NL_QUIET : NL_VERBOSE;
			continue;
		}
		if (!nl_caps_opt(c, optarg, &caps)) {
			nl_opt_unknown("set", c, argv);
			return NL_EXIT_USAGE;
		}
		if (caps.error)
			return NL_EXIT_USAGE;
	}
	/* getopt permutes: `set 3 --in=1G` and `set --in=1G 3` both work. */
	if (optind != argc - 1) {
		nl_err("set takes one limit id or name (see 'netlimit set --help')");
		return NL_EXIT_USAGE;
	}
	if (!nl_caps_given(&caps) && !caps.given_burst && !caps.given_period) {
		nl_err("set needs a cap or a rate to change: --limit, --in, --out (SIZE or 'none'), "
		       "--rate, --in-rate, --out-rate (RATE or 'none'), --burst, --period (or 'none')");
		return NL_EXIT_USAGE;
	}
	status = open_one("netlimit set", argv[optind], &o);
	if (status)
		goto out;
	nl_state__lock(o.st);
	l = nl_lim__limit(o.q);
	if (caps.given_in) {
		__atomic_store_n(&l->cap_in, caps.in, __ATOMIC_RELAXED);
		rearm |= NL_HIT_IN;
	}
	if (caps.given_out) {
		__atomic_store_n(&l->cap_out, caps.out, __ATOMIC_RELAXED);
		rearm |= NL_HIT_OUT;
	}
	if (caps.given_total) {
		__atomic_store_n(&l->cap_total, caps.total, __ATOMIC_RELAXED);
		rearm |= NL_HIT_TOTAL;
	}
	if (nl_rates_given(&caps) || caps.given_burst) {
		struct nl_rates r;
		struct nl_limit before;
		int b;

		for (b = 0; b < NL_BUCKETS; b++)
			r.bits[b] = caps.given_rate[b] ? caps.rates.bits[b] : l->rate[b];
		r.burst = caps.given_burst ? caps.rates.burst : l->burst_opt;
		before = *l;
		nl_rate_apply(l, &r);
		/* Counted anew before uncounted: no count drops to 0 between. */
		nl_rate_count(nl_dp__conf(nl_lim__dp(o.q)), l, 1);
		nl_rate_count(nl_dp__conf(nl_lim__dp(o.q)), &before, -1);
		/* Its shaper class follows its in-rate (user/shaper.c). */
		if ((before.rate[NL_B_IN] || l->rate[NL_B_IN]) &&
		    (caps.given_rate[NL_B_IN] || caps.given_burst) &&
		    nl_shaper_sync(o.st, nl_lim__dp(o.q)))
			nl_err("limit %u's --in-rate polices what arrives instead (drops, not a queue)",
			       o.id);
	}
	nl_limit_gates(l);
	/* A changed cap is armed again: its next refusal sends a new event. */
	__atomic_fetch_and(&l->hit, ~rearm, __ATOMIC_RELAXED);
	if (caps.given_period) {
		int err;

		if (caps.period.kind && l->cap_in == NL_UNLIMITED && l->cap_out == NL_UNLIMITED &&
		    l->cap_total == NL_UNLIMITED) {
			nl_err("--period resets caps and limit %u has none: give one with --limit, "
			       "--in or --out",
			       o.id);
			status = NL_EXIT_USAGE;
		} else if ((err = nl_period_set(nl_lim__dp(o.q), o.id, l->gen, &caps.period))) {
			nl_err("limit %u: cannot set its period: %s", o.id, strerror(-err));
			status = nl_exit_for_errno(err);
		}
	}
	nl_state__unlock(o.st);
	if (status)
		goto out;
	nl_info("limit %u: %s set", o.id, nl_rates_given(&caps) ? "rates" : "caps");
out:
	close_one(&o);
	return status;
}

int nl_cmd_reset(int argc, char **argv)
{
	char *args[4];
	struct opened o;
	struct nl_limit *l;
	int status, nargs;
	bool json;

	if (!parse_json_flag(argc, argv, "reset", &json, &nargs, args))
		return nargs < 0 ? NL_EXIT_USAGE : NL_EXIT_OK;
	status = need_one_arg("reset", nargs);
	if (status)
		return status;
	status = open_one("netlimit reset", args[0], &o);
	if (status)
		goto out;
	nl_state__lock(o.st);
	l = nl_lim__limit(o.q);
	/* Packets in flight on another CPU may land before or after: either is a reset. */
	__atomic_store_n(&l->in.bytes, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->in.packets, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->in.drop_bytes, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->in.drop_packets, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->out.bytes, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->out.packets, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->out.drop_bytes, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->out.drop_packets, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->in.held_bytes, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->in.held_packets, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->out.held_bytes, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->out.held_packets, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->hit, 0, __ATOMIC_RELAXED);
	nl_state__unlock(o.st);
	if (json) {
		struct nl_limit snap;

		nl_limit_snapshot(l, &snap);
		json_limit_line(&snap, NULL, nl_lim__dp(o.q));
	}
	nl_info("limit %u: counters reset", o.id);
out:
	close_one(&o);
	return status;
}

int nl_cmd_detach(int argc, char **argv)
{
	char *args[4];
	struct opened o;
	int status, nargs, err;
	bool json;

	if (!parse_json_flag(argc, argv, "detach", &json, &nargs, args))
		return nargs < 0 ? NL_EXIT_USAGE : NL_EXIT_OK;
	status = need_one_arg("detach", nargs);
	if (status)
		return status;
	status = open_one("netlimit detach", args[0], &o);
	if (status)
		goto out;
	nl_lim__free(o.q);
	o.q = NULL;
	nl_state__lock(o.st);
	err = nl_limit_remove(o.st, o.id, 0);
	nl_state__unlock(o.st);
	if (err) {
		nl_err("cannot detach limit %u: %s", o.id, strerror(-err));
		status = nl_exit_for_errno(err);
	} else {
		if (json) {
			struct nl_json j;

			nl_json_init(&j, stdout);
			nl_json_open(&j, NULL, '{');
			nl_json_u64(&j, "id", o.id);
			nl_json_bool(&j, "detached", true);
			nl_json_close(&j, '}');
		}
		nl_info("limit %u detached", o.id);
	}
out:
	close_one(&o);
	return status;
}

static void ignore_event(void *ctx, const struct nl_event *e)
{
}

int nl_cmd_wait(int argc, char **argv)
{
	char *args[4], dir[512];
	struct opened o;
	struct nl_limit *l;
	int status, nargs, efd;
	bool json;

	if (!parse_json_flag(argc, argv, "wait", &json, &nargs, args))
		return nargs < 0 ? NL_EXIT_USAGE : NL_EXIT_OK;
	status = need_one_arg("wait", nargs);
	if (status)
		return status;
	status = open_one("netlimit wait", args[0], &o);
	if (status)
		goto out;
	l = nl_lim__limit(o.q);
	nl_state__path(o.st, o.id, NULL, dir, sizeof(dir));
	/*
	 * An owner (run, a watcher) holds the limit's event ring; without one,
	 * the ring is ours and wakes us. The 20 ms poll covers the owned case.
	 */
	efd = nl_state__owned(o.st, o.id) ? -1 : nl_lim__events(o.q, ignore_event, NULL);
	for (;;) {
		struct pollfd pfd = { .fd = efd, .events = POLLIN };

		if (__atomic_load_n(&l->hit, __ATOMIC_RELAXED)) {
			status = NL_EXIT_OK;
			break;
		}
		if (nl_limit_target_gone(l) || access(dir, F_OK)) {
			nl_info("limit %u: the target is gone before its cap", o.id);
			status = NL_EXIT_GONE;
			break;
		}
		poll(&pfd, efd >= 0 ? 1 : 0, 20);
		nl_lim__consume(o.q);
	}
	if (json) {
		struct nl_json j;
		char hit[32];

		nl_json_init(&j, stdout);
		nl_json_open(&j, NULL, '{');
		nl_json_u64(&j, "id", o.id);
		nl_json_str(&j, "result", status == NL_EXIT_OK ? "cap reached" : "target gone");
		nl_json_str(
			&j, "hit",
			nl_hit_names(__atomic_load_n(&l->hit, __ATOMIC_RELAXED), hit, sizeof(hit)));
		nl_json_close(&j, '}');
	}
out:
	close_one(&o);
	return status;
}

int nl_cmd_gc(int argc, char **argv)
{
	struct nl_state *st = NULL;
	int status, n = 0;
	bool legacy = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage_of("gc");
			return NL_EXIT_OK;
		}
		if (!strcmp(argv[i], "--legacy")) {
			legacy = true;
			continue;
		}
		if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "-v")) {
			nl_verbosity = argv[i][1] == 'q' ? NL_QUIET : NL_VERBOSE;
			continue;
		}
		nl_err("gc: unexpected '%s' (see 'netlimit gc --help')", argv[i]);
		return NL_EXIT_USAGE;
	}
	status = open_state("netlimit gc", &st, false);
	if (status || !st)
		return status;
	nl_state__lock(st);
	if (legacy)
		n += nl_gc_legacy(st);
	n += nl_gc(st, true);
	nl_state__unlock(st);
	nl_info("%d limit(s) removed", n);
	nl_state__free(st);
	return NL_EXIT_OK;
}

