/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Periods, user side (kernel side: bpf/period.bpf.h; types: include/period.h):
 * --period=day|week|month[:DAY] parsed, its boundaries in local time, handed
 * to the limit's kernel timer, and topped up later.
 *
 * The wall clock netlimit reads can be shifted for tests with
 * NETLIMIT_CLOCK_SHIFT=SECONDS (every invocation that should agree on the
 * time gets the same shift).
 */
#ifndef NETLIMIT_PERIOD_USER_H
#define NETLIMIT_PERIOD_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "period.h"
#include "dataplane.h"

struct nl_dp;

struct nl_period_spec {
	__u32 kind; /* enum nl_period_kind; NL_PERIOD_NONE: no period */
	__u32 day;  /* NL_PERIOD_MONTH: 1..31 */
};

/* day, week, month, month:DAY (1..31); 0, or -EINVAL with why set. */
int nl_period_parse(const char *arg, struct nl_period_spec *p, const char **why);
/* "day", "week", "month:15"; "-" for none. */
const char *nl_period_name(const struct nl_period_spec *p, char *buf, size_t len);

/* The wall clock, shifted by NETLIMIT_CLOCK_SHIFT; -EINVAL if that does not parse. */
int nl_clock_now(time_t *now);
/* The first period start strictly after t, in local time. */
time_t nl_period_next(const struct nl_period_spec *p, time_t t);

/* Give limit id (slot generation gen) period p, or take its period away (kind NONE). */
int nl_period_set(struct nl_dp *dp, __u32 id, __u32 gen, const struct nl_period_spec *p);
/* The limit's period as the kernel keeps it; false if it has none. */
bool nl_period_get(struct nl_dp *dp, __u32 id, __u32 gen, struct nl_period *out,
		   struct nl_period_spec *spec, time_t *next);
/* A limit's period as list, show and --json print it. */
struct nl_period_view {
	bool has;
	struct nl_period_spec spec;
	time_t next; /* the next reset (0: none armed: the next invocation tops up) */
	__u64 resets, prev_in, prev_out;
};
void nl_period_view(struct nl_dp *dp, const struct nl_limit *l, struct nl_period_view *v);
/* "month:15, next 2027-01-15 00:00", or "-". */
const char *nl_period_cell(const struct nl_period_view *v, char *buf, size_t len);

/*
 * Top up every period whose boundaries run short, and re-aim those armed
 * under another wall clock (set since, or shifted). Cheap: a hash walk.
 */
void nl_period_refresh(struct nl_dp *dp);
struct nl_state;
/* The same on the pinned dataplane, if one is loaded: every garbage collection does it. */
void nl_period_catch_up(struct nl_state *st);

#endif
