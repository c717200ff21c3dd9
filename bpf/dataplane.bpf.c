// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The dataplane: one set of programs for every limit and for the meter,
 * loaded once, attached to one cgroup (the cgroup2 root in production) and
 * pinned. User side: user/dataplane.c; types: include/dataplane.h; the
 * charging itself: bpf/charge.h.
 *
 * Hot path of a packet: one array lookup in nl_conf, the socket's cgroup id
 * read through the kernel's skb (no helper), the chain of limits of that
 * cgroup and its ancestors from a per-CPU cache, then per limit an inlined
 * array lookup, a fetch-add and a compare. Process limits add one
 * sk_storage lookup and host limits one LPM lookup, each only while such
 * limits exist; the meter adds one sk_storage lookup while it is on.
 * Nothing on the path depends on how many limits exist.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include "charge.h"
#include "period.bpf.h"

/*
 * Tests only (BPF_PROG_TEST_RUN of nl_ingress_test, nl_egress_test): packets
 * without a socket are charged to the limits placed on this cgroup id, as if
 * it were theirs.
 */
const volatile __u64 nl_test_cgroup = 0;

/* Meter slots in use, less one (a power of 2 less one; userland may lower it). */
const volatile __u32 nl_sk_mask = NL_SK_SLOTS - 1;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nl_conf);
} nl_conf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, NL_MAX_LIMITS);
	__type(key, __u64);
	__type(value, struct nl_cg_limits);
} nl_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, NL_MAX_LIMITS);
	__type(key, struct nl_host_key);
	__type(value, struct nl_ids);
} nl_hosts SEC(".maps");

/*
 * Per CPU, a direct-mapped cache of cgroup chains, NL_CG_CACHE slots from
 * cpu * NL_CG_CACHE (userland sizes it for the possible CPUs), keyed by the
 * address of the kernel's struct cgroup: a packet reads it from its socket,
 * in a cache line the kernel has just read to run this program, where the
 * cgroup id would take two more lines. A hit costs one line and two
 * compares; a miss (or a limit that came or went: nl_conf.gen) walks the
 * cgroup's ancestors once. An address is one cgroup's for as long as a
 * socket holds it; a new cgroup at a freed one's address moves nl_conf.gen
 * before any process can enter it (nl_cgroup_new). Mmapable: each slot is
 * one cache line, aligned.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, NL_CG_CACHE);
	__type(key, __u32);
	__type(value, struct nl_cg_chain);
} nl_cg_cache SEC(".maps");

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

/*
 * Process limits a socket was made under (or tagged with by attach --pid);
 * a socket a listener accepts has its listener's (cloned).
 */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct nl_tags);
} nl_sock_tags SEC(".maps");

/* Process limits a process (its thread-group leader) is under. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct nl_tags);
} nl_tasks SEC(".maps");

/* Meter totals of sockets that have closed, and of packets without one. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct nl_meter);
} nl_cg_meter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct nl_proc_key);
	__type(value, struct nl_meter);
} nl_proc_meter SEC(".maps");

/* Meter totals of closed connected sockets, by remote address. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct nl_peer_key);
	__type(value, struct nl_meter);
} nl_host_meter SEC(".maps");

/* `netlimit audit`: one record per socket at its release (user/audit.c reads it). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, NL_AUDIT_RING);
} nl_audit SEC(".maps");

/* What each socket's creator ran (accepted: its listener's), while audit readers exist. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct nl_exe);
} nl_sock_exe SEC(".maps");

/* Per unconnected UDP socket and peer, while audit readers exist. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct nl_udp_peer_key);
	__type(value, struct nl_udp_peer);
} nl_udp_peers SEC(".maps");

/* The meter's per-socket counters, by cookie (see struct nl_sk_slot), and their owners. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, NL_SK_SLOTS);
	__type(key, __u32);
	__type(value, struct nl_sk_slot);
} nl_sk_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, NL_SK_SLOTS);
	__type(key, __u32);
	__type(value, struct nl_sk_owner);
} nl_sk_owners SEC(".maps");

/* Sockets whose slot another live socket holds, by cookie (struct nl_sk_extra). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, NL_SK_EXTRA);
	__type(key, __u64);
	__type(value, struct nl_sk_extra);
} nl_sk_extra SEC(".maps");

static __always_inline struct nl_conf *conf(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&nl_conf, &zero);
}

/* Still the limit the tag was made for (the slot was not reused since)? */
static __always_inline struct nl_limit *tag_limit(const struct nl_tag *t)
{
	__u32 id = t->id;
	struct nl_limit *l;

	if (!id)
		return NULL;
	l = bpf_map_lookup_elem(&nl_limits, &id);
	if (!l || l->kind != NL_KIND_PID || l->gen != t->gen)
		return NULL;
	return l;
}

/* A socket's chain being built; n and over live in memory, out of the verifier's sight. */
struct nl_chain_buf {
	__u32 ids[NL_SOCK_CHAIN];
	__u32 n;
	__u32 over;
};

static __always_inline void chain_add(struct nl_chain_buf *b, __u32 id)
{
	__u32 n = b->n;

	if (n >= NL_SOCK_CHAIN) {
		b->over = 1;
		return;
	}
	b->ids[n & (NL_SOCK_CHAIN - 1)] = id;
	b->n = n + 1;
}

/* Add the limits on the skb's cgroup's ancestor at level; 0 past the last level. */
__noinline int nl_chain_level(struct __sk_buff *skb, int level, struct nl_chain_buf *b)
{
	struct nl_cg_limits *c;
	__u64 cgid;
	int k;

	if (!skb || !b)
		return 0;
	cgid = bpf_skb_ancestor_cgroup_id(skb, level);
	if (!cgid)
		return 0;
	c = bpf_map_lookup_elem(&nl_cgroups, &cgid);
	if (!c)
		return 1;
	for (k = 0; k < NL_CG_LIMITS; k++)
		if (c->ids[k])
			chain_add(b, c->ids[k]);
	return 1;
}

/*
 * The limits on the skb's cgroup and on each ancestor (outermost first).
 * Runs for a cgroup once per CPU after a limit came or went, and for each
 * packet without a full socket. Returns 1 if more limits cover it than a
 * chain holds.
 */
__noinline int nl_fill_chain(struct __sk_buff *skb, struct nl_ids *chain)
{
	struct nl_chain_buf b = {};
	int level;

	if (!skb || !chain)
		return 0;
	for (level = 0; level < NL_MAX_LEVEL; level++)
		if (!nl_chain_level(skb, level, &b))
			break;
	__builtin_memcpy(chain->ids, b.ids, sizeof(b.ids));
	return (int)b.over;
}

/* Add the packet's direction to a meter entry. */
static __always_inline void meter_add(struct nl_meter *m, const int dir, __u64 len)
{
	if (dir == NL_IN) {
		__sync_fetch_and_add(&m->in_bytes, len);
		__sync_fetch_and_add(&m->in_packets, 1);
	} else {
		__sync_fetch_and_add(&m->out_bytes, len);
		__sync_fetch_and_add(&m->out_packets, 1);
	}
}

/*
 * meter_add with fetching adds, which are fully ordered: what the caller
 * reads next is read after the counters were added to. barrier_var keeps
 * the fetched values, or the compiler makes the adds plain (relaxed) ones.
 */
static __always_inline void meter_add_fenced(struct nl_meter *m, const int dir, __u64 len)
{
	__u64 seen;

	if (dir == NL_IN)
		seen = __sync_fetch_and_add(&m->in_bytes, len) |
		       __sync_fetch_and_add(&m->in_packets, 1);
	else
		seen = __sync_fetch_and_add(&m->out_bytes, len) |
		       __sync_fetch_and_add(&m->out_packets, 1);
	barrier_var(seen);
}

/* A meter entry of a map, made when missing. */
static __always_inline struct nl_meter *meter_entry(void *map, const void *key)
{
	struct nl_meter *m = bpf_map_lookup_elem(map, key), zero = {};

	if (m)
		return m;
	bpf_map_update_elem(map, key, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, key);
}

/* Add a closed socket's counters to a total (fetching adds, like meter_add_fenced). */
static __always_inline void meter_fold(struct nl_meter *to, const struct nl_meter *from)
{
	__u64 seen = __sync_fetch_and_add(&to->in_bytes, from->in_bytes) |
		     __sync_fetch_and_add(&to->in_packets, from->in_packets) |
		     __sync_fetch_and_add(&to->out_bytes, from->out_bytes) |
		     __sync_fetch_and_add(&to->out_packets, from->out_packets);

	barrier_var(seen);
}

/* Add counters another program cannot reach (a copy of its own). */
static __always_inline void meter_sum(struct nl_meter *to, const struct nl_meter *m)
{
	to->in_bytes += m->in_bytes;
	to->in_packets += m->in_packets;
	to->out_bytes += m->out_bytes;
	to->out_packets += m->out_packets;
}

/* A meter entry's share of one closed socket's totals: its cgroup's and its process's. */
static __always_inline void meter_fold_owner(const struct nl_proc_key *o, const struct nl_meter *m)
{
	struct nl_meter *t;
	__u64 cgid = o->cgroup_id;

	t = meter_entry(&nl_cg_meter, &cgid);
	if (t)
		meter_fold(t, m);
	t = meter_entry(&nl_proc_meter, o);
	if (t)
		meter_fold(t, m);
}

