/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What uses the network, round by round: processes, cgroups, remote hosts,
 * interfaces and limits, each with totals from the kernel's own counts (the
 * meter of bpf/dataplane.bpf.c, the limits table, /proc/net/dev) and rates
 * against the round before. `top` draws it, `watch` tests thresholds on it.
 */
#ifndef NETLIMIT_USAGE_H
#define NETLIMIT_USAGE_H

#include <stdbool.h>
#include <stddef.h>
#include "dataplane.h"

struct nl_dp;
struct nl_state;

enum nl_use_view {
	NL_USE_PROCS,
	NL_USE_CGROUPS,
	NL_USE_HOSTS,
	NL_USE_IFACES,
	NL_USE_LIMITS,
	NL_USE_VIEWS,
};

/* One row of a view. */
struct nl_use_row {
	char key[64];	/* identity within its view, to match rounds */
	char name[256]; /* command, cgroup path, host, interface, limit name */
	char who[128];	/* processes: user; hosts: processes; ifaces and procs: limits */
	__u64 id;	/* pid, cgroup id, ifindex, limit id (hosts: 0) */
	__u32 uid;
	__u64 cgroup_id;
	__u8 fam, addr[16]; /* hosts */
	struct nl_meter m;
	double rate_in, rate_out; /* bytes a second since the last round */
	bool has_rate;		  /* there was a last round with this row */
	double ended;		  /* a process that ended: when it was seen gone (s) */
	char state[24];		  /* limits: ok, blocked, capped ... */
	__u64 set_rate[NL_BUCKETS]; /* limits: the rates set (bits/s; 0 none) */
	__u64 held_in, held_out;    /* limits: bytes its rates held back */
};

struct nl_use {
	struct nl_use_row *rows[NL_USE_VIEWS];
	size_t n[NL_USE_VIEWS];
	struct nl_meter total; /* everything the meter saw */
	double rate_in, rate_out;
	double t; /* CLOCK_MONOTONIC seconds of this round */
};

struct nl_use_opts {
	bool resolve;	    /* reverse-resolve hosts (cached, in the background) */
	bool no_limit_rows; /* leave the limits view empty (serve reads the limits itself) */
};

/* A round: the kernel's counts now, rates against prev (may be empty). */
int nl_use__collect(struct nl_dp *dp, struct nl_state *st, const struct nl_use *prev,
		    struct nl_use *now, const struct nl_use_opts *o);
void nl_use__free(struct nl_use *u);
const char *nl_use_view_name(enum nl_use_view v);
struct nl_json;
/* A limit's row in the limits view, from its snapshot (all but its state and rates). */
void nl_use_limit_row(const struct nl_limit *l, struct nl_use_row *r);
/* One row of view v as a JSON object (top --json, serve's /api/usage). */
void nl_use_row_json(struct nl_json *j, const struct nl_use_row *r, int v);
/* A user's name, printable, or the uid as a number. */
const char *nl_user_name(__u32 uid, char *buf, size_t len);
/* A view by name (processes, cgroups, hosts, interfaces, limits); -1 if none. */
int nl_use_view_parse(const char *s);
/* How long a process that ended stays in the processes view (seconds). */
#define NL_USE_ENDED_KEEP 5.0

#endif
