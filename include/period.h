/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Periods (--period=day|week|month[:DAY]): a limit's counts go back to zero
 * at each period's start and its caps re-arm. Kernel side: bpf/period.bpf.h (a
 * BPF timer per limit, so the reset happens on time whether or not netlimit
 * runs); user side: user/period.c (the boundaries, in local time, and
 * topping them up); shared here.
 *
 * The kernel cannot tell when a month starts in local time, so userland
 * hands it the coming boundaries, as CLOCK_BOOTTIME instants (boot time
 * goes on through a suspend, as the wall clock does; hrtimers on an
 * absolute CLOCK_REALTIME did not fire on this kernel). Any netlimit
 * invocation that collects garbage, `list` and the save service top the
 * list up and re-aim it after the wall clock was set.
 */
#ifndef NETLIMIT_PERIOD_H
#define NETLIMIT_PERIOD_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#include <linux/bpf.h>
#endif

/* Boundaries handed to the kernel at a time: a month of days, 2.5 years of months. */
#define NL_PERIOD_AT 32

enum nl_period_kind {
	NL_PERIOD_NONE = 0,
	NL_PERIOD_DAY = 1,   /* local midnight */
	NL_PERIOD_WEEK = 2,  /* Monday, local midnight */
	NL_PERIOD_MONTH = 3, /* day `day` of the month (the last day in shorter months) */
};

/* nl_periods value (a hash by limit id): the timer and the resets to come. */
struct nl_period {
	struct bpf_timer timer;
	__u32 id;
	__u32 gen;  /* the limit's nl_limit.gen: a reused slot is not reset */
	__u32 kind; /* enum nl_period_kind */
	__u32 day;  /* NL_PERIOD_MONTH: 1..31 */
	__u64 at[NL_PERIOD_AT]; /* CLOCK_BOOTTIME ns of the coming resets, ascending, 0-ended */
	__u64 done_at;		/* the boundary of the last reset done (an at[] value) */
	__u64 resets;		/* resets done */
	__u64 prev_in;		/* bytes of the period before the last reset */
	__u64 prev_out;
	__s64 wall_off; /* wall clock less boot time when armed, ns: at[] as dates */
};

/* What userland passes the nl_period_arm program (BPF_PROG_TEST_RUN). */
struct nl_period_arm {
	__u32 id;
	__u32 gen;
	__u32 kind;
	__u32 day;
	__u64 at[NL_PERIOD_AT];
	__s64 wall_off;
};

#endif /* NETLIMIT_PERIOD_H */
