/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Types shared by the dataplane's kernel side (bpf/dataplane.bpf.c, and
 * bpf/iface.bpf.c for interfaces) and its user side (user/dataplane.c,
 * user/limit.c, user/meter.c).
 *
 * One set of programs serves every limit. A limit is a slot in the
 * mmapable array "nl_limits" (its id is the slot index); what a packet is
 * charged to is found without looking at other limits:
 *   - cgroup limits (run, attach --cgroup): nl_cgroups maps a cgroup id to
 *     the limits placed on it; a socket caches the limits of its cgroup and
 *     every ancestor in its sk_storage, refreshed when nl_conf.gen moves;
 *   - process limits (attach --pid): tags {id, gen} in task_storage, copied
 *     to the sockets the process creates (nl_sock_tags);
 *   - host limits: one LPM lookup of the remote address in nl_hosts, whose
 *     entry lists every host limit whose prefix contains it;
 *   - interface limits: one pair of tc programs (bpf/iface.bpf.c), loaded
 *     once and linked to every limited interface, finds the limit by the
 *     interface in nl_iface_slots (or nl_ifaces).
 * The per-packet cost grows with the limits covering the packet, never with
 * the number of limits that exist.
 */
#ifndef NETLIMIT_DATAPLANE_H
#define NETLIMIT_DATAPLANE_H

/* The BPF side gets the __u* types from vmlinux.h. */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#include <linux/bpf.h> /* struct bpf_timer */
#endif

/* A cap of NL_UNLIMITED can never be crossed: len + used never exceeds it. */
#define NL_UNLIMITED (~0ULL)

/* Slots in nl_limits; id 0 is never used. README names this limit. */
#define NL_MAX_LIMITS 65536
/* Slots userland maps at a time (a divisor of NL_MAX_LIMITS; whole pages). */
#define NL_LIMIT_CHUNK 256
/* An id no slot has: a list entry to skip (0 ends a list). */
#define NL_NO_ID 0xffffffffU
/* Limits placed directly on one cgroup. */
#define NL_CG_LIMITS 8
/* Cgroup and process limits one socket may be charged to. */
#define NL_SOCK_CHAIN 16
/* Process limits one process may be under. */
#define NL_TASK_TAGS 4
/* Host limits whose prefixes nest around one address. */
#define NL_HOST_CHAIN 8
/* A socket's process tags and the host limits around its peer share one list, 0-terminated. */
_Static_assert(NL_TASK_TAGS + NL_HOST_CHAIN < NL_SOCK_CHAIN, "tags and hosts fit one list");
/* Every limit one packet may be charged to. */
#define NL_CHAIN (NL_SOCK_CHAIN + NL_HOST_CHAIN)
/* Cgroups whose chains each CPU keeps at hand (a power of 2). */
#define NL_CG_CACHE 1024
/*
 * Sockets the meter counts in place (nl_sk_slots), by socket cookie modulo
 * this (a power of 2). A socket whose slot another live socket holds is
 * counted in nl_sk_extra instead, by cookie, through a helper call; only
 * when that is full, in its sk_storage (nl_conf.sk_hidden counts those).
 */
#define NL_SK_SLOTS 65536
#define NL_SK_EXTRA 65536
/* A slot's cookie while a socket claims it (no packet matches it). */
#define NL_SK_BUSY (1ULL << 63)
/* Or'ed into a slot's cookie when its socket is released. */
#define NL_SK_CLOSED (1ULL << 62)
/* Or'ed in by the claim at socket creation: the first packet records the peer. */
#define NL_SK_NOPEER (1ULL << 61)
#define NL_SK_FLAGS  (NL_SK_BUSY | NL_SK_CLOSED | NL_SK_NOPEER)
/* How long a released nl_sk_extra entry stays for packets racing the release. */
#define NL_SK_EXTRA_LINGER_NS 1000000000ULL
/* Scope verdicts and host chains each CPU keeps at hand (powers of 2). */
#define NL_SCOPE_MEMO 1024
#define NL_HOST_MEMO  1024
/* Cgroup levels walked to find the limits above a socket. */
#define NL_MAX_LEVEL 32
/* Prefixes of one limit's --only/--exclude. */
#define NL_MAX_PREFIXES 256
/* Each owner's event ring (netlimit run, watchers). */
#define NL_RING_SIZE 4096

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

