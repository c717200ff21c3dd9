/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* When a limit has nothing left to limit, and its removal. */
#ifndef NETLIMIT_GC_H
#define NETLIMIT_GC_H

#include <stdbool.h>
#include <linux/types.h>

struct nl_state;
struct nl_limit;

/* run: its cgroup is empty; cgroup: it was removed; pid: no tagged process lives. */
bool nl_limit_target_gone(const struct nl_limit *l);
/*
 * Take it out of the dataplane, remove its state and the cgroup `run` made;
 * the dataplane too when it was the last limit and the meter is off. stamp:
 * only if the slot still holds the limit made at that time (created_ns: an
 * owner removing its own, even across a reload of the dataplane), 0: any.
 * Lock held.
 */
int nl_limit_remove(struct nl_state *st, __u32 id, __u64 stamp);
/* Remove every unowned limit whose target is gone. Lock held. Returns how many. */
int nl_gc(struct nl_state *st, bool verbose);
/* Remove the limits an older netlimit pinned (one set of programs each). Lock held. */
int nl_gc_legacy(struct nl_state *st);
/* Whether a limit-creating command should collect now (at most once a second). */
bool nl_gc_due(struct nl_state *st);

#endif