static __always_inline void owner_key(struct nl_proc_key *k, const struct nl_sock *s)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->tgid = s->tgid;
	k->uid = s->uid;
	k->cgroup_id = s->cgroup_id;
	__builtin_memcpy(k->comm, s->comm, sizeof(k->comm));
}

/* Take counters, leaving zeros (each field exchanged: no byte added meanwhile is lost). */
static __always_inline void meter_take(struct nl_meter *from, struct nl_meter *m)
{
	m->in_bytes = __sync_lock_test_and_set(&from->in_bytes, 0);
	m->in_packets = __sync_lock_test_and_set(&from->in_packets, 0);
	m->out_bytes = __sync_lock_test_and_set(&from->out_bytes, 0);
	m->out_packets = __sync_lock_test_and_set(&from->out_packets, 0);
}

/* The remote end of a connected socket (none for unconnected UDP, listeners). */
static __always_inline void peer_of(struct bpf_sock *sk, struct nl_sk_peer *p)
{
	__u32 a[4] = {};

	__builtin_memset(p, 0, sizeof(*p));
	if (!sk || !sk->dst_port)
		return;
	{
		/*
		 * Context fields are read 4 bytes at a time, each at its own
		 * offset (a load clang shares between the families is refused).
		 */
		__u32 v4 = sk->dst_ip4, v6[4] = { sk->dst_ip6[0], sk->dst_ip6[1], sk->dst_ip6[2],
						  sk->dst_ip6[3] };

		asm volatile("" : "+r"(v4), "+r"(v6[0]), "+r"(v6[1]), "+r"(v6[2]), "+r"(v6[3]));
		if (sk->family == 2) {
			p->fam = NL_FAM_V4;
			a[0] = v4;
		} else {
			p->fam = NL_FAM_V6;
			__builtin_memcpy(a, v6, 16);
		}
	}
	__builtin_memcpy(p->raddr, a, 16);
	p->rport = bpf_ntohs((__u16)sk->dst_port);
	p->proto = (__u16)sk->protocol;
}

/*
 * Give socket s (cookie) the slot its cookie maps to, if no live socket
 * holds it. What a released socket left there (packets that raced its
 * release) goes to that socket's owner first. NULL: not this slot. sk: the
 * packet's socket, for its peer; NULL at creation (no peer yet: the slot is
 * marked NL_SK_NOPEER, so the first packet takes the slow path and
 * records it).
 */
static __always_inline struct nl_sk_slot *slot_claim(__u64 cookie, const struct nl_sock *s,
						     struct bpf_sock *sk)
{
	__u32 idx = (__u32)cookie & nl_sk_mask;
	struct nl_sk_slot *sl = bpf_map_lookup_elem(&nl_sk_slots, &idx);
	struct nl_sk_owner *o = bpf_map_lookup_elem(&nl_sk_owners, &idx);
	struct nl_meter left;
	__u64 old;

	if (!sl || !o || !cookie || (cookie & NL_SK_FLAGS))
		return NULL;
	old = sl->cookie;
	if (old == cookie)
		return sl;
	if (old == (cookie | NL_SK_NOPEER)) {
		if (!sk)
			return NULL;
		peer_of(sk, &o->p);
		__sync_val_compare_and_swap(&sl->cookie, old, cookie);
		return sl;
	}
	if (old && !(old & NL_SK_CLOSED))
		return NULL;
	if (__sync_val_compare_and_swap(&sl->cookie, old, NL_SK_BUSY) != old)
		return NULL;
	meter_take(&sl->m, &left);
	if (old && (left.in_packets | left.out_packets))
		meter_fold_owner(&o->k, &left);
	owner_key(&o->k, s);
	peer_of(sk, &o->p);
	__sync_lock_test_and_set(&sl->cookie, sk ? cookie : cookie | NL_SK_NOPEER);
	return sl;
}

#define NL_CLOCK_MONOTONIC 1

/* A released nl_sk_extra entry's end: what raced the release goes to the owner. */
static int extra_done(void *map, __u64 *key, struct nl_sk_extra *e)
{
	struct nl_meter left;

	meter_take(&e->m, &left);
	if (left.in_packets | left.out_packets)
		meter_fold_owner(&e->o.k, &left);
	bpf_map_delete_elem(map, key);
	return 0;
}

/*
 * A new nl_sk_extra entry is built here, not on the slow path's stack: as
 * bytes, since a per-CPU map may not hold a bpf_timer.
 */
struct nl_sk_extra_raw {
	__u8 b[sizeof(struct nl_sk_extra)];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nl_sk_extra_raw);
} nl_sk_extra_new SEC(".maps");

/* The nl_sk_extra entry of socket s (cookie), made if missing; NULL when the map is full. */
static __always_inline struct nl_sk_extra *extra_entry(__u64 cookie, const struct nl_sock *s,
						       struct bpf_sock *sk)
{
	struct nl_sk_extra *e = bpf_map_lookup_elem(&nl_sk_extra, &cookie), *v;
	__u32 zero = 0;

	if (e || !cookie)
		return e;
	v = (struct nl_sk_extra *)bpf_map_lookup_elem(&nl_sk_extra_new, &zero);
	if (!v)
		return NULL;
	__builtin_memset(&v->m, 0, sizeof(v->m));
	v->closed_ns = 0;
	owner_key(&v->o.k, s);
	peer_of(sk, &v->o.p);
	bpf_map_update_elem(&nl_sk_extra, &cookie, v, BPF_NOEXIST);
	return bpf_map_lookup_elem(&nl_sk_extra, &cookie);
}

/*
 * A socket's nl_sock is its own (s->cookie its cookie), or a copy of its
 * listener's, cloned when it was accepted: then it keeps the listener's
 * owner (the server) and starts its own counts and life.
 */
static __always_inline void own_storage(struct nl_sock *s, __u64 cookie)
{
	if (s->cookie == cookie || !cookie)
		return;
	if (s->cookie) {
		__builtin_memset(&s->m, 0, sizeof(s->m));
		__builtin_memset(&s->life, 0, sizeof(s->life));
		s->closed = 0;
		s->hidden = 0;
		s->audit_due = 0;
		s->rate_id = 0;
		s->pace = 0;
		s->pace_ns = 0;
		s->epoch_ns = 0;
		s->accepted = 1;
		s->open_ns = bpf_ktime_get_ns();
	}
	s->cookie = cookie;
}

static __always_inline void audit_late(struct __sk_buff *skb, struct nl_sock *s);

/*
 * Traffic of a released socket s (a packet after its release, or what a
 * packet racing the release left where the release had taken from): its
 * owner's totals, and its audit record's; if that record is written, a
 * record of its own (audit_late). The fold into life is ordered before
 * the mark is read, as audit_record marks before it takes.
 */
static __always_inline void closed_count(struct __sk_buff *skb, struct nl_sock *s,
					 const struct nl_meter *m)
{
	struct nl_proc_key k;

	owner_key(&k, s);
	meter_fold_owner(&k, m);
	meter_fold(&s->life, m);
	if (NL_READ(s->audit_due) & NL_AUDIT_WRITTEN)
		audit_late(skb, s);
}

#define NL_RACED_SLOT 1
#define NL_RACED_EXTRA 2
#define NL_RACED_SOCK 3

/*
 * A packet was added to its socket's slot, nl_sk_extra entry or own
 * storage (where) while the socket's release took it. The release marks, then exchanges;
 * the packet adds (fetching), then reads the mark: what the entry holds
 * now came after the release's take, and is the closed socket's.
 */
__noinline int nl_meter_raced(struct __sk_buff *skb, int where)
{
	struct nl_sk_extra *e;
	struct nl_sk_slot *sl;
	struct nl_meter left;
	struct bpf_sock *sk;
	struct nl_sock *s;
	__u64 cookie;
	__u32 idx;

	if (!skb)
		return 0;
	cookie = bpf_get_socket_cookie(skb);
	idx = (__u32)cookie & nl_sk_mask;
	if (!cookie)
		return 0;
	sk = skb->sk;
	if (!sk)
		return 0;
	s = bpf_sk_storage_get(&nl_socks, sk, 0, 0);
	if (!s)
		return 0;
	if (where == NL_RACED_SLOT) {
		/* Held busy while taken, as slot_claim does: one of them takes it. */
		sl = bpf_map_lookup_elem(&nl_sk_slots, &idx);
		if (!sl || __sync_val_compare_and_swap(&sl->cookie, cookie | NL_SK_CLOSED,
						       NL_SK_BUSY) != (cookie | NL_SK_CLOSED))
			return 0;
		meter_take(&sl->m, &left);
		__sync_lock_test_and_set(&sl->cookie, cookie | NL_SK_CLOSED);
	} else if (where == NL_RACED_EXTRA) {
		e = bpf_map_lookup_elem(&nl_sk_extra, &cookie);
		if (!e)
			return 0;
		meter_take(&e->m, &left);
	} else {
		meter_take(&s->m, &left);
	}
	if (left.in_packets | left.out_packets)
		closed_count(skb, s, &left);
	return 0;
}