/* What the charging path returns for a packet a rate holds back (never in nl_limit.hit). */
#define NL_HELD 8

/*
 * Rates: a token bucket per direction, one on both directions together, and
 * the throttle rate that --on-limit=throttle applies past a cap. A bucket is
 * kept as its theoretical arrival time (GCRA; bpf/charge.h police()): a packet of len bytes costs len * mult >> 20 ns,
 * and passes while the bucket's time stays within burst_ns of now.
 */
enum nl_bucket {
	NL_B_IN = 0,
	NL_B_OUT = 1,
	NL_B_TOTAL = 2,
	NL_B_THROTTLE = 3,
	NL_BUCKETS = 4,
};
#define NL_RATE_SHIFT 20
/* Rates netlimit takes, in bits per second: len * mult stays below 2^64. */
#define NL_RATE_MIN 1000ULL
#define NL_RATE_MAX 1000000000000ULL

/* Bits of nl_limit.rated. */
enum nl_rated {
	NL_RATED = 1,	 /* some of the in/out/total buckets has a rate */
	NL_THROTTLED = 2, /* action throttle: past a cap, the throttle bucket */
};

/* What a limit is attached to (nl_limit.kind; 0: the slot is free). */
enum nl_kind {
	NL_KIND_RUN = 1,    /* a command started by `netlimit run` */
	NL_KIND_PID = 2,    /* processes attached by PID */
	NL_KIND_CGROUP = 3, /* an existing cgroup */
	NL_KIND_HOST = 4,   /* traffic with one prefix, system-wide */
	NL_KIND_IFACE = 5,  /* everything crossing a network interface */
};

/* Which packets a limit counts. */
enum nl_scope_mode {
	NL_SCOPE_ALL = 0,
	NL_SCOPE_ONLY = 1,    /* remote address in the limit's prefixes */
	NL_SCOPE_EXCLUDE = 2, /* remote address not in them */
};

/* Address families in trie keys: IPv4 and IPv6 never match each other. */
#define NL_FAM_V4 4
#define NL_FAM_V6 6

/*
 * nl_hosts key. The first byte after prefixlen is the family, so a prefix
 * length counts 8 bits for it: 0.0.0.0/0 is {8, 4}, ::/0 is {8, 6}.
 */
struct nl_host_key {
	__u32 prefixlen;
	__u8 fam;
	__u8 addr[16];
};

/* nl_scopes key: the limit's id, then family and address (prefixlen + 40). */
struct nl_scope_key {
	__u32 prefixlen;
	__u32 id; /* big endian: part of the matched bits */
	__u8 fam;
	__u8 addr[16];
};

/* What happens when a cap is reached (nl_limit.action). */
enum nl_action {
	NL_ACT_KILL = 0,  /* drop the excess, end the processes */
	NL_ACT_BLOCK = 1, /* drop the excess, keep running */
	NL_ACT_DOWN = 2,  /* iface: drop the excess, bring the interface down */
	NL_ACT_THROTTLE = 3, /* let the excess through at the throttle rate */
};

/*
 * Traffic in one direction: accepted and refused, and what the fast path
 * needs to charge it, so that charging a common limit reads and writes this
 * one cache line only (bpf/charge.h charge_list).
 */
