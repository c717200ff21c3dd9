/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Types shared by bpf/quota.bpf.c (kernel side) and user/quota.c (user side).
 *
 * Every limit is one self-contained BPF instance: a one-entry array map
 * "nl_limit" holding its caps and counters, a ring buffer "nl_events", and the
 * programs attached for it. The map is BPF_F_MMAPABLE so userland reads the
 * counters and changes caps in place without ever writing the counters back.
 */
#ifndef NETLIMIT_QUOTA_H
#define NETLIMIT_QUOTA_H

/* The BPF side gets the __u* types from vmlinux.h. */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* A cap of NL_UNLIMITED can never be crossed: len + used never exceeds it. */
#define NL_UNLIMITED (~0ULL)

enum nl_dir {
	NL_IN = 0,
	NL_OUT = 1,
};

/* Bits of nl_limit.hit: which cap refused a packet (set once per arming). */
enum nl_hit {
	NL_HIT_IN = 1,
	NL_HIT_OUT = 2,
	NL_HIT_TOTAL = 4,
};

/* What a limit is attached to (nl_limit.kind). */
enum nl_kind {
	NL_KIND_RUN = 1,    /* a command started by `netlimit run` */
	NL_KIND_PID = 2,    /* processes attached by PID */
	NL_KIND_CGROUP = 3, /* an existing cgroup */
	NL_KIND_HOST = 4,   /* traffic with one prefix, system-wide */
	NL_KIND_IFACE = 5,  /* everything crossing a network interface */
};

/* Which packets a limit counts (load-time setting of its programs). */
enum nl_scope_mode {
	NL_SCOPE_ALL = 0,
	NL_SCOPE_ONLY = 1,    /* remote address in nl_scope */
	NL_SCOPE_EXCLUDE = 2, /* remote address not in nl_scope */
};

/* nl_scope key: IPv4 is stored as ::ffff:a.b.c.d, its prefix length + 96. */
struct nl_scope_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/* What happens when a cap is reached (nl_limit.action). */
enum nl_action {
	NL_ACT_KILL = 0,  /* drop the excess, end the processes */
	NL_ACT_BLOCK = 1, /* drop the excess, keep running */
	NL_ACT_DOWN = 2,  /* iface: drop the excess, bring the interface down */
};

/* Traffic in one direction: accepted and refused. */
struct nl_usage {
	__u64 bytes;
	__u64 packets;
	__u64 drop_bytes;
	__u64 drop_packets;
};

#define NL_NAME_LEN   32
#define NL_TARGET_LEN 256
/* Ingress and egress run on different CPUs: keep their counters apart. */
#define NL_CACHELINE __attribute__((aligned(64)))

struct nl_limit {
	/* Read on every packet, written by userland (`netlimit set`). */
	__u64 cap_in;
	__u64 cap_out;
	__u64 cap_total; /* on in.bytes + out.bytes */
	/* Description, written once by userland. */
	__u32 id;
	__u32 kind;   /* enum nl_kind */
	__u32 action; /* enum nl_action */
	__u32 pid;    /* the command's or attached process's PID */
	__u64 cgroup_id;
	__u64 created_ns; /* CLOCK_REALTIME */
	/* Written by the BPF programs, one cache line per direction. */
	struct nl_usage in NL_CACHELINE;
	struct nl_usage out NL_CACHELINE;
	/* Rarely written: at a cap, and by userland to re-arm. */
	__u32 hit NL_CACHELINE; /* enum nl_hit bits; userland clears a bit to re-arm */
	__u32 events_lost;	/* ring buffer was full */
	__u32 tasks;		/* NL_KIND_PID: tagged processes still alive */
	__s32 socks;		/* NL_KIND_PID: tagged TCP sockets not yet closed */
	__u32 ifindex;		/* NL_KIND_IFACE */
	__u32 pad;
	__u64 netns; /* NL_KIND_IFACE: inode of its network namespace */
	__u32 scope; /* enum nl_scope_mode */
	__u32 wire;  /* 1: wire bytes (per-segment and link headers) */
	char name[NL_NAME_LEN];
	char target[NL_TARGET_LEN];
};

/* Sent through nl_events when a cap first refuses a packet. */
struct nl_event {
	__u32 id;
	__u32 hit; /* one enum nl_hit bit */
	__u64 used;
	__u64 cap;
	__u64 ts_ns; /* CLOCK_MONOTONIC */
};

#endif /* NETLIMIT_QUOTA_H */