/*
 * The meter's slow path: a socket without a slot of its own (its slot is
 * taken, or its cookie not made yet), a socket already released, or a
 * packet without a full socket (its cgroup's total). NL_RACED_SLOT,
 * _EXTRA or _SOCK if the socket was released as the packet was added (the
 * caller calls nl_meter_raced: one call deep, for the verifier's stack).
 */
__noinline int nl_meter_slow(struct __sk_buff *skb, int dir)
{
	struct nl_sk_slot *sl;
	struct bpf_sock *sk;
	struct nl_sock *s = NULL;
	struct nl_meter one = {}, *m;
	struct nl_sk_extra *e;
	__u64 cgid, len, cookie;

	if (!skb)
		return 0;
	len = skb->len;
	sk = skb->sk;
	if (sk)
		s = bpf_sk_storage_get(&nl_socks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!s) {
		cgid = bpf_skb_cgroup_id(skb);
		m = meter_entry(&nl_cg_meter, &cgid);
		if (m)
			meter_add(m, dir & 1, len);
		return 0;
	}
	cookie = bpf_get_socket_cookie(skb);
	own_storage(s, cookie);
	if (!s->cgroup_id)
		s->cgroup_id = bpf_skb_cgroup_id(skb);
	if (!s->open_ns)
		s->open_ns = bpf_ktime_get_ns();
	if (s->closed) {
		/* An orphan still sending after close: straight into the totals. */
		if (dir & 1) {
			one.out_bytes = len;
			one.out_packets = 1;
		} else {
			one.in_bytes = len;
			one.in_packets = 1;
		}
		closed_count(skb, s, &one);
		return 0;
	}
	sk = bpf_sk_fullsock(sk); /* the peer's fields */
	sl = slot_claim(cookie, s, sk);
	if (sl) {
		meter_add_fenced(&sl->m, dir & 1, len);
		return NL_READ(sl->cookie) != cookie ? NL_RACED_SLOT : 0;
	}
	e = extra_entry(cookie, s, sk);
	if (e && !e->closed_ns) {
		meter_add_fenced(&e->m, dir & 1, len);
		return NL_READ(e->closed_ns) ? NL_RACED_EXTRA : 0;
	}
	/* Nowhere a view can read without a walk: counted in the socket, and said so. */
	if (!s->hidden) {
		struct nl_conf *c = conf();

		s->hidden = 1;
		if (c)
			__sync_fetch_and_add(&c->sk_hidden, 1);
	}
	meter_add_fenced(&s->m, dir & 1, len);
	return NL_READ(s->closed) ? NL_RACED_SOCK : 0;
}

/*
 * The meter's hot path: the socket's slot, found by the cookie the kernel
 * keeps in the socket (read directly, no helper), and two atomic adds.
 */
static __always_inline void meter(struct __sk_buff *skb, struct sock *sk, const int dir)
{
	__u64 cookie = sk ? sk->__sk_common.skc_cookie.counter : 0;
	__u32 idx = (__u32)cookie & nl_sk_mask;
	struct nl_sk_slot *sl;
	int raced;

	if (cookie) {
		sl = bpf_map_lookup_elem(&nl_sk_slots, &idx);
		if (sl && sl->cookie == cookie) {
			meter_add_fenced(&sl->m, dir, skb->len);
			/* The same line, just read: released meanwhile? */
			if (NL_READ(sl->cookie) != cookie)
				nl_meter_raced(skb, NL_RACED_SLOT);
			return;
		}
	}
	raced = nl_meter_slow(skb, dir);
	if (raced)
		nl_meter_raced(skb, raced);
}

/*
 * The process tags' and host limits' lists, charged by a global function
 * (checked once by the verifier; the cgroup chain, the common case, is
 * charged inline). 0 if all accept, else the index + 1 of the refusing one.
 */
__noinline int nl_charge_ids(struct __sk_buff *skb, const struct nl_ids *l, __u32 how,
			     struct nl_lazy *z)
{
	if (!skb || !l || !z)
		return 0;
	return (int)charge_list(skb, l->ids, false, NL_SOCK_CHAIN, how, z);
}

/* A cached chain as a list the global functions take. */
static __always_inline void widen_ids(const __u16 *in, struct nl_ids *out)
{
	__u32 i;

	for (i = 0; i < NL_SOCK_CHAIN; i++)
		out->ids[i] = in[i];
}

/* After a refusal: give back what l->ids[0..upto) were charged. */
__noinline int nl_undo_ids(struct __sk_buff *skb, const struct nl_ids *l, __u32 upto, __u32 how,
			   struct nl_pkt *p)
{
	__u32 i;

	if (!skb || !l || !p)
		return 0;
	for (i = 0; i < NL_SOCK_CHAIN; i++) {
		if (i >= upto || !l->ids[i])
			break;
		nl_charge_back(skb, l->ids[i], how, 0, p);
	}
	return 0;
}

/* An unconnected UDP socket's packet, counted for its peer (audit readers only). */
__noinline int nl_audit_udp(struct __sk_buff *skb, int dir)
{
	struct nl_udp_peer_key k = {};
	struct nl_udp_peer *v, zero = {};
	struct nl_lazy z = { .ready = false };
	struct nl_pkt *p;
	__u64 now;

	if (!skb)
		return 0;
	p = pkt(&z, skb, 0);
	parse(skb, 0, dir & 1, p);
	if (p->parsed < 0)
		return 0;
	k.cookie = bpf_get_socket_cookie(skb);
	k.fam = p->fam;
	k.port = (__u16)p->rport;
	__builtin_memcpy(k.addr, p->a, 16);
	now = bpf_ktime_get_ns();
	v = bpf_map_lookup_elem(&nl_udp_peers, &k);
	if (!v) {
		zero.first_ns = now;
		bpf_map_update_elem(&nl_udp_peers, &k, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&nl_udp_peers, &k);
		if (!v)
			return 0;
	}
	v->last_ns = now;
	meter_add(&v->m, dir & 1, skb->len);
	return 0;
}

/*
 * The cgroup of a packet's socket (the kernel's struct cgroup, as a number:
 * the chain cache's key), read through the kernel's own skb (no helper
 * call); 0 when the socket is not a full one (TIME_WAIT, a request socket):
 * those take the helpers' slow path.
 */
static __always_inline __u64 socket_cgroup(struct sock *sk)
{
	__u8 state;

	if (!sk)
		return 0;
	state = sk->__sk_common.skc_state;
	if (state == TCP_TIME_WAIT || state == TCP_NEW_SYN_RECV)
		return 0;
	return (__u64)(long)sk->sk_cgrp_data.cgroup;
}

/* This CPU's cache slot for cgroup cg (its address, folded). */
static __always_inline struct nl_cg_chain *cache_slot(__u64 cg)
{
	__u32 idx = bpf_get_smp_processor_id() * NL_CG_CACHE +
		    ((__u32)(cg >> 6 ^ cg >> 16) & (NL_CG_CACHE - 1));

	return bpf_map_lookup_elem(&nl_cg_cache, &idx);
}

/* 32-bit ids to the cache's 16 (ids are below NL_MAX_LIMITS). */
static __always_inline void narrow_ids(const __u32 *in, __u32 n, __u16 *out)
{
	__u32 i;

	for (i = 0; i < n && i < NL_SOCK_CHAIN; i++)
		out[i] = (__u16)in[i];
}

/*
 * The cgroup limits of the packet's cgroup, from this CPU's cache or walked
 * anew, copied into out (an interrupt may refill the entry meanwhile):
 * chain_cached reads the cache entry e, if it is cg's and current.
 */
static __always_inline bool chain_cached(struct nl_cg_chain *e, __u64 cg, __u64 gen, __u16 *out,
					 __u32 *over)
{
	__u32 seq = memo_seq(&e->seq);

	if (e->cg != cg || e->gen != gen)
		return false;
	__builtin_memcpy(out, e->ids, sizeof(e->ids));
	*over = e->over;
	return memo_still(&e->seq, seq);
}

/* w: room for the walk's 32-bit ids. */
static __always_inline bool cgroup_chain(struct __sk_buff *skb, __u64 cg, __u64 gen, __u16 *out,
					 __u32 *over, struct nl_ids *w)
{
	struct nl_cg_chain *e = cache_slot(cg);

	if (e && chain_cached(e, cg, gen, out, over))
		return true;
	*over = nl_fill_chain(skb, w);
	narrow_ids(w->ids, NL_SOCK_CHAIN, out);
	if (e && memo_begin(&e->seq)) {
		__builtin_memcpy(e->ids, out, sizeof(e->ids));
		e->over = *over;
		e->cg = cg;
		e->gen = gen;
		memo_end(&e->seq);
	}
	return true;
}

/*
 * Per CPU, the host limits around the remote addresses seen lately (what
 * nl_hosts' longest match lists), valid while nl_conf.gen stays.
 */
struct nl_host_memo {
	__u64 gen;
	__u32 a[4];
	__u32 fam;
	__u32 found;
	__u32 seq;
	__u32 pad;
	struct nl_ids ids;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NL_HOST_MEMO);
	__type(key, __u32);
	__type(value, struct nl_host_memo);
} nl_host_memo SEC(".maps");