struct nl_usage {
	__u64 bytes;
	__u64 packets;
	__u64 drop_bytes;   /* refused at a cap */
	__u64 drop_packets;
	__u64 held_bytes;   /* held back by a rate: dropped, or for TCP sent again later */
	__u64 held_packets;
	/*
	 * Written by userland (nl_limit_gates, user/limit.c) after any change of
	 * the fields they stand for: gate is the direction's cap if the limit
	 * needs nothing but caps (no scope, wire bytes, cgroup subtree or rate),
	 * else 0, which sends its packets down the full path; total is a copy of
	 * cap_total.
	 */
	__u64 gate;
	__u64 total;
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
	__u32 kind;	 /* enum nl_kind; 0: free slot, charged by no packet */
	__u32 scope;	 /* enum nl_scope_mode */
	__u32 wire;	 /* 1: wire bytes (per-segment and link headers) */
	__u32 cg_level;	 /* host: 0 all cgroups, else only below cgroup_id at this level */
	__u64 cgroup_id;
	/* Description, written once by userland. */
	__u32 id;
	__u32 gen;	  /* changes each time the slot is reused: tags carry it */
	__u32 action;	  /* enum nl_action */
	__u32 rated;	  /* enum nl_rated bits: 0, no rate to keep */
	/* Rates, written by userland; a bucket with mult 0 has none. */
	__u64 rate_mult[NL_BUCKETS] NL_CACHELINE;
	__u64 rate_burst_ns[NL_BUCKETS];
	__u64 rate_debt_ns[NL_BUCKETS]; /* what TCP may run past the burst (bpf/charge.h) */
	/* Description, written by userland. */
	__u64 rate[NL_BUCKETS]; /* bits per second as given; 0: none */
	__u64 burst[NL_BUCKETS]; /* bytes */
	__u64 burst_opt;	 /* --burst as given; 0: each bucket's default */
	__u32 pid;	  /* the command's or attached process's PID */
	__u32 owner_uid; /* who made it through the service (user/daemon.c); 0: root */
	__u64 created_ns; /* CLOCK_REALTIME */
	/* Written by the BPF programs, one cache line per direction. */
	struct nl_usage in NL_CACHELINE;
	struct nl_usage out NL_CACHELINE;
	/* Rarely written: at a cap, and by userland to re-arm. */
	__u32 hit NL_CACHELINE;	 /* enum nl_hit bits; userland clears a bit to re-arm */
	__u32 pad1;
	__u64 tat_in;		 /* the buckets (bpf/charge.h police()) */
	__u64 tat_out;
	__u64 tat_total;
	__u64 tat_throttle;
	/* Written by nl_pace (sockops): how fast the limit's TCP flows may send together. */
	struct nl_pacer {
		__u64 total;	/* bytes a second, shared by the flows heard from lately */
		__u64 adj_ns;	/* when total last moved */
		__u64 epoch_ns; /* start of the current count of flows */
		__u32 seen;	/* flows heard from in this epoch */
		__u32 flows;	/* in the one before */
		__u64 bytes;	/* the bucket's bytes at the epoch's start */
	} pacer NL_CACHELINE;
	__u32 events_lost;	 /* ring buffer was full */
	__u32 tasks;		 /* NL_KIND_PID: tagged processes still alive */
	__s32 socks;		 /* NL_KIND_PID: tagged TCP sockets not yet closed */
	__u32 ifindex;		 /* NL_KIND_IFACE */
	__u32 link_hlen;	 /* NL_KIND_IFACE: bytes of link header */
	__u64 netns;		 /* NL_KIND_IFACE: inode of its network namespace */
	struct nl_host_key host; /* NL_KIND_HOST: its prefix */
	char name[NL_NAME_LEN];
	char target[NL_TARGET_LEN];
};

/*
 * Interface limits: nl_iface_slots, an array the tc programs index without a
 * hash (nl_iface_fold of the interface), holds one interface a slot; one that
 * folds to a slot another holds goes to the hash nl_ifaces, and the slot's
 * `more` says some do. Interfaces of one namespace below NL_IFACE_SLOTS never
 * share a slot. README names these limits.
 */
#define NL_IFACE_SLOTS 16384
#define NL_MAX_IFACES  16384 /* nl_ifaces entries */

/* An interface, in its network namespace: nl_ifaces' key. */
struct nl_iface_key {
	__u32 ifindex;
	__u32 netns; /* inode number of the namespace (/proc/PID/ns/net) */
};

/* The limit that counts everything crossing an interface: nl_ifaces' value. */
struct nl_iface_ref {
	__u32 id;
	__u32 link_hlen; /* bytes of link header before L3 */
};

