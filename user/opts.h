/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Option parsing shared by the subcommands: caps, actions, names, errors. */
#ifndef NETLIMIT_OPTS_H
#define NETLIMIT_OPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <linux/types.h>
#include "prefix.h"
#include "rate.h"
#include "period_user.h"

enum {
	NL_OPT_IN = 256,
	NL_OPT_OUT,
	NL_OPT_ON_LIMIT,
	NL_OPT_GRACE,
	NL_OPT_JSON,
	NL_OPT_ONLY,
	NL_OPT_EXCLUDE,
	NL_OPT_COUNT,
	NL_OPT_DRAIN,
	NL_OPT_RATE,
	NL_OPT_IN_RATE,
	NL_OPT_OUT_RATE,
	NL_OPT_BURST,
	NL_OPT_PERIOD,
};

/* The rate options as every limit-making command's --help shows them. */
#define NL_RATES_HELP                                                                              \
	"Rates (alone or with caps; traffic over a rate waits or is dropped, the\n"                \
	"command goes on):\n"                                                                      \
	"      --rate=RATE       received plus sent\n"                                              \
	"      --in-rate=RATE    received (queued in a shaper on this network namespace's\n"      \
	"                        interfaces; NETLIMIT_SHAPER=off: dropped instead)\n"              \
	"      --out-rate=RATE   sent\n"                                                            \
	"  RATE: bits per second (10mbit, 1.5Mbit/s, 1gbit; powers of 1000) or bytes per\n"        \
	"        second (500KB/s, 2MiB/s, 64K; a bare number is bytes/s); 1kbit to 1tbit.\n"       \
	"      --burst=SIZE      what may pass at once above the rate (default: 10 ms\n"           \
	"                        at the rate, at least 16K; at least 1514 bytes)\n"

/* --period, as every limit-making command's --help shows it. */
#define NL_PERIOD_HELP                                                                             \
	"      --period=PERIOD   the counts start again from 0 at each period's start and\n"       \
	"                        the caps re-arm: day, week (Monday), month (the 1st) or\n"        \
	"                        month:DAY (DAY 1-31; the last day in shorter months);\n"         \
	"                        local midnight, whether or not netlimit runs then\n"

/* Caps and rates: every command that makes or changes a limit takes them. */
#define NL_CAP_LONGOPTS                                                                            \
	{ "limit", required_argument, NULL, 'l' }, { "in", required_argument, NULL, NL_OPT_IN },   \
		{ "out", required_argument, NULL, NL_OPT_OUT },                                    \
		{ "rate", required_argument, NULL, NL_OPT_RATE },                                  \
		{ "in-rate", required_argument, NULL, NL_OPT_IN_RATE },                            \
		{ "out-rate", required_argument, NULL, NL_OPT_OUT_RATE },                          \
		{ "period", required_argument, NULL, NL_OPT_PERIOD },                              \
	{                                                                                          \
		"burst", required_argument, NULL, NL_OPT_BURST                                     \
	}

/* Caps and rates as given on the command line; NL_UNLIMITED / 0 where not given. */
struct nl_caps {
	__u64 in, out, total;
	bool given_in, given_out, given_total;
	struct nl_rates rates;
	bool given_rate[NL_BUCKETS]; /* NL_B_THROTTLE: --on-limit=throttle:RATE */
	bool given_burst;
	struct nl_period_spec period; /* --period; kind NONE: none (or `set`: removed) */
	bool given_period;
	bool allow_none; /* `set`: "none" removes a cap or a rate */
	bool error;
};

void nl_caps_init(struct nl_caps *c);
/* Handle -l/--in/--out; false if c is not a cap option. Errors set c->error. */
bool nl_caps_opt(int opt, const char *arg, struct nl_caps *c);
/* Whether a cap or a rate was given (a burst alone is not a limit). */
bool nl_caps_given(const struct nl_caps *c);
bool nl_rates_given(const struct nl_caps *c);
/* A limit-making command's caps make sense together; else one line, false. */
bool nl_caps_complete(const struct nl_caps *c, int action, const char *cmd);

#define NL_SCOPE_LONGOPTS                                                                          \
	{ "only", required_argument, NULL, NL_OPT_ONLY },                                          \
		{ "exclude", required_argument, NULL, NL_OPT_EXCLUDE },                            \
	{                                                                                          \
		"count", required_argument, NULL, NL_OPT_COUNT                                     \
	}

/* --only / --exclude / --count, shared by run and attach. */
struct nl_scope_opts {
	__u32 mode; /* enum nl_scope_mode */
	struct nl_prefix prefixes[NL_MAX_PREFIXES];
	size_t n;
	bool wire;
	bool error;
};

/* Handle --only/--exclude/--count; false if opt is none of them. */
bool nl_scope_opt(int opt, const char *arg, struct nl_scope_opts *s);

/* The long options nl_getopt() handles for every limit-making command (and -h). */
#define NL_COMMON_LONGOPTS                                                                         \
	{ "name", required_argument, NULL, 'n' }, { "json", no_argument, NULL, NL_OPT_JSON },      \
		{ "verbose", no_argument, NULL, 'v' }, { "quiet", no_argument, NULL, 'q' },        \
	{                                                                                          \
		"help", no_argument, NULL, 'h'                                                     \
	}

/* Options every limit-making command shares. */
struct nl_common_opts {
	const char *name;
	bool json;
	int verbosity;
	struct nl_caps caps;
	struct nl_scope_opts *scope; /* NULL: the command takes no scope options */
	bool scope_count_only;	     /* only --count of the scope options */
	bool started;		     /* nl_getopt() has reset getopt */
};

void nl_common_init(struct nl_common_opts *c, struct nl_scope_opts *scope);
#define NL_OPT_REFUSED (-2)

/*
 * getopt_long() that handles the shared options itself: returns the next
 * option of the command's own, -1 at the end, or NL_OPT_REFUSED after a
 * refused value (its message printed). The first call starts a fresh parse.
 */
int nl_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
	      struct nl_common_opts *c);

/* kill, block or throttle:RATE (the rate into c). */
bool nl_opt_action(const char *arg, int *action, struct nl_caps *c);
bool nl_opt_grace(const char *arg, __u64 *ns);
bool nl_opt_name(const char *arg, const char **name);
/* Letters, digits, '-', '_' and '.': what a limit's name may hold. */
bool nl_name_char_ok(char ch);
/* The message for getopt's '?' and ':' returns. */
void nl_opt_unknown(const char *cmd, int c, char **argv);
/*
 * --NAME=DURATION: above 0 and at most max_ns (0: no bound) unless zero_ok.
 * 0, or NL_EXIT_USAGE after one line saying what is wrong.
 */
int nl_opt_duration(const char *name, const char *arg, __u64 *ns, __u64 max_ns, bool zero_ok);
/* A command that takes no arguments: 0, or NL_EXIT_USAGE after saying so. */
int nl_opt_no_args(const char *cmd, int argc, char **argv);

#endif