/*
 * The host limits whose prefixes contain the packet's remote address (at
 * most NL_HOST_CHAIN), copied into out.
 */
static __always_inline bool host_chain(const struct nl_pkt *p, __u64 gen, __u32 *out)
{
	__u32 idx = addr_slot(p, 0, NL_HOST_MEMO), seq, found;
	struct nl_host_memo *e = bpf_map_lookup_elem(&nl_host_memo, &idx);
	struct nl_host_key hk = { .prefixlen = 8 + 128, .fam = (__u8)p->fam };
	struct nl_ids *v;

	if (!e)
		return false;
	seq = memo_seq(&e->seq);
	if (e->gen == gen && e->fam == p->fam && addr_eq(e->a, p->a)) {
		found = e->found;
		__builtin_memcpy(out, e->ids.ids, NL_HOST_CHAIN * sizeof(__u32));
		if (memo_still(&e->seq, seq))
			return found;
	}
	__builtin_memcpy(hk.addr, p->a, 16);
	v = bpf_map_lookup_elem(&nl_hosts, &hk);
	if (v)
		__builtin_memcpy(out, v->ids, NL_HOST_CHAIN * sizeof(__u32));
	if (memo_begin(&e->seq)) {
		e->gen = gen;
		__builtin_memcpy(e->a, p->a, sizeof(e->a));
		e->fam = p->fam;
		e->found = v != NULL;
		if (v)
			__builtin_memcpy(e->ids.ids, v->ids, sizeof(e->ids.ids));
		memo_end(&e->seq);
	}
	return v != NULL;
}

/* The process limits the packet's socket was made under, still alive. */
static __always_inline bool socket_tags(struct __sk_buff *skb, struct nl_ids *t)
{
	struct bpf_sock *sk = skb->sk;
	struct nl_tags *tags;
	__u32 n = 0;
	int k;

	if (!sk)
		return false;
	tags = bpf_sk_storage_get(&nl_sock_tags, sk, 0, 0);
	if (!tags)
		return false;
	/*
	 * A tag of a limit that is gone becomes NL_NO_ID, which the lists skip
	 * (no slot has that id), not 0, which would end the list before the
	 * tags and host limits after it.
	 */
	for (k = 0; k < NL_TASK_TAGS; k++) {
		t->ids[k] = tag_limit(&tags->t[k]) ? tags->t[k].id : NL_NO_ID;
		n += t->ids[k] != NL_NO_ID;
	}
	return n > 0;
}

static __always_inline bool handle(struct __sk_buff *skb, const int dir, const bool test)
{
	struct sk_buff *kskb = bpf_cast_to_kern_ctx(skb);
	struct sock *sk = kskb->sk;
	const __u32 how = dir | NL_HOW_CG;
	struct nl_conf *c = conf();
	/* Filled on first need: not zeroed for each packet. */
	struct nl_lazy z;
	/*
	 * own: the cgroup chain; more: the process tags, then the host limits
	 * (before and after those, room for own's ids widened).
	 */
	__u16 own[NL_SOCK_CHAIN];
	struct nl_ids more;
	bool has_chain = false, has_tags = false, has_more = false;
	__u32 refused, over = 0;
	__u64 cg;

	z.ready = false;
	if (!c || (!c->nlimits && !c->meter))
		return true;
	if (test) {
		/* BPF_PROG_TEST_RUN: the limits on the test's cgroup id. */
		__u64 tcg = nl_test_cgroup;
		struct nl_cg_limits *t = bpf_map_lookup_elem(&nl_cgroups, &tcg);

		__builtin_memset(own, 0, sizeof(own));
		if (t)
			narrow_ids(t->ids, NL_CG_LIMITS, own);
		has_chain = true;
	} else if (c->nlimits) {
		cg = socket_cgroup(sk);
		if (cg) {
			has_chain = cgroup_chain(skb, cg, NL_READ(c->gen), own, &over, &more);
		} else {
			/* No full socket (a SYN-ACK, TIME_WAIT): its cgroup still counts. */
			over = nl_fill_chain(skb, &more);
			narrow_ids(more.ids, NL_SOCK_CHAIN, own);
			has_chain = true;
		}
		if (over) {
			__sync_fetch_and_add(&c->overflow, 1);
			return false;
		}
	}
	if (c->npids | c->nhosts)
		__builtin_memset(&more, 0, sizeof(more));
	if (c->npids && !test)
		has_more = has_tags = socket_tags(skb, &more);
	if (c->nhosts) {
		struct nl_pkt *p = pkt(&z, skb, 0);

		parse(skb, 0, dir, p);
		if (p->parsed > 0) {
			if (has_tags)
				has_more |= host_chain(p, NL_READ(c->gen), &more.ids[NL_TASK_TAGS]);
			else
				has_more = host_chain(p, NL_READ(c->gen), more.ids);
		}
	}
	/* The cgroup limits, then the process and host limits: all must accept. */
	if (has_chain) {
		refused = charge_list(skb, own, true, NL_SOCK_CHAIN, how, &z);
		if (refused) {
			widen_ids(own, &more);
			nl_undo_ids(skb, &more, refused - 1, how, &z.p);
			return false;
		}
	}
	if (has_more) {
		refused = (__u32)nl_charge_ids(skb, &more, how, &z);
		if (refused) {
			nl_undo_ids(skb, &more, refused - 1, how, &z.p);
			if (has_chain) {
				widen_ids(own, &more);
				nl_undo_ids(skb, &more, NL_SOCK_CHAIN, how, &z.p);
			}
			return false;
		}
	}
	if (c->meter)
		meter(skb, sk, dir);
	/* The audit's per-peer records of unconnected UDP sockets. */
	if (c->audit && sk && sk->sk_protocol == IPPROTO_UDP && !sk->__sk_common.skc_dport)
		nl_audit_udp(skb, dir);
	return true;
}

/*
 * cgroup_skb sees the packet from its IP header. Egress 2 = drop + congestion
 * notification: TCP backs off, a UDP sender sees a lost datagram, not an
 * error. Ingress allows 0 only.
 */
SEC("cgroup_skb/ingress")
int nl_ingress(struct __sk_buff *skb)
{
	return handle(skb, NL_IN, false) ? 1 : 0;
}

SEC("cgroup_skb/egress")
int nl_egress(struct __sk_buff *skb)
{
	return handle(skb, NL_OUT, false) ? 1 : 2;
}

/* The same for BPF_PROG_TEST_RUN (loaded only then: user/dataplane.c load_skel). */
SEC("cgroup_skb/ingress")
int nl_ingress_test(struct __sk_buff *skb)
{
	return handle(skb, NL_IN, true) ? 1 : 0;
}

SEC("cgroup_skb/egress")
int nl_egress_test(struct __sk_buff *skb)
{
	return handle(skb, NL_OUT, true) ? 1 : 2;
}

/*
 * The creator's executable, as the last NL_EXE_PARTS names of its path
 * (leaf first): the process may be gone before userland could look.
 */
static __noinline void record_exe(struct bpf_sock *sk, struct task_struct *t)
{
	struct nl_exe *e;
	struct dentry *d;
	int i;

	if (!sk || !t)
		return;
	e = bpf_sk_storage_get(&nl_sock_exe, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!e || !t->mm || !t->mm->exe_file)
		return;
	d = t->mm->exe_file->f_path.dentry;
	for (i = 0; i < NL_EXE_PARTS && d; i++) {
		bpf_probe_read_kernel_str(e->part[i], NL_EXE_PART, d->d_name.name);
		if (d == d->d_parent)
			break;
		d = d->d_parent;
	}
}

/*
 * A new socket: record its owner for the meter, and the process limits of
 * its process, so they cover it from its first packet.
 */
