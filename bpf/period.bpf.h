/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Periods, kernel side (types: include/period.h; user side: user/period.c):
 * a BPF timer per limit with a period fires at each boundary userland
 * handed it, empties the limit's counts and re-arms its caps. Nothing runs
 * on the packet path: a packet sees only counts that are smaller.
 *
 * Included by bpf/dataplane.bpf.c after bpf/charge.h (nl_limits).
 */
#ifndef NETLIMIT_BPF_PERIOD_H
#define NETLIMIT_BPF_PERIOD_H

#include "period.h"

#define NL_CLOCK_BOOTTIME 7
#define NL_EBUSY 16
#define NL_ENOENT 2

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, NL_MAX_LIMITS);
	__type(key, __u32);
	__type(value, struct nl_period);
} nl_periods SEC(".maps");

/*
 * A counter emptied with an exchange: bytes a CPU adds meanwhile land in the
 * new period. A packet that another limit refuses at the very instant of the
 * reset gives its bytes back to the new period (README: known gaps).
 */
static __always_inline __u64 period_take(__u64 *v)
{
	return __sync_lock_test_and_set(v, 0);
}

static __always_inline void period_reset(struct nl_period *p)
{
	__u32 id = p->id;
	struct nl_limit *l = bpf_map_lookup_elem(&nl_limits, &id);

	if (!l || !l->kind || l->gen != p->gen)
		return;
	p->prev_in = period_take(&l->in.bytes);
	p->prev_out = period_take(&l->out.bytes);
	period_take(&l->in.packets);
	period_take(&l->out.packets);
	period_take(&l->in.drop_bytes);
	period_take(&l->out.drop_bytes);
	period_take(&l->in.drop_packets);
	period_take(&l->out.drop_packets);
	period_take(&l->in.held_bytes);
	period_take(&l->out.held_bytes);
	period_take(&l->in.held_packets);
	period_take(&l->out.held_packets);
	/* Re-armed: the next cap reached tells the owner again. */
	__sync_lock_test_and_set(&l->hit, 0);
	__sync_fetch_and_add(&p->resets, 1);
}

/* Aim the timer at the first boundary after done_at; 0 when none is left (userland tops up). */
static __always_inline long period_aim(struct nl_period *p)
{
	__u64 at = 0;
	int i;

	for (i = 0; i < NL_PERIOD_AT; i++) {
		__u64 t = p->at[i];

		if (!t)
			break;
		if (t > p->done_at) {
			at = t;
			break;
		}
	}
	if (!at)
		return 0;
	return bpf_timer_start(&p->timer, at, BPF_F_TIMER_ABS);
}

static int period_fire(void *map, __u32 *key, struct nl_period *p)
{
	__u64 now = bpf_ktime_get_boot_ns(), due = 0;
	int i;

	/* The last boundary passed (a suspend may have slept through several: one reset). */
	for (i = 0; i < NL_PERIOD_AT; i++) {
		__u64 t = p->at[i];

		if (!t || t > now)
			break;
		due = t;
	}
	if (due > p->done_at) {
		period_reset(p);
		p->done_at = due;
	}
	period_aim(p);
	return 0;
}

/*
 * Userland's call (BPF_PROG_TEST_RUN) after it made the limit's entry: take
 * the boundaries and aim the timer. A boundary already done is not redone.
 */
SEC("syscall")
int nl_period_arm(struct nl_period_arm *a)
{
	__u32 id = a->id;
	struct nl_period *p = bpf_map_lookup_elem(&nl_periods, &id);
	long err;
	int i;

	if (!p)
		return -NL_ENOENT;
	if (p->gen != a->gen) {
		/* Another limit in the slot before: its history is not this one's. */
		p->done_at = 0;
		p->resets = 0;
		p->prev_in = p->prev_out = 0;
	}
	p->id = id;
	p->gen = a->gen;
	p->kind = a->kind;
	p->day = a->day;
	p->wall_off = a->wall_off;
	/* Unrolled: the context is read at constant offsets only. */
#pragma unroll
	for (i = 0; i < NL_PERIOD_AT; i++)
		p->at[i] = a->at[i];
	err = bpf_timer_init(&p->timer, &nl_periods, NL_CLOCK_BOOTTIME);
	if (err && err != -NL_EBUSY)
		return (int)err;
	err = bpf_timer_set_callback(&p->timer, period_fire);
	if (err)
		return (int)err;
	return (int)period_aim(p);
}

#endif /* NETLIMIT_BPF_PERIOD_H */
