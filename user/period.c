// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Periods: see user/period.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "dataplane_user.h"
#include "log.h"
#include "period.h"
#include "period_user.h"

#define NS 1000000000LL

int nl_period_parse(const char *arg, struct nl_period_spec *p, const char **why)
{
	char *end;
	long d;

	memset(p, 0, sizeof(*p));
	if (!strcmp(arg, "day")) {
		p->kind = NL_PERIOD_DAY;
		return 0;
	}
	if (!strcmp(arg, "week")) {
		p->kind = NL_PERIOD_WEEK;
		return 0;
	}
	if (!strcmp(arg, "month")) {
		p->kind = NL_PERIOD_MONTH;
		p->day = 1;
		return 0;
	}
	if (!strncmp(arg, "month:", 6)) {
		errno = 0;
		d = strtol(arg + 6, &end, 10);
		if (arg[6] < '0' || arg[6] > '9' || *end || errno || d < 1 || d > 31) {
			*why = "has a day of the month that is not 1 to 31";
			return -EINVAL;
		}
		p->kind = NL_PERIOD_MONTH;
		p->day = (__u32)d;
		return 0;
	}
	*why = "is not day, week, month or month:DAY";
	return -EINVAL;
}

const char *nl_period_name(const struct nl_period_spec *p, char *buf, size_t len)
{
	switch (p->kind) {
	case NL_PERIOD_DAY:
		snprintf(buf, len, "day");
		break;
	case NL_PERIOD_WEEK:
		snprintf(buf, len, "week");
		break;
	case NL_PERIOD_MONTH:
		if (p->day == 1)
			snprintf(buf, len, "month");
		else
			snprintf(buf, len, "month:%u", p->day);
		break;
	default:
		snprintf(buf, len, "-");
	}
	return buf;
}

/* NETLIMIT_CLOCK_SHIFT in seconds; the tests' way to stand just before a boundary. */
static int clock_shift(long long *s)
{
	const char *env = getenv("NETLIMIT_CLOCK_SHIFT");
	char *end;

	*s = 0;
	if (!env || !*env)
		return 0;
	errno = 0;
	*s = strtoll(env, &end, 10);
	if (*end || errno || *s > 100LL * 366 * 86400 || *s < -100LL * 366 * 86400) {
		nl_err("NETLIMIT_CLOCK_SHIFT='%s' is not a number of seconds (within 100 years)",
		       env);
		*s = 0;
		return -EINVAL;
	}
	return 0;
}

int nl_clock_now(time_t *now)
{
	long long s;
	int err = clock_shift(&s);

	*now = time(NULL) + (time_t)s;
	return err;
}

/* Wall clock (shifted) less boot time, in ns: what turns a date into a timer instant. */
static long long wall_offset(void)
{
	struct timespec r, b;
	long long s;

	clock_shift(&s);
	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_BOOTTIME, &b);
	return (r.tv_sec + s - b.tv_sec) * NS + (r.tv_nsec - b.tv_nsec);
}

static int days_in(int year, int mon)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y = year + 1900;

	if (mon == 1 && ((y % 4 == 0 && y % 100) || y % 400 == 0))
		return 29;
	return days[mon];
}

/* Local midnight of a day given as year, month, day (month and day may overflow). */
static time_t midnight(int year, int mon, int mday)
{
	struct tm b = { .tm_year = year, .tm_mon = mon, .tm_mday = mday, .tm_isdst = -1 };

	return mktime(&b);
}

/* Day `day` of a month, or its last day if it is shorter. */
static time_t month_day(int year, int mon, __u32 day)
{
	int d;

	year += mon / 12;
	mon %= 12;
	d = days_in(year, mon);
	return midnight(year, mon, (int)day < d ? (int)day : d);
}

time_t nl_period_next(const struct nl_period_spec *p, time_t t)
{
	struct tm tm;
	time_t b;
	int d;

	localtime_r(&t, &tm);
	switch (p->kind) {
	case NL_PERIOD_DAY:
		return midnight(tm.tm_year, tm.tm_mon, tm.tm_mday + 1);
	case NL_PERIOD_WEEK:
		/* ISO weeks start on Monday (tm_wday 1). */
		d = (8 - tm.tm_wday) % 7;
		return midnight(tm.tm_year, tm.tm_mon, tm.tm_mday + (d ? d : 7));
	case NL_PERIOD_MONTH:
		b = month_day(tm.tm_year, tm.tm_mon, p->day);
		if (b > t)
			return b;
		return month_day(tm.tm_year, tm.tm_mon + 1, p->day);
	default:
		return (time_t)-1;
	}
}