SEC("cgroup/sock_create")
int nl_sock_create(struct bpf_sock *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct nl_conf *c = conf();
	struct nl_tags *tt, *st;
	struct nl_sock *s;
	__u64 ug;

	if (!c || (!c->nlimits && !c->meter))
		return 1;
	s = bpf_sk_storage_get(&nl_socks, ctx, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (s) {
		ug = bpf_get_current_uid_gid();
		s->tgid = (__u32)(bpf_get_current_pid_tgid() >> 32);
		s->ppid = t->real_parent->tgid;
		s->uid = (__u32)ug;
		s->gid = (__u32)(ug >> 32);
		s->cgroup_id = bpf_get_current_cgroup_id();
		s->open_ns = bpf_ktime_get_ns();
		bpf_get_current_comm(s->comm, sizeof(s->comm));
		if (c->audit)
			record_exe(ctx, t);
		/* Its cookie made now, and a slot: its packets find it without a helper. */
		s->cookie = bpf_get_socket_cookie(ctx);
		if (c->meter)
			slot_claim(s->cookie, s, NULL);
	}
	tt = bpf_task_storage_get(&nl_tasks, t->group_leader, 0, 0);
	if (tt) {
		st = bpf_sk_storage_get(&nl_sock_tags, ctx, 0, BPF_SK_STORAGE_GET_F_CREATE);
		if (st) {
			__builtin_memcpy(st, tt, sizeof(*st));
			st->live = 0;
		}
	}
	return 1;
}

/* Set bit in w; true if this completed both bits (the other side came first). */
static __always_inline bool audit_turn(__u32 *w, __u32 bit)
{
	__u32 old = __sync_fetch_and_or(w, bit);

	return !(old & bit) && ((old | bit) & 3) == 3;
}

/*
 * The audit's record of a socket's whole life (sk: the kernel's socket,
 * e: what its creator ran, if recorded). Written at release, or for TCP
 * when the connection reaches CLOSE, so the close handshake is in it.
 */
static __always_inline struct nl_audit_rec *audit_reserve(struct nl_conf *c)
{
	struct nl_audit_rec *r = bpf_ringbuf_reserve(&nl_audit, sizeof(struct nl_audit_rec), 0);

	if (!r)
		__sync_fetch_and_add(&c->audit_lost, 1);
	return r;
}

/* Fill and submit a record reserved by audit_reserve. */
static __always_inline void audit_record(struct nl_audit_rec *r, struct sock *sk,
					 struct nl_sock *s, struct nl_exe *e, __u32 kind)
{
	__u32 fam;

	fam = sk->__sk_common.skc_family == 2 ? NL_FAM_V4 : NL_FAM_V6;
	__builtin_memset(r->laddr, 0, 16);
	__builtin_memset(r->raddr, 0, 16);
	if (fam == NL_FAM_V4) {
		__builtin_memcpy(r->laddr, &sk->__sk_common.skc_rcv_saddr, 4);
		__builtin_memcpy(r->raddr, &sk->__sk_common.skc_daddr, 4);
	} else {
		__builtin_memcpy(r->laddr, &sk->__sk_common.skc_v6_rcv_saddr, 16);
		__builtin_memcpy(r->raddr, &sk->__sk_common.skc_v6_daddr, 16);
	}
	r->kind = kind;
	r->proto = sk->sk_protocol;
	r->cookie = sk->__sk_common.skc_cookie.counter;
	r->open_ns = s->open_ns;
	r->close_ns = bpf_ktime_get_ns();
	r->tgid = s->tgid;
	r->ppid = s->ppid;
	r->uid = s->uid;
	r->gid = s->gid;
	r->cgroup_id = s->cgroup_id;
	__builtin_memcpy(r->comm, s->comm, sizeof(r->comm));
	r->fam = fam;
	r->lport = sk->__sk_common.skc_num;
	r->rport = bpf_ntohs(sk->__sk_common.skc_dport);
	if (kind == NL_AUDIT_PENDING) {
		r->m = s->life;
	} else {
		/*
		 * Marked, then taken: a packet that passed the socket's filter on
		 * another CPU and adds to life after this take sees the mark and
		 * sends what it added as NL_AUDIT_LATE (audit_late).
		 */
		if (kind == NL_AUDIT_CLOSE)
			__sync_fetch_and_or(&s->audit_due, NL_AUDIT_WRITTEN);
		meter_take(&s->life, &r->m);
	}
	if (e)
		__builtin_memcpy(&r->exe, e, sizeof(r->exe));
	else
		__builtin_memset(&r->exe, 0, sizeof(r->exe));
	bpf_ringbuf_submit(r, 0);
}

/*
 * A packet of a connected socket whose record is written: it passed the
 * socket's filter on one CPU while another wrote the record (a FIN meeting
 * the socket's CLOSE). What it added goes as a record of its own, which
 * audit adds to the connection's.
 */
static __always_inline void audit_late(struct __sk_buff *skb, struct nl_sock *s)
{
	struct sk_buff *kskb = bpf_cast_to_kern_ctx(skb);
	struct sock *sk = kskb->sk;
	struct nl_conf *c = conf();
	struct nl_audit_rec *r;

	if (!sk || !c || !c->audit || !sk->__sk_common.skc_dport)
		return;
	r = audit_reserve(c);
	if (r)
		audit_record(r, sk, s, NULL, NL_AUDIT_LATE);
}


/*
 * A closed socket's traffic stays in its cgroup's and process's totals. The
 * socket, then its slot or entry, are marked closed before their counts
 * are taken (exchanged), so packets after this go to the totals directly,
 * and a packet that raced the release sees the mark after its add and
 * takes back what it left (nl_meter_raced).
 */
SEC("cgroup/sock_release")
int nl_sock_release(struct bpf_sock *ctx)
{
	struct nl_conf *c;
	struct nl_proc_key pk;
	struct nl_sk_extra *e;
	struct nl_sk_slot *sl;
	struct nl_meter got, all;
	struct nl_sock *s;
	__u64 cookie;
	__u32 idx;

	s = bpf_sk_storage_get(&nl_socks, ctx, 0, 0);
	cookie = bpf_get_socket_cookie(ctx);
	if (s)
		own_storage(s, cookie);
	/* Exchanged: ordered before the takes below, for nl_meter_raced. */
	if (!s || __sync_lock_test_and_set(&s->closed, 1))
		return 1;
	if (!s->tgid || s->accepted) {
		/* Made without a sock_create (accepted): its closer is its owner. */
		__u64 ug = bpf_get_current_uid_gid();

		s->tgid = (__u32)(bpf_get_current_pid_tgid() >> 32);
		s->uid = (__u32)ug;
		s->gid = (__u32)(ug >> 32);
		bpf_get_current_comm(s->comm, sizeof(s->comm));
	}
	/* What the socket counted itself (no slot nor entry), then its slot's and entry's. */
	meter_take(&s->m, &all);
	idx = (__u32)cookie & nl_sk_mask;
	sl = bpf_map_lookup_elem(&nl_sk_slots, &idx);
	if (sl && cookie &&
	    (__sync_val_compare_and_swap(&sl->cookie, cookie, cookie | NL_SK_CLOSED) == cookie ||
	     __sync_val_compare_and_swap(&sl->cookie, cookie | NL_SK_NOPEER,
					 cookie | NL_SK_CLOSED) == (cookie | NL_SK_NOPEER))) {
		meter_take(&sl->m, &got);
		meter_sum(&all, &got);
	}
	e = cookie ? bpf_map_lookup_elem(&nl_sk_extra, &cookie) : NULL;
	if (e && !e->closed_ns) {
		/* Exchanged: ordered before the take, for nl_meter_raced. */
		__sync_lock_test_and_set(&e->closed_ns, bpf_ktime_get_ns());
		meter_take(&e->m, &got);
		meter_sum(&all, &got);
		/* It lingers for packets racing this release, then goes (extra_done). */
		if (bpf_timer_init(&e->t, &nl_sk_extra, NL_CLOCK_MONOTONIC) ||
		    bpf_timer_set_callback(&e->t, extra_done) ||
		    bpf_timer_start(&e->t, NL_SK_EXTRA_LINGER_NS, 0))
			bpf_map_delete_elem(&nl_sk_extra, &cookie);
	}
	/* Added, not set: a packet after closed was set may have added to life. */
	meter_fold(&s->life, &all);
	c = conf();
	if (s->hidden && c) {
		s->hidden = 0;
		__sync_fetch_and_add(&c->sk_hidden, -1);
	}
	if (c && c->audit) {
		struct sock *ksk = bpf_cast_to_kern_ctx(ctx);

		/*
		 * TCP: when both the release and CLOSE have happened, in either
		 * order, on any CPUs: the second one writes the record.
		 */
		struct nl_exe *e = bpf_sk_storage_get(&nl_sock_exe, ctx, 0, 0);
		/*
		 * Reserved before its bit is set: a CLOSE record on another CPU,
		 * which needs that bit, lands after it in the ring.
		 */
		struct nl_audit_rec *r = audit_reserve(c);
		__u32 kind = NL_AUDIT_CLOSE;

		if (ksk->sk_protocol == IPPROTO_TCP && !audit_turn(&s->audit_due, 1) &&
		    !(ksk->__sk_common.skc_state == TCP_CLOSE && audit_turn(&s->audit_due, 2)))
			/* Its final record comes at CLOSE; until then the reader knows of it. */
			kind = NL_AUDIT_PENDING;
		if (r)
			audit_record(r, ksk, s, e, kind);
	}
	if (!(all.in_packets | all.out_packets))
		return 1;
	owner_key(&pk, s);
	meter_fold_owner(&pk, &all);
	if (ctx->dst_port) {
		struct nl_peer_key hk = {};
		struct nl_sk_peer pr;
		struct nl_meter *hm;

		peer_of(ctx, &pr);
		hk.fam = pr.fam;
		__builtin_memcpy(hk.addr, pr.raddr, 16);
		hm = meter_entry(&nl_host_meter, &hk);
		if (hm)
			meter_fold(hm, &all);
	}
	return 1;
}

/* A new process inherits its parent's process limits; threads share them. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(nl_fork, struct task_struct *parent, struct task_struct *child)
{
	struct nl_tags *pt, *ct;
	struct nl_limit *l;
	int k;

	if (child->pid != child->tgid)
		return 0;
	pt = bpf_task_storage_get(&nl_tasks, parent->group_leader, 0, 0);
	if (!pt)
		return 0;
	ct = bpf_task_storage_get(&nl_tasks, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!ct)
		return 0;
	for (k = 0; k < NL_TASK_TAGS; k++) {
		l = tag_limit(&pt->t[k]);
		if (!l) {
			ct->t[k].id = 0;
			continue;
		}
		ct->t[k] = pt->t[k];
		__sync_fetch_and_add(&l->tasks, 1);
	}
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(nl_exit, struct task_struct *t)
{
	struct nl_tags *tt;
	struct nl_limit *l;
	int k;

	if (t->pid != t->tgid)
		return 0;
	tt = bpf_task_storage_get(&nl_tasks, t, 0, 0);
	if (!tt)
		return 0;
	for (k = 0; k < NL_TASK_TAGS; k++) {
		l = tag_limit(&tt->t[k]);
		if (l)
			__sync_fetch_and_add(&l->tasks, -1);
	}
	bpf_task_storage_delete(&nl_tasks, t);
	return 0;
}

/*
 * A tagged TCP socket outlives its process as an orphan that still sends: a
 * process limit counts its open ones (socks), and is not collected while
 * one is. The sockops program below (nl_tcp) counts a socket at connect,
 * listen or accept and asks for its state changes, so its CLOSE arrives
 * there; tcp_closed ends the count and writes audit's record.
 */
static __always_inline void tcp_closed(struct sock *sk, struct nl_sock *s, struct nl_exe *e,
				       struct nl_tags *tt, __u64 cookie)
{
	struct nl_audit_rec *r;
	struct nl_conf *c = conf();
	struct nl_limit *l;
	int k;

	if (s && c && c->audit && audit_turn(&s->audit_due, 2) && (r = audit_reserve(c)))
		audit_record(r, sk, s, e, NL_AUDIT_CLOSE);
	if (!tt || !cookie || __sync_val_compare_and_swap(&tt->live, cookie, 0) != cookie)
		return;
	for (k = 0; k < NL_TASK_TAGS; k++) {
		l = tag_limit(&tt->t[k]);
		if (l)
			__sync_fetch_and_add(&l->socks, -1);
	}
}

/*
 * A new cgroup may take the address of a freed one whose chain a CPU still
 * holds (nl_cg_cache is keyed by address): every chain is made anew. The
 * tracepoint fires under cgroup_mutex, which a process must hold to enter
 * the new cgroup (cgroup.procs, clone into a cgroup), so none of its
 * packets can meet the stale chain.
 */
SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(nl_cgroup_new, struct cgroup *cgrp, const char *path)
{
	struct nl_conf *c = conf();

	if (c)
		__sync_fetch_and_add(&c->gen, 1);
	return 0;
}

/*
 * The CLOSE of a socket nl_tcp does not hear from: one older than the
 * dataplane, or tagged by attach --pid after it connected. A tracepoint is
 * skipped when it would run nested on a CPU where it already runs
 * (recursion_misses in bpftool), so it is only this fallback.
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(nl_sock_state, struct sock *sk, int oldstate, int newstate)
{
	struct tcp_sock *tp;

	if (newstate != TCP_CLOSE || sk->sk_protocol != IPPROTO_TCP)
		return 0;
	tp = bpf_skc_to_tcp_sock(sk);
	if (!tp || (tp->bpf_sock_ops_cb_flags & BPF_SOCK_OPS_STATE_CB_FLAG))
		return 0;
	tcp_closed(sk, bpf_sk_storage_get(&nl_socks, sk, 0, 0),
		   bpf_sk_storage_get(&nl_sock_exe, sk, 0, 0),
		   bpf_sk_storage_get(&nl_sock_tags, sk, 0, 0), sk->__sk_common.skc_cookie.counter);
	return 0;
}

#define NL_SOL_SOCKET 1
#define NL_SOL_TCP 6
#define NL_SO_MAX_PACING_RATE 47
/* How often a socket's pacing, and a limit's pace, may change: a few RTTs of a LAN. */
#define NL_PACE_EVERY_NS 1000000ULL
/*
 * How long a flow counts as sharing a limit's pace after it was last heard
 * from, and the span over which the pace is judged: 100 ms, or what the
 * rate takes to move NL_PACE_EPOCH_BYTES if longer (a slow limit's epoch
 * must hold a good number of its packets, or what it achieved in one is
 * mostly the luck of where packets fell).
 */
#define NL_PACE_EPOCH_NS 100000000ULL
#define NL_PACE_EPOCH_BYTES 65536ULL

#define NL_TCP_BPF_SNDCWND_CLAMP 1002
#define NL_CWND_UNCLAMPED 0x7fffffffU
#define NL_PACE_MIN_CWND 4
#define NL_PACE_CWND_SLACK_US 5000ULL

/*
 * Under a slow rate (NL_SLOW_RATE_BITS), a paced flow's congestion window
 * is held to twice what its pace moves in its RTT plus
 * NL_PACE_CWND_SLACK_US, at least NL_PACE_MIN_CWND segments. Over a path of
 * microseconds (loopback, a veth, a LAN) the kernel builds GSO packets of
 * 64 KiB whatever the pace (tcp_tso_autosize), half a second each at
 * 1 Mbit/s: the flow goes in bursts the pace cannot smooth, and the bucket
 * swings from debt to idle. The window bounds the packets. The clamp (and
 * slow start's threshold, which the kernel sets with it) goes when the rate
 * does or is no longer slow.
 */
static __always_inline void pace_cwnd(struct bpf_sock_ops *ops, struct nl_sock *s, __u64 rate,
				      __u64 pace)
{
	__u64 w;
	__u32 v;

	if (rate * 8 < NL_SLOW_RATE_BITS && ops->mss_cache) {
		w = 2 * pace * ((ops->srtt_us >> 3) + NL_PACE_CWND_SLACK_US) / 1000000 /
		    ops->mss_cache;
		v = w < NL_PACE_MIN_CWND ? NL_PACE_MIN_CWND : w > 0xffff ? 0xffff : (__u32)w;
	} else if (s->cwnd_clamp) {
		v = NL_CWND_UNCLAMPED;
	} else {
		return;
	}
	if (v != s->cwnd_clamp &&
	    !bpf_setsockopt(ops, NL_SOL_TCP, NL_TCP_BPF_SNDCWND_CLAMP, &v, sizeof(v)))
		s->cwnd_clamp = v == NL_CWND_UNCLAMPED ? 0 : v;
}

/* The socket is no longer paced: its pacing rate and window are the kernel's again. */
static __always_inline void unpace(struct bpf_sock_ops *ops, struct nl_sock *s)
{
	__u32 v;

	if (s->pace) {
		v = ~0U;
		bpf_setsockopt(ops, NL_SOL_SOCKET, NL_SO_MAX_PACING_RATE, &v, sizeof(v));
	}
	if (s->cwnd_clamp) {
		v = NL_CWND_UNCLAMPED;
		if (!bpf_setsockopt(ops, NL_SOL_TCP, NL_TCP_BPF_SNDCWND_CLAMP, &v, sizeof(v)))
			s->cwnd_clamp = 0;
	}
	s->pace = 0;
	s->rate_id = 0;
}

/*
 * Pacing under a rate. A TCP socket that egress marked with a rated limit
 * (nl_sock.rate_id, bpf/charge.h rate_mark) gets SO_MAX_PACING_RATE: the
 * limit's pace (its rate at first, then moved every 100 ms towards what
 * keeps the limit at its rate, below) divided by the flows heard from in
 * the last 100 ms: equal shares, and what a flow leaves unused the pace
 * gives the others. What waits, waits in its own socket, so a ping-pong
 * connection of the same limit is not queued behind a bulk one. TCP paces
 * on its own timer (no fq qdisc needed).
 */
static __always_inline int pace(struct bpf_sock_ops *ops, struct bpf_sock *sk, struct nl_conf *c)
{
	__u64 now, tat, burst, rate, pace, total, a, e, got, d, debt, epoch;
	struct nl_pacer *pc;
	bool joined;
	struct nl_limit *l;
	struct nl_sock *s;
	__u32 id, v, n;
	int b;

	if (ops->op != BPF_SOCK_OPS_RTT_CB) {
		/*
		 * Established. A callback on every ACK costs every TCP socket: only
		 * while some limit paces (a socket established before that is
		 * policed, not paced). From here on, and at once: the SYN marked a
		 * connecting socket.
		 */
		if (!NL_READ(c->npaced))
			return 1;
		bpf_sock_ops_cb_flags_set(ops, ops->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_RTT_CB_FLAG);
	}
	if (!NL_READ(c->npaced)) {
		/* No limit paces any more: this socket's ACKs stop calling here. */
		bpf_sock_ops_cb_flags_set(ops,
					  ops->bpf_sock_ops_cb_flags & ~BPF_SOCK_OPS_RTT_CB_FLAG);
		s = bpf_sk_storage_get(&nl_socks, sk, 0, 0);
		if (s && s->pace)
			unpace(ops, s);
		return 1;
	}
	s = bpf_sk_storage_get(&nl_socks, sk, 0, 0);
	if (!s || !s->rate_id)
		return 1;
	now = bpf_ktime_get_ns();
	if (s->pace && now - s->pace_ns < NL_PACE_EVERY_NS)
		return 1;
	id = s->rate_id;
	l = bpf_map_lookup_elem(&nl_limits, &id);
	if (!l)
		return 1;
	if ((l->rated & NL_THROTTLED) && l->hit)
		b = NL_B_THROTTLE;
	else
		b = l->rate_mult[NL_B_OUT] ? NL_B_OUT : NL_B_TOTAL;
	rate = l->kind && l->rated && l->rate_mult[b] ? l->rate[b] / 8 : 0;
	if (!rate && l->kind && b != NL_B_THROTTLE && l->rate_mult[NL_B_THROTTLE])
		return 1; /* not throttled yet */
	if (!rate) {
		/* The rate went (or the limit): the socket goes unpaced. */
		unpace(ops, s);
		return 1;
	}
	tat = b == NL_B_OUT ? l->tat_out : b == NL_B_TOTAL ? l->tat_total : l->tat_throttle;
	burst = l->rate_burst_ns[b];
	pc = &l->pacer;
	/* The bytes the bucket charged so far. */
	got = NL_READ(l->out.bytes);
	if (b != NL_B_OUT)
		got += NL_READ(l->in.bytes);
	total = NL_READ(pc->total);
	if (total < rate / 16 || total > 4 * rate)
		total = rate;
	/*
	 * Every epoch (100 ms), the flows' pace together moves by half the gap
	 * between what the limit achieved in the last one and its rate, and the
	 * flows heard from in it share that pace.
	 */
	epoch = NL_PACE_EPOCH_BYTES * 1000000000ULL / rate;
	if (epoch < NL_PACE_EPOCH_NS)
		epoch = NL_PACE_EPOCH_NS;
	e = NL_READ(pc->epoch_ns);
	if (now - e > epoch) {
		if (__sync_val_compare_and_swap(&pc->epoch_ns, e, now) == e) {
			d = got - NL_READ(pc->bytes);
			NL_READ(pc->bytes) = got;
			/*
			 * Flows that joined in the epoch sent their first ten
			 * segments unpaced (the kernel paces from the tenth on):
			 * such an epoch is not judged, as one cut short by idling.
			 */
			joined = NL_READ(pc->seen) > NL_READ(pc->flows);
			NL_READ(pc->flows) = NL_READ(pc->seen);
			NL_READ(pc->seen) = 0;
			/* Achieved, bytes a second. */
			if (now - e < 4 * epoch && !joined) {
				d = d * 1000000000ULL / (now - e);
				if (d < rate)
					total += total / 2 * (rate - d) / rate;
				else
					total -= total / 2 * (d - rate > rate ? rate : d - rate) / rate;
				NL_READ(pc->total) = total + 1;
			}
		}
		e = NL_READ(pc->epoch_ns);
	}
	if (s->epoch_ns != e) {
		s->epoch_ns = e;
		__sync_fetch_and_add(&pc->seen, 1);
	}
	n = NL_READ(pc->flows);
	if (NL_READ(pc->seen) > n)
		n = NL_READ(pc->seen);
	if (!n)
		n = 1;
	/*
	 * Between epochs, at most once a millisecond: back off before the
	 * bucket reaches the end of its debt, where packets are refused.
	 */
	a = NL_READ(pc->adj_ns);
	if (now - a >= NL_PACE_EVERY_NS && __sync_val_compare_and_swap(&pc->adj_ns, a, now) == a) {
		debt = l->rate_debt_ns[b] * (n > NL_DEBT_FLOWS ? NL_DEBT_FLOWS : n);
		if (tat > now + burst + debt / 4) {
			total -= total / 32;
			NL_READ(pc->total) = total + 1;
		}
	}
	pace = total / n;
	if (pace < 125)
		pace = 125;
	if (pace > 0xfffffffeULL)
		pace = 0xfffffffeULL;
	if (pace != s->pace) {
		v = (__u32)pace;
		if (!bpf_setsockopt(ops, NL_SOL_SOCKET, NL_SO_MAX_PACING_RATE, &v, sizeof(v)))
			s->pace = v;
		pace_cwnd(ops, s, rate, pace);
	}
	s->pace_ns = now;
	return 1;
}

/*
 * From connect, listen or accept on, a TCP socket's tags' limits count it
 * (socks), and its state changes call nl_tcp: while it has tags, or audit
 * is on (a record at CLOSE). Accepted, its tags are its listener's (cloned),
 * live included: counted afresh.
 */
static __always_inline void tcp_open(struct bpf_sock_ops *ops, struct bpf_sock *sk,
				     struct nl_conf *c)
{
	struct nl_tags *tt = bpf_sk_storage_get(&nl_sock_tags, sk, 0, 0);
	struct nl_limit *l;
	__u64 cookie;
	int k;

	if (tt) {
		cookie = bpf_get_socket_cookie(ops);
		if (tt->live != cookie) {
			tt->live = cookie;
			for (k = 0; k < NL_TASK_TAGS; k++) {
				l = tag_limit(&tt->t[k]);
				if (l)
					__sync_fetch_and_add(&l->socks, 1);
			}
		}
	}
	if (tt || c->audit)
		bpf_sock_ops_cb_flags_set(ops, ops->bpf_sock_ops_cb_flags |
						       BPF_SOCK_OPS_STATE_CB_FLAG);
}

#define NL_SO_RCVBUF 8
#define NL_TCP_BPF_DELACK_MAX 1003

/*
 * A connection receiving under an in-rate (its packets wait in the
 * limit's shaper class, bpf/shaper.bpf.c): its window is held to what
 * the rate moves in one RTT plus NL_SHAPE_QUEUE_US, so the sender keeps no
 * more than that queued there, and the class's FIFO (user/shaper.c) seldom
 * overflows into drops. A window under two of the sender's segments comes
 * as one segment a round trip, the next only after the ACK: it grows to two
 * segments or NL_SHAPE_SLOW_US of the rate, whichever is less, and ACKs go
 * within NL_SHAPE_DELACK_US, so the class never waits long for more.
 */
#define NL_SHAPE_QUEUE_US 3000ULL
#define NL_SHAPE_SLOW_US 200000ULL
#define NL_SHAPE_MIN_WINDOW 3000
#define NL_SHAPE_DELACK_US 5000
static __always_inline void shape_window(struct bpf_sock_ops *ops, struct bpf_sock *sk)
{
	struct nl_sock *s = bpf_sk_storage_get(&nl_socks, sk, 0, 0);
	__u64 rate, w, two = 2ULL * ops->mss_cache;
	struct nl_limit *l;
	__u32 id, v;

	if (!s || !s->shape_id)
		return;
	id = s->shape_id;
	l = bpf_map_lookup_elem(&nl_limits, &id);
	if (!l || !l->kind || !l->rate[NL_B_IN])
		return;
	rate = l->rate[NL_B_IN] / 8;
	/* srtt_us is kept times 8. */
	w = rate * ((ops->srtt_us >> 3) + NL_SHAPE_QUEUE_US) / 1000000;
	if (w < two) {
		w = rate * NL_SHAPE_SLOW_US / 1000000;
		if (w > two)
			w = two;
	}
	if (w < NL_SHAPE_MIN_WINDOW)
		w = NL_SHAPE_MIN_WINDOW;
	/*
	 * The window follows the receive buffer, which the kernel doubles (a
	 * TCP_WINDOW_CLAMP alone is moved up again with the buffer here); a
	 * set buffer is not autotuned.
	 */
	v = w > 0x3fffffff ? 0x1fffffff : (__u32)(w / 2);
	bpf_setsockopt(ops, NL_SOL_SOCKET, NL_SO_RCVBUF, &v, sizeof(v));
	v = NL_SHAPE_DELACK_US;
	bpf_setsockopt(ops, NL_SOL_TCP, NL_TCP_BPF_DELACK_MAX, &v, sizeof(v));
}

/*
 * Segments that fit a slow rate. Over a path of a big MTU (loopback: 64 KiB)
 * one TCP segment under a limit of 1 Mbit/s is half a second of its rate:
 * paced, the pace is judged by the luck of where those fell; received, the
 * shaper's class and the window hold a few at most. A TCP socket opened
 * under a limit whose rate (any direction) moves 64 KiB in more than
 * NL_SLOW_SEG_NS gets an MSS (TCP_MAXSEG, before its SYN: what it sends
 * and what it asks the peer to send) of NL_SLOW_SEG_NS at the lowest such
 * rate, at least NL_SLOW_MSS_MIN (an Ethernet's, which these paths
 * already have). Only while such a limit exists (nl_conf.nslow;
 * NL_SLOW_RATE_BITS in include/dataplane.h).
 */
#define NL_TCP_MAXSEG 2
#define NL_SLOW_MSS_MIN 1448

/* The lowest rate found so far, bits a second (a struct: global functions take it by pointer). */
struct nl_low {
	__u64 bits;
};

/* The lowest rate of limit id, if lower than low->bits. */
static __always_inline void low_rate(__u32 id, struct nl_low *low)
{
	struct nl_limit *l;
	int b;

	if (!id || id == NL_NO_ID)
		return;
	l = bpf_map_lookup_elem(&nl_limits, &id);
	if (!l || !l->kind || !l->rated)
		return;
	for (b = 0; b < NL_BUCKETS; b++)
		if (l->rate[b] && l->rate[b] < low->bits)
			low->bits = l->rate[b];
}

/* The lowest rate of the limits placed on cgroup cgid. */
__noinline int nl_cg_low_rate(__u64 cgid, struct nl_low *low)
{
	struct nl_cg_limits *c;
	int k;

	if (!low)
		return 0;
	c = bpf_map_lookup_elem(&nl_cgroups, &cgid);
	if (!c)
		return 0;
	for (k = 0; k < NL_CG_LIMITS; k++)
		low_rate(c->ids[k], low);
	return 0;
}

/* The lowest rate of the limits of a 0-terminated list (a cgroup chain, a host prefix's). */
__noinline int nl_ids_low_rate(const struct nl_ids *ids, struct nl_low *low)
{
	int k;

	if (!ids || !low)
		return 0;
	for (k = 0; k < NL_SOCK_CHAIN; k++) {
		if (!ids->ids[k])
			break;
		low_rate(ids->ids[k], low);
	}
	return 0;
}

static __always_inline void slow_mss(struct bpf_sock_ops *ops, struct bpf_sock *sk,
				     struct nl_conf *c)
{
	struct bpf_sock_ops_kern *k = bpf_cast_to_kern_ctx(ops);
	struct nl_low low = { .bits = NL_SLOW_RATE_BITS };
	struct nl_host_key hk = { .prefixlen = 8 + 128 };
	struct nl_cg_chain *e;
	struct cgroup *cg, *a;
	struct nl_ids chain, *v;
	struct nl_tags *tt;
	__u16 chain16[NL_SOCK_CHAIN];
	__u32 mss, a6[4], over;
	__u64 cgid;
	int i, level;

	/*
	 * The socket's cgroup and its ancestors' (their limits cover it too):
	 * this CPU's cache of the chain, as packets use it, else a walk up.
	 */
	cg = k->sk->sk_cgrp_data.cgroup;
	e = cache_slot((__u64)(long)cg);
	if (cg && e && chain_cached(e, (__u64)(long)cg, NL_READ(c->gen), chain16, &over)) {
		widen_ids(chain16, &chain);
		nl_ids_low_rate(&chain, &low);
	} else if (cg) {
		level = cg->level;
		for (i = 0; i < NL_MAX_LEVEL; i++) {
			if (i > level)
				break;
			a = NULL;
			if (bpf_probe_read_kernel(&a, sizeof(a), &cg->ancestors[i]) || !a)
				break;
			cgid = 0;
			if (bpf_probe_read_kernel(&cgid, sizeof(cgid), &a->kn) || !cgid ||
			    bpf_probe_read_kernel(&cgid, sizeof(cgid), &((struct kernfs_node *)cgid)->id))
				break;
			nl_cg_low_rate(cgid, &low);
		}
	}
	/* Its process limits. */
	tt = bpf_sk_storage_get(&nl_sock_tags, sk, 0, 0);
	if (tt)
		for (i = 0; i < NL_TASK_TAGS; i++)
			if (tag_limit(&tt->t[i]))
				low_rate(tt->t[i].id, &low);
	/* The host limits around its remote address (connecting). */
	if (ops->op == BPF_SOCK_OPS_TCP_CONNECT_CB && NL_READ(c->nhosts)) {
		/* Context fields are read whole, not byte by byte. */
		if (ops->family == 2) {
			hk.fam = NL_FAM_V4;
			a6[0] = ops->remote_ip4;
			__builtin_memcpy(hk.addr, a6, 4);
		} else {
			hk.fam = NL_FAM_V6;
			a6[0] = ops->remote_ip6[0];
			a6[1] = ops->remote_ip6[1];
			a6[2] = ops->remote_ip6[2];
			a6[3] = ops->remote_ip6[3];
			__builtin_memcpy(hk.addr, a6, 16);
		}
		v = bpf_map_lookup_elem(&nl_hosts, &hk);
		if (v)
			nl_ids_low_rate(v, &low);
	}
	if (low.bits >= NL_SLOW_RATE_BITS)
		return;
	mss = (__u32)(low.bits / 8 * NL_SLOW_SEG_NS / 1000000000ULL);
	if (mss < NL_SLOW_MSS_MIN)
		mss = NL_SLOW_MSS_MIN;
	bpf_setsockopt(ops, NL_SOL_TCP, NL_TCP_MAXSEG, &mss, sizeof(mss));
}

/* TCP: pacing under a rate (pace), and a socket's life (tcp_open, tcp_closed). */
SEC("sockops")
int nl_tcp(struct bpf_sock_ops *ops)
{
	struct bpf_sock *sk = ops->sk;
	struct bpf_sock_ops_kern *k;
	struct nl_conf *c = conf();

	if (!c || !sk)
		return 1;
	switch (ops->op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
	case BPF_SOCK_OPS_TCP_LISTEN_CB:
		tcp_open(ops, sk, c);
		if (NL_READ(c->nslow))
			slow_mss(ops, sk, c);
		return 1;
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		tcp_open(ops, sk, c);
		shape_window(ops, sk);
		return pace(ops, sk, c);
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
		shape_window(ops, sk);
		return pace(ops, sk, c);
	case BPF_SOCK_OPS_RTT_CB:
		return pace(ops, sk, c);
	case BPF_SOCK_OPS_STATE_CB:
		if (ops->args[1] != TCP_CLOSE)
			return 1;
		k = bpf_cast_to_kern_ctx(ops);
		tcp_closed(k->sk, bpf_sk_storage_get(&nl_socks, sk, 0, 0),
			   bpf_sk_storage_get(&nl_sock_exe, sk, 0, 0),
			   bpf_sk_storage_get(&nl_sock_tags, sk, 0, 0),
			   bpf_get_socket_cookie(ops));
		return 1;
	}
	return 1;
}

/*
 * `netlimit stat`, top, inspect, audit: one record per metered socket, with
 * its remote end. The walk goes through the TCP and UDP socket tables (of
 * the reader's network namespace); the iterator over nl_socks itself would
 * reach every namespace, but kernels may refuse map-element iterators
 * (EPERM here, even to root).
 */

static __always_inline void meter_rec(struct seq_file *seq, struct sock *sk)
{
	struct nl_meter_rec r = {};
	struct nl_sk_extra *e;
	struct nl_sk_slot *sl;
	struct nl_sock *s;
	__u64 cookie;
	__u32 idx;

	s = bpf_sk_storage_get(&nl_socks, sk, 0, 0);
	if (!s)
		return;
	cookie = sk->__sk_common.skc_cookie.counter;
	if (s->cookie != cookie)
		return; /* accepted, no packet of its own metered yet */
	if (s->closed) {
		/* Only for the audit: released, its record still to come at CLOSE. */
		if (s->audit_due != 1)
			return;
		r.released = 1;
		r.m = s->life;
		goto out;
	}
	r.m = s->m;
	idx = (__u32)cookie & nl_sk_mask;
	sl = bpf_map_lookup_elem(&nl_sk_slots, &idx);
	if (sl && cookie && (sl->cookie & ~NL_SK_NOPEER) == cookie)
		meter_sum(&r.m, &sl->m);
	e = bpf_map_lookup_elem(&nl_sk_extra, &cookie);
	if (e && !e->closed_ns)
		meter_sum(&r.m, &e->m);
out:
	if (!(r.m.in_packets | r.m.out_packets))
		return;
	r.cookie = cookie;
	if (sk->sk_socket && sk->sk_socket->file)
		r.ino = sk->sk_socket->file->f_inode->i_ino;
	r.cgroup_id = s->cgroup_id;
	r.ppid = s->ppid;
	r.gid = s->gid;
	r.open_ns = s->open_ns;
	r.tgid = s->tgid;
	r.uid = s->uid;
	__builtin_memcpy(r.comm, s->comm, sizeof(r.comm));
	r.proto = sk->sk_protocol;
	r.lport = sk->__sk_common.skc_num;
	r.rport = bpf_ntohs(sk->__sk_common.skc_dport);
	if (sk->__sk_common.skc_family == 2) {
		r.fam = NL_FAM_V4;
		__builtin_memcpy(r.raddr, &sk->__sk_common.skc_daddr, 4);
		__builtin_memcpy(r.laddr, &sk->__sk_common.skc_rcv_saddr, 4);
	} else {
		r.fam = NL_FAM_V6;
		__builtin_memcpy(r.raddr, &sk->__sk_common.skc_v6_daddr, 16);
		__builtin_memcpy(r.laddr, &sk->__sk_common.skc_v6_rcv_saddr, 16);
	}
	bpf_seq_write(seq, &r, sizeof(r));
}

SEC("iter/tcp")
int nl_meter_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct tcp_sock *tp;

	if (!skc)
		return 0;
	/* Full sockets only: request and TIME_WAIT sockets have no storage. */
	tp = bpf_skc_to_tcp_sock(skc);
	if (tp)
		meter_rec(ctx->meta->seq, &tp->inet_conn.icsk_inet.sk);
	return 0;
}

SEC("iter/udp")
int nl_meter_udp(struct bpf_iter__udp *ctx)
{
	struct udp_sock *u = ctx->udp_sk;

	if (u)
		meter_rec(ctx->meta->seq, &u->inet.sk);
	return 0;
}

/* `attach --pid`: every process and its parent, to find the children it has now. */
SEC("iter/task")
int nl_task_iter(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;
	struct nl_task_rec r;

	if (!t || t->pid != t->tgid)
		return 0;
	r.pid = t->tgid;
	r.ppid = t->real_parent->tgid;
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