/* A slot of nl_iface_slots: id 0 when it holds no interface. */
struct nl_iface_slot {
	__u32 ifindex;
	__u32 netns;
	__u32 id;
	__u16 link_hlen;
	__u16 more; /* interfaces folding here that are in nl_ifaces */
};

static inline __u32 nl_iface_fold(__u32 ifindex, __u32 netns)
{
	return (ifindex ^ netns * 0x9e3779b1U) & (NL_IFACE_SLOTS - 1);
}

/* Limits placed on one cgroup (nl_cgroups value), 0-terminated. */
struct nl_cg_limits {
	__u32 ids[NL_CG_LIMITS];
};

/*
 * A cgroup's chain in a CPU's cache (nl_cg_cache): its limits and its
 * ancestors'. One cache line: ids fit 16 bits (NL_MAX_LIMITS).
 */
struct nl_cg_chain {
	__u64 cg;  /* the kernel's struct cgroup (bpf/dataplane.bpf.c cgroup_chain) */
	__u64 gen; /* nl_conf.gen when computed */
	__u32 over;
	__u32 seq; /* odd while being written (bpf/charge.h: memo_begin) */
	__u16 ids[NL_SOCK_CHAIN];
	__u64 pad;
};
_Static_assert(sizeof(struct nl_cg_chain) == 64 && NL_MAX_LIMITS <= 65536,
	       "a cached chain is one cache line of 16-bit ids");
_Static_assert(sizeof(struct nl_usage) == 64, "a direction's counters are one cache line");

/*
 * A list of limit ids, 0-terminated: the chain a packet is charged to (a
 * cgroup's, a socket's process tags, a host prefix's: nl_hosts values hold
 * at most NL_HOST_CHAIN).
 */
struct nl_ids {
	__u32 ids[NL_SOCK_CHAIN];
};

/* A process limit's tag: gen tells a reused slot from the tagged one. */
struct nl_tag {
	__u32 id;
	__u32 gen;
};

/*
 * Receive-side shaping of --in-rate (bpf/shaper.bpf.c, user/shaper.c): what
 * a socket under an in-rated limit receives waits in that limit's HTB class
 * (NL_SHAPE_MAJOR:id) on the shaper's veth pair, then goes back into the
 * interface it came from, marked NL_SHAPED_TAG | id: the limit's in-rate
 * does not police it again (its caps still count it).
 */
#define NL_SHAPE_MAJOR 0x4e4cU
#define NL_SHAPED_TAG 0x4e4c0000U
#define NL_SHAPED_MASK 0xffff0000U

/* Process limits a process is under (nl_tasks) or a socket was made under. */
struct nl_tags {
	struct nl_tag t[NL_TASK_TAGS];
	/*
	 * A TCP socket's: its own cookie while its tags' limits count it in
	 * socks (from connect, listen, accept or attach --pid until CLOSE); a
	 * listener's value, cloned into an accepted socket, is not its own.
	 */
	__u64 live;
};

/* nl_conf.meter: on by `netlimit meter on`, or while views run (user/meter.c). */
enum { NL_METER_OFF, NL_METER_ON, NL_METER_VIEWS };

/* Dataplane-wide settings and counters (nl_conf, one entry, mmapable). */
struct nl_conf {
	__u64 gen;	    /* moves when any cgroup or process limit comes or goes */
	__u32 meter;	    /* count every socket's traffic: NL_METER_ON, NL_METER_VIEWS */
	__u32 nhosts;	    /* host limits exist: look up nl_hosts */
	__u32 nlimits;	    /* limits in use: 0 with the meter off = nothing to do */
	__u32 next_id;	    /* where userland looks for a free slot next: ids come round late */
	__u32 max_id;	    /* highest id ever handed out: userland scans stop there */
	__u32 npids;	    /* process limits exist: look up the socket's tags */
	__u64 last_gc_ns;   /* CLOCK_MONOTONIC of userland's last collection */
	__u64 overflow;	    /* packets dropped: more limits on them than NL_CHAIN */
	__u64 storage_fail; /* packets of sockets whose storage could not be made */
	__u32 audit;	    /* PID of the `netlimit audit` reading the ring (one at a time); 0 none */
	__u32 npaced;	    /* limits with an out, total or throttle rate: TCP sockets get nl_pace */
	__u64 audit_lost;   /* audit records the ring had no room for */
	__u64 sk_hidden;    /* live sockets counted in their sk_storage: views must walk */
	__u32 nslow;	    /* limits with a rate slow enough that TCP gets smaller segments (nl_tcp) */
	__u32 layout;	    /* NL_LAYOUT of the netlimit that loaded it */
};

