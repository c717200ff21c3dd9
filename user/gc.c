// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Garbage collection: a limit is removed when no live netlimit owns it and
 * nothing is left for it to limit. A limit whose owner was killed but whose
 * processes still run is kept: its pinned programs go on enforcing the cap.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include "cgroup.h"
#include "link.h"
#include "gc.h"
#include "log.h"
#include "meter.h"
#include "dataplane_user.h"
#include "limit.h"
#include "period_user.h"
#include "sockets.h"
#include "state.h"

bool nl_limit_target_gone(const struct nl_limit *l)
{
	char path[PATH_MAX];

	switch (l->kind) {
	/* Orphaned TCP sockets still send: the limit waits for them too. */
	case NL_KIND_RUN:
		/* The cgroup by its id: the target text is for people. */
		return (nl_cgroup_path_of_id(l->cgroup_id, path, sizeof(path)) ||
			nl_cgroup_populated(path) <= 0) &&
		       nl_sockets_count(l->cgroup_id) <= 0;
	case NL_KIND_CGROUP:
		return nl_cgroup_path_of_id(l->cgroup_id, path, sizeof(path)) == -ENOENT &&
		       nl_sockets_count(l->cgroup_id) <= 0;
	case NL_KIND_PID:
		return __atomic_load_n(&l->tasks, __ATOMIC_RELAXED) == 0 &&
		       __atomic_load_n(&l->socks, __ATOMIC_RELAXED) <= 0;
	case NL_KIND_HOST:
		return false; /* system-wide: it stays until detached */
	case NL_KIND_IFACE: {
		char name[IF_NAMESIZE];

		/* Only this namespace's interfaces can be checked from here. */
		if (l->netns != nl_netns_id())
			return false;
		return !if_indextoname(l->ifindex, name);
	}
	default:
		return false;
	}
}

/* The dataplane goes with the last limit, unless the meter keeps it. */
static void unload_if_unused(struct nl_state *st)
{
	struct nl_dp *dp;
	size_t n = 1;
	__u32 *ids;
	bool used;

	if (nl_dp__open(st, false, &dp))
		return;
	nl_meter_views_gc(st, dp);
	/* A live limit counts in nlimits: the listing (O(limits)) only when none does. */
	used = __atomic_load_n(&nl_dp__conf(dp)->meter, __ATOMIC_RELAXED) ||
	       __atomic_load_n(&nl_dp__conf(dp)->nlimits, __ATOMIC_RELAXED);
	nl_dp__free(dp);
	if (used || nl_state__ids(st, &ids, &n))
		return;
	free(ids);
	if (!n)
		nl_dp__unload(st);
}

int nl_limit_remove(struct nl_state *st, __u32 id, __u64 stamp)
{
	char dir[512], cgroup[PATH_MAX] = "";
	struct nl_lim *q;
	int err;

	if (nl_lim__open(st, id, &q)) {
		/* An owner's limit already gone: the id may be someone else's by now. */
		if (stamp)
			return 0;
	} else {
		const struct nl_limit *l = nl_lim__limit(q);

		if (stamp && l->created_ns != stamp) {
			nl_lim__free(q);
			return 0; /* not the limit the caller made: someone else's now */
		}
		if (l->kind == NL_KIND_RUN &&
		    nl_cgroup_path_of_id(l->cgroup_id, cgroup, sizeof(cgroup)))
			cgroup[0] = '\0';
		nl_lim__free(q);
	}
	nl_state__path(st, id, NULL, dir, sizeof(dir));
	err = nl_lim__detach(st, id, dir);
	if (!nl_state__new_path(st, id, dir, sizeof(dir)))
		nl_lim__detach(st, id, dir);
	if (!err)
		err = nl_state__remove(st, id);
	/* A cgroup `run` made goes with the limit once it is empty. */
	if (cgroup[0] && nl_cgroup_populated(cgroup) == 0)
		nl_cgroup_remove(cgroup);
	unload_if_unused(st);
	return err;
}

/* Whether the limit's target is gone (or the limit never got complete). */
static bool gone(struct nl_state *st, __u32 id)
{
	char pin[512];
	struct nl_lim *q;
	bool g;

	/* An older netlimit's limit holds its own programs: only gc --legacy lifts it. */
	nl_state__path(st, id, "limit", pin, sizeof(pin));
	if (!access(pin, F_OK))
		return false;
	if (nl_lim__open(st, id, &q))
		return true; /* half-created by a netlimit that died */
	g = nl_limit_target_gone(nl_lim__limit(q));
	nl_lim__free(q);
	return g;
}

