/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * User side of the dataplane (kernel side: bpf/dataplane.bpf.c, types:
 * include/dataplane.h): load it once, attach it to its cgroup, pin it in
 * <state>/dp, open it again from there, and unload it when nothing needs it.
 *
 * The dataplane sits on one cgroup, the base: the cgroup2 root, or
 * $NETLIMIT_DATAPLANE_CGROUP (the tests' own subtree). Every cgroup below
 * the base can be limited and metered.
 */
#ifndef NETLIMIT_DATAPLANE_USER_H
#define NETLIMIT_DATAPLANE_USER_H

#include <stdbool.h>
#include <stddef.h>
#include "dataplane.h"

struct nl_dp;
struct nl_state;

/* The dataplane's maps, by role. */
enum nl_dp_map {
	NL_MAP_LIMITS,
	NL_MAP_CONF,
	NL_MAP_CGROUPS,
	NL_MAP_HOSTS,
	NL_MAP_SCOPES,
	NL_MAP_SOCKS,
	NL_MAP_SOCK_TAGS,
	NL_MAP_TASKS,
	NL_MAP_RINGS,
	NL_MAP_CG_METER,
	NL_MAP_PROC_METER,
	NL_MAP_SK_SLOTS,
	NL_MAP_SK_OWNERS,
	NL_MAP_HOST_METER,
	NL_MAP_AUDIT,
	NL_MAP_SOCK_EXE,
	NL_MAP_UDP_PEERS,
	NL_MAP_PERIODS,
	NL_MAP_SK_EXTRA,
	NL_MAP_COUNT,
};

/*
 * Open the pinned dataplane. create: load, attach and pin it when it is not
 * there (the caller holds the state lock, so two invocations end with one).
 * -ENOENT when it is not there and create is false.
 */
int nl_dp__open(struct nl_state *st, bool create, struct nl_dp **dp);
/* Unpin it (and so detach it): when the last limit is gone and the meter is off. Lock held. */
int nl_dp__unload(struct nl_state *st);
/*
 * A private, unpinned, unattached instance for BPF_PROG_TEST_RUN: packets
 * without a socket are charged to the limits on cgroup id test_cgroup.
 */
int nl_dp__load_private(__u64 test_cgroup, struct nl_dp **dp);
/* Another reference; nl_dp__free() drops one. */
struct nl_dp *nl_dp__ref(struct nl_dp *dp);
void nl_dp__free(struct nl_dp *dp);

int nl_dp__map_fd(const struct nl_dp *dp, enum nl_dp_map m);
/* The live slot of limit id (shared with the kernel); NULL if id is out of range. */
struct nl_limit *nl_dp__limit(const struct nl_dp *dp, __u32 id);
struct nl_conf *nl_dp__conf(const struct nl_dp *dp);
/*
 * Let go of the limits table's pages this process touched (they stay the
 * kernel's; the next touch maps them again): for a long-running reader.
 */
void nl_dp__drop_pages(struct nl_dp *dp);
/* Sockets recompute which limits cover them on their next packet. */
void nl_dp__bump(struct nl_dp *dp);
/* Whether the dataplane pinned in dir has this netlimit's maps (an older one's may not). */
bool nl_dp_pinned_compatible(const char *dir);
/* false, after saying so in one line, when st holds another version's dataplane. */
bool nl_dp_usable(struct nl_state *st);
/* Ingress and egress programs (BPF_PROG_TEST_RUN), the meter iterator. */
int nl_dp__prog_fds(const struct nl_dp *dp, int *in, int *out);
/* The interface limits' maps and tc programs (bpf/iface.bpf.c); the dataplane's fds. */
struct nl_iface_fds {
	int slots; /* nl_iface_slots */
	int more;  /* nl_ifaces */
	int in, out;
};
/*
 * Those of this dataplane: loaded by the first interface limit and pinned
 * beside it (the state lock held), shared by every interface limit after
 * it. load false: only if they are there (-ENOENT if not).
 */
int nl_dp__iface(struct nl_dp *dp, bool load, struct nl_iface_fds *fds);
/* The meter's socket iterators: 0 TCP, 1 UDP. */
int nl_dp__iter_fd(const struct nl_dp *dp, int which);
/* The program that arms a limit's period timer (user/period.c). */
int nl_dp__period_fd(const struct nl_dp *dp);
/* Every process and its parent, from the kernel's task list (one read, no /proc walk). */
int nl_dp__tasks(const struct nl_dp *dp, struct nl_task_rec **recs, size_t *n);
/* The base cgroup's path; whether path (absolute) lies at or below it. */
const char *nl_dp__base(const struct nl_dp *dp);
bool nl_dp__covers(const struct nl_dp *dp, const char *path);

/* Where the dataplane attaches: $NETLIMIT_DATAPLANE_CGROUP or the cgroup2 mount. */
int nl_dp_base_path(char *buf, size_t len);

#endif
