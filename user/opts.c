// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Shared option parsing: every refusal is one line naming the option and input. */
#include <getopt.h>
#include <string.h>
#include "exitcode.h"
#include "log.h"
#include "opts.h"
#include "dataplane.h"
#include "rate.h"
#include "size.h"

void nl_caps_init(struct nl_caps *c)
{
	memset(c, 0, sizeof(*c));
	c->in = c->out = c->total = NL_UNLIMITED;
}

static void parse_cap(const char *opt, const char *arg, __u64 *cap, bool *given, struct nl_caps *c)
{
	const char *why;

	*given = true;
	if (c->allow_none && !strcmp(arg, "none")) {
		*cap = NL_UNLIMITED;
		return;
	}
	if (nl_parse_size(arg, cap, &why)) {
		nl_err("--%s: '%s' %s (examples: 500K, 25M, 1.5G, 100MB)", opt, arg, why);
		c->error = true;
	}
}

static void parse_rate(const char *opt, const char *arg, int b, struct nl_caps *c)
{
	const char *why;

	c->given_rate[b] = true;
	if (c->allow_none && !strcmp(arg, "none")) {
		c->rates.bits[b] = 0;
		return;
	}
	if (nl_parse_rate(arg, &c->rates.bits[b], &why) ||
	    nl_rate_check(c->rates.bits[b], &why)) {
		nl_err("--%s: '%s' %s (examples: 10mbit, 1.5Mbit/s, 500KB/s, 2MiB/s; a bare number "
		       "is bytes/s)",
		       opt, arg, why);
		c->error = true;
	}
}

bool nl_caps_opt(int opt, const char *arg, struct nl_caps *c)
{
	const char *why;

	switch (opt) {
	case NL_OPT_RATE:
		parse_rate("rate", arg, NL_B_TOTAL, c);
		return true;
	case NL_OPT_IN_RATE:
		parse_rate("in-rate", arg, NL_B_IN, c);
		return true;
	case NL_OPT_OUT_RATE:
		parse_rate("out-rate", arg, NL_B_OUT, c);
		return true;
	case NL_OPT_BURST:
		c->given_burst = true;
		if (nl_parse_size(arg, &c->rates.burst, &why)) {
			nl_err("--burst: '%s' %s (examples: 64K, 1M)", arg, why);
			c->error = true;
		} else if (c->rates.burst < NL_BURST_MIN) {
			nl_err("--burst: '%s' is smaller than one full-size packet: give at least %u "
			       "bytes",
			       arg, NL_BURST_MIN);
			c->error = true;
		}
		return true;
	case NL_OPT_PERIOD:
		c->given_period = true;
		if (c->allow_none && !strcmp(arg, "none")) {
			c->period.kind = NL_PERIOD_NONE;
		} else if (nl_period_parse(arg, &c->period, &why)) {
			nl_err("--period: '%s' %s (examples: day, week, month, month:15)", arg, why);
			c->error = true;
		}
		return true;
	case 'l':
		parse_cap("limit", arg, &c->total, &c->given_total, c);
		return true;
	case NL_OPT_IN:
		parse_cap("in", arg, &c->in, &c->given_in, c);
		return true;
	case NL_OPT_OUT:
		parse_cap("out", arg, &c->out, &c->given_out, c);
		return true;
	default:
		return false;
	}
}

bool nl_rates_given(const struct nl_caps *c)
{
	return c->given_rate[NL_B_IN] || c->given_rate[NL_B_OUT] || c->given_rate[NL_B_TOTAL];
}

bool nl_caps_given(const struct nl_caps *c)
{
	return c->given_in || c->given_out || c->given_total || nl_rates_given(c);
}

