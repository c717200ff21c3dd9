/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One limit: a slot of the dataplane (user/dataplane.c) and the entries that
 * make packets reach it (its cgroup, its processes and sockets, its host
 * prefix, its interface's links). Making a limit writes map entries and
 * loads nothing (the first interface limit loads the interface programs
 * every later one shares: user/dataplane.c nl_dp__iface).
 */
#ifndef NETLIMIT_LIMIT_H
#define NETLIMIT_LIMIT_H

#include <stddef.h>
#include <sys/types.h>
#include <stdbool.h>
#include "dataplane.h"
#include "prefix.h"
#include "rate.h"
#include "period_user.h"

struct nl_lim;
struct nl_state;
struct nl_dp;

struct nl_lim_opts {
	size_t sz; /* sizeof(struct nl_lim_opts) */
	__u32 id;
	__u32 kind;   /* enum nl_kind */
	__u32 action; /* enum nl_action */
	__u32 pid;
	__u64 cap_in, cap_out, cap_total; /* NL_UNLIMITED for none */
	struct nl_rates rates;
	struct nl_period_spec period; /* kind NL_PERIOD_NONE: none */
	__u64 cgroup_id;
	__u32 cg_level; /* host: only below cgroup_id (its level); 0: every cgroup */
	const char *name;
	const char *target;
	__u32 scope; /* enum nl_scope_mode */
	const struct nl_prefix *prefixes;
	size_t nprefixes;
	bool wire;
	__u32 link_hlen; /* iface: its link header */
	__u32 ifindex;
	__u64 netns;
};

/*
 * Fill slot o->id of the dataplane (loaded first if it is not; the state
 * lock is held). Nothing reaches the limit until one of the attach calls.
 */
int nl_lim__new(struct nl_state *st, const struct nl_lim_opts *o, struct nl_lim **q);
/*
 * A free id (loading the dataplane if it is not there; state lock held), its
 * state directory new-<id> made. -EUSERS when all NL_MAX_LIMITS - 1 are taken.
 */
int nl_lim__alloc_id(struct nl_state *st, __u32 *id);
/* The same in a given dataplane (a private one, in the tests); takes a reference to it. */
int nl_lim__new_in(struct nl_dp *dp, const struct nl_lim_opts *o, struct nl_lim **q);
/* An existing limit; -ENOENT if there is none with this id. */
int nl_lim__open(struct nl_state *st, __u32 id, struct nl_lim **q);

/* Count everything of the cgroup at path and below it. */
int nl_lim__attach_cgroup(struct nl_lim *q, const char *path);
/* The same by cgroup id. */
int nl_lim__attach_cgroup_id(struct nl_lim *q, __u64 cgid);
/* Count traffic with the limit's host prefix (o->prefixes[0]). */
int nl_lim__attach_host(struct nl_lim *q, const struct nl_prefix *p);
/*
 * The interface programs charge this limit for what crosses its interface
 * (o->ifindex, o->netns): its entry, nothing linked yet. Their fds into in
 * and out. -ENOSPC when there is no room for the entry.
 */
int nl_lim__enter_iface(struct nl_lim *q, int *in, int *out);
/* The id of the limit on interface ifindex of namespace netns (inode), 0 if none. */
int nl_lim__iface_owner(struct nl_state *st, int ifindex, __u64 netns);
/* Count everything crossing its interface (the entry, then tcx links). */
int nl_lim__attach_iface(struct nl_lim *q);
/* Tag a process and the sockets it holds now; its future children follow. */
int nl_lim__tag_pid(struct nl_lim *q, pid_t pid);
/* 1 if the process is tagged, 0 if not, -errno. */
int nl_lim__pid_tagged(struct nl_lim *q, pid_t pid);
/* Pin what the limit owns besides map entries (an interface's links) into dir. */
int nl_lim__pin(struct nl_lim *q, const char *dir);

/*
 * Take limit id out of the dataplane: no packet reaches it any more, its
 * interface programs detach (dir holds their pins), its slot is free.
 */
int nl_lim__detach(struct nl_state *st, __u32 id, const char *dir);

typedef int (*nl_each_fn)(struct nl_lim *q, void *ctx);
/* Call fn for every limit, in id order, until it returns non-zero (returned). */
int nl_lim__each(struct nl_state *st, nl_each_fn fn, void *ctx);

/* The limit's live value, shared with the kernel. */
struct nl_limit *nl_lim__limit(struct nl_lim *q);
/*
 * Set what the packet path's fast charge reads (each direction's gate and
 * total, include/dataplane.h struct nl_usage) from the limit's kind, caps,
 * scope, wire bytes, cgroup subtree and rates: after any change of those.
 */
void nl_limit_gates(struct nl_limit *l);
struct nl_dp *nl_lim__dp(struct nl_lim *q);

typedef void (*nl_event_fn)(void *ctx, const struct nl_event *e);
/* Become the limit's owner of events; returns an fd to poll. */
int nl_lim__events(struct nl_lim *q, nl_event_fn fn, void *ctx);
int nl_lim__consume(struct nl_lim *q);

void nl_lim__free(struct nl_lim *q);

/* Read a counter that BPF updates concurrently. */
static inline __u64 nl_read(const __u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Trie form of a prefix: family byte, address bytes, bits. */
void nl_prefix_key(const struct nl_prefix *p, __u8 *fam, __u8 addr[16], __u32 *bits);

#endif