/* Moves when the maps' layout does: a dataplane of another layout is refused. */
#define NL_LAYOUT 2

/*
 * A rate under which a 64 KiB TCP segment takes longer than NL_SLOW_SEG_NS:
 * TCP sockets opened under it get smaller segments (bpf/dataplane.bpf.c
 * slow_mss). About 52 Mbit/s.
 */
#define NL_SLOW_SEG_NS 10000000ULL
#define NL_SLOW_RATE_BITS (65536ULL * 8 * 1000000000ULL / NL_SLOW_SEG_NS)


/* Traffic of a socket, cgroup or process, as the meter counts it. */
struct nl_meter {
	__u64 in_bytes;
	__u64 in_packets;
	__u64 out_bytes;
	__u64 out_packets;
};

/* What the meter keeps per socket (nl_socks, sk_storage). */
struct nl_sock {
	/* Owner, recorded at socket creation (0 for sockets older than netlimit). */
	__u32 tgid;
	__u32 ppid;
	__u32 uid;
	__u32 gid;
	__u32 closed; /* released: later packets go straight to the totals */
	__u64 cgroup_id;
	char comm[16];
	__u64 open_ns; /* CLOCK_MONOTONIC: created, or first seen */
	__u32 audit_due; /* TCP: 1 released, 2 reached CLOSE; whoever makes it 3 writes the record;
			  * NL_AUDIT_WRITTEN once it is written */
	__u32 rate_id;	 /* TCP: the rated limit whose rate paces the socket (bpf/charge.h) */
	__u32 pace;	 /* its pacing rate now, bytes a second (0: not paced) */
	__u32 hidden;	 /* counted in m while live (nl_sk_extra full): in nl_conf.sk_hidden */
	__u64 pace_ns;	 /* when pace was last changed */
	__u64 epoch_ns;	 /* the rated limit's count of flows it was last counted in */
	__u64 cookie;	 /* the socket this is of (a listener's, cloned at accept, until set) */
	__u32 accepted;	 /* accepted: owned by its listener's owner until closed */
	__u32 shape_id;	 /* the in-rated limit whose shaper class queues what it receives */
	__u32 cwnd_clamp; /* TCP: the congestion window pace_cwnd holds it to (0: the kernel's) */
	struct nl_meter m NL_CACHELINE;
	struct nl_meter life; /* everything, for the audit: m is emptied at release */
};

/*
 * A socket's counters in the meter's hot path (nl_sk_slots): found from the
 * cookie the kernel keeps in the socket, so a packet costs no helper call.
 * m holds what is not yet in nl_sock.m; nl_sk_owners holds the same slot's
 * owner, for what arrives after the socket was released.
 */
struct nl_sk_slot {
	__u64 cookie; /* 0 free; | NL_SK_CLOSED once released; NL_SK_BUSY */
	struct nl_meter m;
} NL_CACHELINE;

/* Per-process meter key (nl_proc_meter, nl_sk_owners): the owner of a socket. */
struct nl_proc_key {
	__u32 tgid;
	__u32 uid;
	char comm[16];
	__u64 cgroup_id;
};

/* A connected socket's remote end (rport 0: none), recorded at its first packet. */
struct nl_sk_peer {
	__u32 fam; /* NL_FAM_V4 (the address in raddr[0..3]) or NL_FAM_V6 */
	__u16 rport;
	__u16 proto;
	__u8 raddr[16];
};

