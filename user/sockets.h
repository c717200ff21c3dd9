/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * TCP sockets charged to a cgroup, through sock_diag. A process's TCP
 * sockets outlive it (orphans flush their send buffers), so a limit must stay
 * until they are gone, or end them.
 */
#ifndef NETLIMIT_SOCKETS_H
#define NETLIMIT_SOCKETS_H

#include <stdbool.h>
#include <linux/types.h>

/* How many TCP sockets (not in TIME_WAIT) the cgroup still has; -errno. */
int nl_sockets_count(__u64 cgroup_id);
/* Reset them all (SOCK_DESTROY); returns how many, or -errno. */
int nl_sockets_destroy(__u64 cgroup_id);

#endif