static int arm(struct nl_dp *dp, __u32 id, __u32 gen, const struct nl_period_spec *p)
{
	struct nl_period_arm a = { .id = id, .gen = gen, .kind = p->kind, .day = p->day };
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &a, .ctx_size_in = sizeof(a));
	long long off = wall_offset();
	time_t t;
	int i, err;

	if (nl_clock_now(&t))
		return -EINVAL;
	for (i = 0; i < NL_PERIOD_AT; i++) {
		long long at;

		t = nl_period_next(p, t);
		at = (long long)t * NS - off;
		if (t == (time_t)-1 || at <= 0)
			return -ERANGE;
		a.at[i] = (__u64)at;
	}
	a.wall_off = off;
	if (nl_dp__period_fd(dp) < 0)
		return -ENOENT;
	err = bpf_prog_test_run_opts(nl_dp__period_fd(dp), &o);
	if (err)
		return -errno;
	return (int)o.retval < 0 ? (int)o.retval : 0;
}

int nl_period_set(struct nl_dp *dp, __u32 id, __u32 gen, const struct nl_period_spec *p)
{
	int fd = nl_dp__map_fd(dp, NL_MAP_PERIODS);
	struct nl_period blank;

	if (p->kind == NL_PERIOD_NONE) {
		/* Deleting the entry cancels its timer. */
		if (bpf_map_delete_elem(fd, &id) && errno != ENOENT)
			return -errno;
		return 0;
	}
	/* Made once: an update of an existing entry would free its timer. */
	memset(&blank, 0, sizeof(blank));
	if (bpf_map_update_elem(fd, &id, &blank, BPF_NOEXIST) && errno != EEXIST)
		return -errno;
	return arm(dp, id, gen, p);
}

bool nl_period_get(struct nl_dp *dp, __u32 id, __u32 gen, struct nl_period *out,
		   struct nl_period_spec *spec, time_t *next)
{
	struct nl_period v;
	int i;

	if (bpf_map_lookup_elem(nl_dp__map_fd(dp, NL_MAP_PERIODS), &id, &v) || v.gen != gen ||
	    v.kind == NL_PERIOD_NONE)
		return false;
	if (out)
		*out = v;
	if (spec) {
		spec->kind = v.kind;
		spec->day = v.day;
	}
	if (next) {
		*next = 0;
		for (i = 0; i < NL_PERIOD_AT && v.at[i]; i++)
			if (v.at[i] > v.done_at) {
				*next = (time_t)(((long long)v.at[i] + v.wall_off) / NS);
				break;
			}
	}
	return true;
}

void nl_period_catch_up(struct nl_state *st)
{
	struct nl_dp *dp;

	if (nl_dp__open(st, false, &dp))
		return;
	nl_period_refresh(dp);
	nl_dp__free(dp);
}

void nl_period_refresh(struct nl_dp *dp)
{
	int fd = nl_dp__map_fd(dp, NL_MAP_PERIODS);
	long long off = wall_offset();
	__u32 key, next, *prev = NULL;
	struct nl_period v;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct nl_limit *l = nl_dp__limit(dp, next);
		struct nl_period_spec spec;
		int i, left = 0;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		if (!l || !__atomic_load_n(&l->kind, __ATOMIC_ACQUIRE) || l->gen != v.gen) {
			/* The limit went without taking its period along: its timer goes now. */
			if (!bpf_map_delete_elem(fd, &key))
				prev = NULL; /* the walk starts again: the deleted key leads nowhere */
			continue;
		}
		for (i = 0; i < NL_PERIOD_AT && v.at[i]; i++)
			left += v.at[i] > v.done_at;
		if (left >= NL_PERIOD_AT / 2 && llabs(off - v.wall_off) < NS)
			continue;
		spec.kind = v.kind;
		spec.day = v.day;
		if (arm(dp, key, v.gen, &spec))
			nl_verbose("limit %u: cannot re-arm its period", key);
	}
}

void nl_period_view(struct nl_dp *dp, const struct nl_limit *l, struct nl_period_view *v)
{
	struct nl_period p;

	memset(v, 0, sizeof(*v));
	if (!dp || !nl_period_get(dp, l->id, l->gen, &p, &v->spec, &v->next))
		return;
	v->has = true;
	v->resets = p.resets;
	v->prev_in = p.prev_in;
	v->prev_out = p.prev_out;
}

const char *nl_period_cell(const struct nl_period_view *v, char *buf, size_t len)
{
	char name[32], when[32] = "not armed";
	struct tm tm;

	if (!v->has) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (v->next && localtime_r(&v->next, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	snprintf(buf, len, "%s, next %s", nl_period_name(&v->spec, name, sizeof(name)), when);
	return buf;
}