/* A metered socket's owner and peer (nl_sk_owners, by slot; nl_sk_extra). */
struct nl_sk_owner {
	struct nl_proc_key k;
	struct nl_sk_peer p;
};

/*
 * A socket the slots have no room for (nl_sk_extra, by cookie): its counters,
 * owner and peer, so the views read every live socket from maps. At release
 * the counters go to the socket and the entry lingers NL_SK_EXTRA_LINGER_NS
 * for packets racing the release (its timer gives those to the owner).
 */
struct nl_sk_extra {
	struct nl_meter m;
	struct nl_sk_owner o;
	__u64 closed_ns; /* 0 while the socket lives */
	struct bpf_timer t;
};

/* Sent through an owner's ring when a cap first refuses a packet. */
struct nl_event {
	__u32 id;
	__u32 hit; /* one enum nl_hit bit */
	__u64 used;
	__u64 cap;
	__u64 ts_ns; /* CLOCK_MONOTONIC */
};

/* nl_host_meter key: a remote address that connected sockets talked to. */
struct nl_peer_key {
	__u32 fam; /* NL_FAM_V4 (the address in addr[0..3]) or NL_FAM_V6 */
	__u8 addr[16];
};

/* The audit ring (nl_audit): bytes, room for some seconds of 5,000 connections a second. */
#define NL_AUDIT_RING (8 << 20)
/* An executable's path as the audit records it: the last parts, leaf first. */
#define NL_EXE_PARTS 6
#define NL_EXE_PART 24

/* What a socket's creator ran (nl_sock_exe, kept only while audit readers exist). */
struct nl_exe {
	char part[NL_EXE_PARTS][NL_EXE_PART];
};

enum nl_audit_kind {
	NL_AUDIT_CLOSE = 1,   /* a socket's whole life: released (TCP: and CLOSE reached) */
	NL_AUDIT_PENDING = 2, /* a TCP socket released, its connection not over yet */
	NL_AUDIT_LATE = 3,    /* a packet that passed its socket's filter as the record was written */
};

/* nl_sock.audit_due: the socket's record is written; what comes later goes as NL_AUDIT_LATE. */
#define NL_AUDIT_WRITTEN 4

/* One record of nl_audit: a connection (a socket) from creation to release. */
struct nl_audit_rec {
	__u32 kind;
	__u32 proto; /* IPPROTO_TCP, IPPROTO_UDP, ... */
	__u64 cookie;
	__u64 open_ns, close_ns; /* CLOCK_MONOTONIC */
	__u32 tgid, ppid, uid, gid;
	__u64 cgroup_id;
	char comm[16];
	__u32 fam; /* NL_FAM_V4 / NL_FAM_V6 */
	__u16 lport, rport;
	__u8 laddr[16], raddr[16];
	struct nl_meter m;
	struct nl_exe exe;
};

/* nl_udp_peers: the peers of an unconnected UDP socket, while audit readers exist. */
struct nl_udp_peer_key {
	__u64 cookie;
	__u32 fam;
	__u16 port;
	__u16 pad;
	__u8 addr[16];
};

struct nl_udp_peer {
	struct nl_meter m;
	__u64 first_ns, last_ns;
};

/* One record of the meter iterator (user/meter.c reads them). */
struct nl_meter_rec {
	__u64 cookie; /* the socket's, as sock_diag reports it */
	__u64 ino;    /* its inode, as /proc/PID/fd shows it (0: no file) */
	__u64 cgroup_id;
	__u32 tgid;
	__u32 uid;
	char comm[16];
	__u32 proto;
	__u32 fam;
	__u8 raddr[16];
	__u16 rport;
	__u16 lport;
	__u32 ppid;
	__u32 gid;
	__u32 released; /* released, its audit record waiting for CLOSE: m is its whole life */
	__u8 laddr[16];
	__u64 open_ns;
	struct nl_meter m;
};

/* One record of the task iterator: a process and its parent. */
struct nl_task_rec {
	__u32 pid;
	__u32 ppid;
};

#endif /* NETLIMIT_DATAPLANE_H */
