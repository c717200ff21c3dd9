/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The meter: the dataplane's count of every socket's traffic, per cgroup and
 * per process (kernel side: bpf/dataplane.bpf.c, nl_socks and the *_meter
 * maps; types: include/dataplane.h). `netlimit meter on|off|status` and
 * `netlimit stat`.
 */
#ifndef NETLIMIT_METER_H
#define NETLIMIT_METER_H

#include <stdbool.h>
#include <stddef.h>
#include "dataplane.h"

struct nl_dp;
struct nl_state;

/* One cgroup's or one process's traffic. */
struct nl_meter_row {
	__u64 cgroup_id;
	__u32 tgid; /* 0 in cgroup rows, and for sockets older than the dataplane */
	__u32 uid;
	char comm[16];
	struct nl_meter m;
};

/*
 * Read the meter: live sockets through the iterator plus the totals of
 * closed ones. *cg and *proc are malloc'ed, sorted by key.
 */
int nl_meter_read(struct nl_dp *dp, struct nl_meter_row **cg, size_t *ncg,
		  struct nl_meter_row **proc, size_t *nproc);
/* Every live metered TCP and UDP socket of this network namespace, to fn (each once). */
int nl_meter_walk(struct nl_dp *dp, int (*fn)(const struct nl_meter_rec *r, void *ctx), void *ctx);
/* The same, and the live connected sockets (as nl_meter_sockets), in one walk. */
int nl_meter_read_all(struct nl_dp *dp, struct nl_meter_row **cg, size_t *ncg,
		      struct nl_meter_row **proc, size_t *nproc, struct nl_meter_rec **socks,
		      size_t *nsocks);
/* The live sockets with a remote end (connected TCP and UDP), as the kernel records them. */
int nl_meter_sockets(struct nl_dp *dp, struct nl_meter_rec **socks, size_t *n);

/*
 * Give the inet sockets that predate the meter (no owner recorded at their
 * creation) their owners, found through /proc/PID/fd; returns how many.
 */
int nl_meter_adopt(struct nl_dp *dp);
/*
 * For the live views (top, watch, inspect, audit, serve): the state and the
 * dataplane, with the meter on. A view that finds it off turns it on for
 * views (NL_METER_VIEWS); every view holds a shared lock on the state's
 * "views" directory while it runs (*hold, its descriptor), and the last one
 * to end turns the meter off again (and unloads the dataplane if no limit
 * needs it), unless `meter on` made it the machine's meanwhile. The kernel
 * drops a dead view's lock. Returns an exit status.
 */
int nl_meter_hold(const char *cmd, struct nl_state **st, struct nl_dp **dp, int *hold);
void nl_meter_unhold(struct nl_state *st, struct nl_dp *dp, int hold);
/* For gc: a meter on for views that all died goes off; true if it did. */
bool nl_meter_views_gc(struct nl_state *st, struct nl_dp *dp);

int nl_cmd_meter(int argc, char **argv);
int nl_cmd_stat(int argc, char **argv);

#endif