bool nl_caps_complete(const struct nl_caps *c, int action, const char *cmd)
{
	if (!nl_caps_given(c)) {
		nl_err("no cap or rate given: use --limit, --in, --out, --rate, --in-rate or "
		       "--out-rate (see 'netlimit %s --help')",
		       cmd);
		return false;
	}
	if (action == NL_ACT_THROTTLE && !c->given_in && !c->given_out && !c->given_total) {
		nl_err("--on-limit=throttle needs a cap to throttle after: add --limit, --in or --out");
		return false;
	}
	if (c->given_period && !c->given_in && !c->given_out && !c->given_total) {
		nl_err("--period resets caps: add --limit, --in or --out");
		return false;
	}
	if (c->given_burst && !nl_rates_given(c) && action != NL_ACT_THROTTLE) {
		nl_err("--burst applies to a rate: add --rate, --in-rate or --out-rate");
		return false;
	}
	return true;
}

bool nl_scope_opt(int opt, const char *arg, struct nl_scope_opts *s)
{
	__u32 mode = opt == NL_OPT_ONLY ? NL_SCOPE_ONLY : NL_SCOPE_EXCLUDE;
	struct nl_prefix more[NL_MAX_PREFIXES];
	char err[200], fa[64], fb[64];
	size_t n, i, j;

	if (opt == NL_OPT_COUNT) {
		if (!strcmp(arg, "wire")) {
			s->wire = true;
		} else if (!strcmp(arg, "l3")) {
			s->wire = false;
		} else {
			nl_err("--count: '%s' is not 'l3' or 'wire'", arg);
			s->error = true;
		}
		return true;
	}
	if (opt != NL_OPT_ONLY && opt != NL_OPT_EXCLUDE)
		return false;
	if (s->mode && s->mode != mode) {
		nl_err("use --only or --exclude, not both: one limit counts one scope");
		s->error = true;
		return true;
	}
	s->mode = mode;
	if (s->n == NL_MAX_PREFIXES) {
		nl_err("--%s: at most %d prefixes in all", opt == NL_OPT_ONLY ? "only" : "exclude",
		       NL_MAX_PREFIXES);
		s->error = true;
		return true;
	}
	if (nl_parse_prefixes(arg, more, NL_MAX_PREFIXES - s->n, &n, err, sizeof(err))) {
		nl_err("--%s: %s", opt == NL_OPT_ONLY ? "only" : "exclude", err);
		s->error = true;
		return true;
	}
	/* Repeated options add up; their prefixes must not overlap either. */
	for (i = 0; i < n; i++) {
		for (j = 0; j < s->n; j++) {
			if (nl_prefix_overlap(&more[i], &s->prefixes[j])) {
				nl_err("--%s: %s overlaps %s: give each address range once",
				       opt == NL_OPT_ONLY ? "only" : "exclude",
				       nl_format_prefix(&more[i], fa, sizeof(fa)),
				       nl_format_prefix(&s->prefixes[j], fb, sizeof(fb)));
				s->error = true;
				return true;
			}
		}
		s->prefixes[s->n++] = more[i];
	}
	return true;
}

void nl_common_init(struct nl_common_opts *c, struct nl_scope_opts *scope)
{
	memset(c, 0, sizeof(*c));
	nl_caps_init(&c->caps);
	c->verbosity = NL_NORMAL;
	c->scope = scope;
	if (scope)
		memset(scope, 0, sizeof(*scope));
}

static int common_opt(int opt, const char *arg, struct nl_common_opts *c)
{
	switch (opt) {
	case 'n':
		return nl_opt_name(arg, &c->name) ? 1 : -1;
	case NL_OPT_JSON:
		c->json = true;
		return 1;
	case 'v':
		c->verbosity = NL_VERBOSE;
		return 1;
	case 'q':
		c->verbosity = NL_QUIET;
		return 1;
	default:
		break;
	}
	if (nl_caps_opt(opt, arg, &c->caps))
		return c->caps.error ? -1 : 1;
	if (c->scope && (!c->scope_count_only || opt == NL_OPT_COUNT) &&
	    nl_scope_opt(opt, arg, c->scope))
		return c->scope->error ? -1 : 1;
	return 0;
}

