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
/* Detach its links, unpin it, remove the cgroup `run` made. Lock held. */
int nl_limit_remove(struct nl_state *st, __u32 id);
/* Remove every unowned limit whose target is gone. Lock held. Returns how many. */
int nl_gc(struct nl_state *st, bool verbose);

#endif
