/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * User side of a limit (kernel side: bpf/quota.bpf.c, types: include/quota.h):
 * load one instance, set it up, attach it to a cgroup, pin it, read its
 * counters and events; or open one that an earlier netlimit pinned.
 */
#ifndef NETLIMIT_QUOTA_USER_H
#define NETLIMIT_QUOTA_USER_H

#include <stddef.h>
#include <sys/types.h>
#include <stdbool.h>
#include "prefix.h"
#include "quota.h"

struct nl_quota;

struct nl_quota_opts {
	size_t sz; /* sizeof(struct nl_quota_opts) */
	__u32 id;
	__u32 kind;   /* enum nl_kind */
	__u32 action; /* enum nl_action */
	__u32 pid;
	__u64 cap_in, cap_out, cap_total; /* NL_UNLIMITED for none */
	__u64 cgroup_id;
	const char *name;
	const char *target;
	/* Load-time: which packets count, and how. */
	__u32 scope; /* enum nl_scope_mode */
	const struct nl_prefix *prefixes;
	size_t nprefixes;
	bool wire;
	__u32 link_hlen; /* iface: its link header; else 14 (Ethernet) */
	__u32 ifindex;
	__u64 netns;
};

/* Load a new instance with its caps set; nothing is attached yet. */
int nl_quota__new(const struct nl_quota_opts *opts, struct nl_quota **q);
/* Attach ingress and egress counting to a cgroup (by fd). */
int nl_quota__attach_cgroup(struct nl_quota *q, int cgroup_fd);
/* Count everything crossing an interface (tcx links, ingress and egress). */
int nl_quota__attach_iface(struct nl_quota *q, int ifindex);
/* Count forks and exits of tagged processes (NL_KIND_PID). */
int nl_quota__attach_tasks(struct nl_quota *q);
/* Count only tagged processes' sockets in this cgroup (and below). */
int nl_quota__attach_sockets(struct nl_quota *q, int cgroup_fd);
/* Tag a process and the sockets it holds now; its future children follow. */
int nl_quota__tag_pid(struct nl_quota *q, pid_t pid);
/* 1 if the process is tagged, 0 if not, -errno. */
int nl_quota__pid_tagged(struct nl_quota *q, pid_t pid);
/* Detach every pinned link in dir, even if other processes hold them open. */
int nl_quota__detach_pinned(const char *dir);

/* Pin maps and links into dir, so the limit outlives this process. */
int nl_quota__pin(struct nl_quota *q, const char *dir);
/* Open a pinned limit (maps only). */
int nl_quota__open(const char *dir, struct nl_quota **q);

struct nl_state;
typedef int (*nl_each_fn)(struct nl_quota *q, void *ctx);
/*
 * Call fn for every limit in the state directory, in id order, until it
 * returns non-zero, which is then returned. q is freed after the call.
 */
int nl_quota__each(struct nl_state *st, nl_each_fn fn, void *ctx);

/* The limit's live value, shared with the kernel (mmap of nl_limit). */
struct nl_limit *nl_quota__limit(struct nl_quota *q);

typedef void (*nl_event_fn)(void *ctx, const struct nl_event *e);
/* Start reading limit events; returns an fd to poll for them. */
int nl_quota__events(struct nl_quota *q, nl_event_fn fn, void *ctx);
/* Hand pending events to the callback. */
int nl_quota__consume(struct nl_quota *q);

/* The loaded programs' fds (for BPF_PROG_TEST_RUN in the tests). */
int nl_quota__prog_fds(struct nl_quota *q, int *in, int *out);

/* Release this process's references; pinned parts stay in the kernel. */
void nl_quota__free(struct nl_quota *q);

/* Read a counter that BPF updates concurrently. */
static inline __u64 nl_read(const __u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

#endif