int nl_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
	      struct nl_common_opts *c)
{
	int opt, r;

	if (!c->started) {
		optind = 0; /* a full reset: a parse may run more than once (tests) */
		opterr = 0;
		c->started = true;
	}
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		/* `--limit -- cmd`: getopt hands "--" over as the value. */
		if (optarg && !strcmp(optarg, "--")) {
			nl_err("'%s' needs a value before '--'", argv[optind - 2]);
			return NL_OPT_REFUSED;
		}
		r = common_opt(opt, optarg, c);
		if (r < 0)
			return NL_OPT_REFUSED;
		if (!r)
			return opt;
	}
	return -1;
}

bool nl_opt_action(const char *arg, int *action, struct nl_caps *c)
{
	const char *why;

	if (!strcmp(arg, "kill")) {
		*action = NL_ACT_KILL;
	} else if (!strcmp(arg, "block")) {
		*action = NL_ACT_BLOCK;
	} else if (!strncmp(arg, "throttle:", 9)) {
		*action = NL_ACT_THROTTLE;
		c->given_rate[NL_B_THROTTLE] = true;
		if (nl_parse_rate(arg + 9, &c->rates.bits[NL_B_THROTTLE], &why) ||
		    nl_rate_check(c->rates.bits[NL_B_THROTTLE], &why)) {
			nl_err("--on-limit=throttle: '%s' %s (example: throttle:1mbit)", arg + 9,
			       why);
			return false;
		}
	} else {
		nl_err("--on-limit: '%s' is not 'kill', 'block' or 'throttle:RATE'", arg);
		return false;
	}
	return true;
}

bool nl_opt_grace(const char *arg, __u64 *ns)
{
	const char *why;

	if (nl_parse_duration(arg, ns, &why)) {
		nl_err("--grace: '%s' %s", arg, why);
		return false;
	}
	return true;
}

bool nl_name_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_' || ch == '.';
}

bool nl_opt_name(const char *arg, const char **name)
{
	size_t i, n = strlen(arg);

	if (!n || n >= NL_NAME_LEN || (arg[0] >= '0' && arg[0] <= '9')) {
		nl_err("--name: '%s' must be 1 to 31 characters and not start with a digit", arg);
		return false;
	}
	for (i = 0; i < n; i++) {
		if (!nl_name_char_ok(arg[i])) {
			nl_err("--name: '%s' may hold letters, digits, '-', '_' and '.' only", arg);
			return false;
		}
	}
	*name = arg;
	return true;
}

void nl_opt_unknown(const char *cmd, int c, char **argv)
{
	if (c == ':')
		nl_err("'%s' needs a value (see 'netlimit %s --help')", argv[optind - 1], cmd);
	else if (optopt && optopt < 256)
		nl_err("unknown option '-%c' (see 'netlimit %s --help')", optopt, cmd);
	else
		nl_err("unknown option '%s' (see 'netlimit %s --help')", argv[optind - 1], cmd);
}

int nl_opt_duration(const char *name, const char *arg, __u64 *ns, __u64 max_ns, bool zero_ok)
{
	const char *why = NULL;

	if (nl_parse_duration(arg, ns, &why)) {
		nl_err("--%s: '%s' %s", name, arg, why);
		return NL_EXIT_USAGE;
	}
	if ((!*ns && !zero_ok) || (max_ns && *ns > max_ns)) {
		nl_err("--%s: '%s' must be more than 0%s", name, arg,
		       max_ns ? " and at most 24h" : "");
		return NL_EXIT_USAGE;
	}
	return 0;
}

int nl_opt_no_args(const char *cmd, int argc, char **argv)
{
	if (optind >= argc)
		return 0;
	nl_err("%s takes no arguments (see 'netlimit %s --help')", cmd, cmd);
	return NL_EXIT_USAGE;
}
