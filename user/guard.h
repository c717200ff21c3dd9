/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The process that acts at a cap when no netlimit command stays in the foreground. */
#ifndef NETLIMIT_GUARD_H
#define NETLIMIT_GUARD_H

#include <linux/types.h>

struct nl_state;

/* Fork the watcher for limit id; it takes over own_fd, the limit's owner lock. */
int nl_guard_start(struct nl_state *st, __u32 id, int own_fd, __u64 grace_ns);

#endif