/* Numbered cgroups under netlimit's parent with no limit and no process. */
static void gc_cgroups(struct nl_state *st)
{
	char parent[256], path[512], limdir[512];
	struct dirent *de;
	DIR *d;

	if (nl_cgroup_parent(parent, sizeof(parent)))
		return;
	d = opendir(parent);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		unsigned long id = strtoul(de->d_name, &end, 10);

		if (de->d_type != DT_DIR || *end || !id)
			continue;
		nl_state__path(st, (__u32)id, NULL, limdir, sizeof(limdir));
		if (!access(limdir, F_OK))
			continue;
		nl_state__new_path(st, (__u32)id, limdir, sizeof(limdir));
		if (!access(limdir, F_OK))
			continue;
		snprintf(path, sizeof(path), "%s/%s", parent, de->d_name);
		if (nl_cgroup_populated(path) == 0 && !nl_cgroup_remove(path))
			nl_verbose("gc: removed stray cgroup %s", path);
	}
	closedir(d);
}

/*
 * Slots whose limit has no state any more: a builder killed before it
 * committed (its new-<id> unlocked), or a removal killed half-way. Nothing
 * may enforce a limit that is not listed.
 */
static void gc_slots(struct nl_state *st)
{
	char dir[512];
	struct nl_dp *dp;
	__u32 id, max;

	if (nl_dp__open(st, false, &dp))
		return;
	max = nl_dp__conf(dp)->max_id;
	for (id = 1; id <= max && id < NL_MAX_LIMITS; id++) {
		if (!__atomic_load_n(&nl_dp__limit(dp, id)->kind, __ATOMIC_ACQUIRE))
			continue;
		nl_state__path(st, id, NULL, dir, sizeof(dir));
		if (!access(dir, F_OK) || nl_state__owned(st, id))
			continue;
		nl_state__new_path(st, id, dir, sizeof(dir));
		nl_lim__detach(st, id, dir);
		nl_verbose("gc: limit %u was never completed: removed", id);
	}
	nl_dp__free(dp);
}

/*
 * Creating a limit collects at most once a second, and with n limits once
 * every n/1,000 seconds: the walk takes a few syscalls a limit (about 24 us
 * here), so it stays a few per cent of the time spent making limits however
 * many there are. `list` and `gc` collect every time.
 */
bool nl_gc_due(struct nl_state *st)
{
	struct timespec ts;
	struct nl_dp *dp;
	__u64 now, last, every;
	bool due;

	if (nl_dp__open(st, false, &dp))
		return true;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
	last = nl_dp__conf(dp)->last_gc_ns;
	every = 1000000000ULL * (1 + __atomic_load_n(&nl_dp__conf(dp)->nlimits, __ATOMIC_RELAXED) / 1000);
	due = now - last >= every || now < last;
	if (due)
		nl_dp__conf(dp)->last_gc_ns = now;
	nl_dp__free(dp);
	return due;
}

int nl_gc(struct nl_state *st, bool verbose)
{
	size_t n, i;
	__u32 *ids;
	int removed = 0;

	if (nl_state__ids(st, &ids, &n))
		return 0;
	for (i = 0; i < n; i++) {
		if (nl_state__owned(st, ids[i]) || !gone(st, ids[i]))
			continue;
		if (nl_limit_remove(st, ids[i], 0))
			continue;
		removed++;
		if (verbose)
			nl_info("removed limit %u: its target is gone", ids[i]);
		else
			nl_verbose("gc: removed limit %u", ids[i]);
	}
	free(ids);
	gc_slots(st);
	nl_state__gc_new(st);
	gc_cgroups(st);
	/* Periods catch up: their boundaries topped up, re-aimed after a clock change. */
	nl_period_catch_up(st);
	unload_if_unused(st);
	return removed;
}

int nl_gc_legacy(struct nl_state *st)
{
	char dir[512], pin[600];
	size_t n, i;
	__u32 *ids;
	int removed = 0;

	/* A dataplane of another netlimit version: its maps are not ours to read. */
	snprintf(dir, sizeof(dir), "%s/dp", nl_state__root(st));
	if (!access(dir, F_OK) && !nl_dp_pinned_compatible(dir) && !nl_state__remove_dir(dir)) {
		nl_info("removed a dataplane of another netlimit version (its caps are lifted)");
		removed++;
	}
	if (nl_state__ids(st, &ids, &n))
		return removed;
	for (i = 0; i < n; i++) {
		nl_state__path(st, ids[i], NULL, dir, sizeof(dir));
		snprintf(pin, sizeof(pin), "%s/limit", dir);
		if (access(pin, F_OK))
			continue;
		/* Its own programs, pinned links: unpinning detaches them. */
		if (!nl_state__remove_dir(dir)) {
			nl_info("removed limit %u of an older netlimit (its cap is lifted)",
				ids[i]);
			removed++;
		}
	}
	free(ids);
	return removed;
}
