/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Charging one packet to the limits that cover it: the part every dataplane
 * program shares (bpf/dataplane.bpf.c for cgroups, bpf/iface.bpf.c for
 * interfaces). Types: include/dataplane.h.
 *
 * A packet passes only if every limit covering it accepts it. Each cap is a
 * reservation: fetch-add first, compare, give the bytes back if they do not
 * fit. When one limit refuses, the reservations already made on the others
 * are given back, so a limit counts only what actually passed, and what was
 * refused is counted as dropped by the refusing limit alone. Two CPUs racing
 * can at worst both be refused near a cap, never both accepted past it.
 */
#ifndef NETLIMIT_CHARGE_H
#define NETLIMIT_CHARGE_H

#include "dataplane.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, NL_MAX_LIMITS);
	__type(key, __u32);
	__type(value, struct nl_limit);
} nl_limits SEC(".maps");

/* Every scoped limit's prefixes, keyed by the limit's id first. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, NL_MAX_LIMITS);
	__type(key, struct nl_scope_key);
	__type(value, __u8);
} nl_scopes SEC(".maps");

/*
 * What the meter and the rates keep per socket (bpf/dataplane.bpf.c). Cloned
 * into a socket a listener accepts: it gets the listener's owner (see
 * own_storage in bpf/dataplane.bpf.c).
 */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct nl_sock);
} nl_socks SEC(".maps");

/* An event ring per owner (netlimit run, a watcher), by limit id. */
struct nl_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, NL_RING_SIZE);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, NL_MAX_LIMITS);
	__type(key, __u32);
	__array(values, struct nl_ring);
} nl_rings SEC(".maps");

/*
 * Per-CPU memos are written in process context and, on the same CPU, by a
 * softirq that interrupts it: seq is odd while an entry is written, and a
 * reader that sees it odd, or moved after reading, takes the entry as a
 * miss. No atomics: only this CPU writes.
 */
#define NL_READ(x) (*(volatile typeof(x) *)&(x))
#define nl_barrier() asm volatile("" ::: "memory")

static __always_inline bool memo_begin(__u32 *seq)
{
	__u32 s = NL_READ(*seq);

	if (s & 1)
		return false;
	NL_READ(*seq) = s + 1;
	nl_barrier();
	return true;
}

static __always_inline void memo_end(__u32 *seq)
{
	nl_barrier();
	NL_READ(*seq) = NL_READ(*seq) + 1;
}

/* A reader's snapshot: 1 (never a seq value) when the entry is being written. */
static __always_inline __u32 memo_seq(__u32 *seq)
{
	__u32 s = NL_READ(*seq);

	nl_barrier();
	return s & 1 ? 1 : s;
}

static __always_inline bool memo_still(__u32 *seq, __u32 s)
{
	nl_barrier();
	return s != 1 && NL_READ(*seq) == s;
}

/*
 * Per CPU, the verdicts of scoped limits on the remote addresses seen
 * lately (slot: address and limit id folded): a hit saves the LPM lookup.
 * A limit's prefixes never change while it lives; gen tells a reused slot.
 */
struct nl_scope_memo {
	__u32 a[4];
	__u32 id;
	__u32 gen;
	__u32 fam;
	__u32 match;
	__u32 seq;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NL_SCOPE_MEMO);
	__type(key, __u32);
	__type(value, struct nl_scope_memo);
} nl_scope_memo SEC(".maps");

/* What the programs learn about a packet, read once and only when needed. */
struct nl_pkt {
	__u32 a[4]; /* remote address (IPv4 in a[0]) */
	__u32 fam;  /* NL_FAM_V4 or NL_FAM_V6 */
	__u64 l3_len;
	__u64 wire_len;
	__u64 used, cap; /* what the refusing cap had, and was */
	__u32 hdr;	 /* IP + TCP/UDP header bytes each GSO segment repeats */
	int parsed;	 /* 0 not yet, 1 ok, -1 not IPv4/IPv6 */
	__u32 rport;	 /* remote TCP/UDP port, host order (0: none) */
};

/* Tell the limit's owner once per arming that a cap refused a packet. */
static __noinline void notify(struct nl_limit *l, __u32 bit, __u64 used, __u64 cap)
{
	struct nl_event *e;
	__u32 id = l->id;
	void *rb;

	if (__sync_fetch_and_or(&l->hit, bit) & bit)
		return;
	rb = bpf_map_lookup_elem(&nl_rings, &id);
	if (!rb)
		return; /* nobody waits for it: `list` shows the state */
	e = bpf_ringbuf_reserve(rb, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&l->events_lost, 1);
		return;
	}
	e->id = id;
	e->hit = bit;
	e->used = used;
	e->cap = cap;
	e->ts_ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(e, 0);
}

/*
 * Read the IP header at l3 (and the TCP/UDP header length): the remote
 * address, the header bytes each GSO segment repeats for wire counts.
 */
static __always_inline void parse(struct __sk_buff *skb, const __u32 l3, const int dir,
				  struct nl_pkt *p)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u8 *h = data + l3, proto, *t;
	__u32 iphl;

	p->parsed = -1;
	p->rport = 0;
	if ((void *)(h + 1) > end)
		return;
	if ((h[0] >> 4) == 4) {
		struct iphdr *ip = (void *)h;

		if ((void *)(ip + 1) > end)
			return;
		iphl = ip->ihl * 4;
		proto = ip->protocol;
		p->fam = NL_FAM_V4;
		p->a[0] = dir == NL_OUT ? ip->daddr : ip->saddr;
		p->a[1] = p->a[2] = p->a[3] = 0;
	} else if ((h[0] >> 4) == 6) {
		struct ipv6hdr *ip6 = (void *)h;

		if ((void *)(ip6 + 1) > end)
			return;
		iphl = sizeof(*ip6);
		proto = ip6->nexthdr;
		p->fam = NL_FAM_V6;
		__builtin_memcpy(p->a, dir == NL_OUT ? &ip6->daddr : &ip6->saddr, 16);
	} else {
		return;
	}
	p->parsed = 1;
	p->hdr = iphl;
	if (iphl > 60)
		return;
	t = h + iphl;
	if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP) && (void *)(t + 4) <= end)
		p->rport = dir == NL_OUT ? (__u32)t[2] << 8 | t[3] : (__u32)t[0] << 8 | t[1];
	if (proto == IPPROTO_TCP && (void *)(t + 13) <= end)
		p->hdr += (t[12] >> 4) * 4;
	else if (proto == IPPROTO_UDP)
		p->hdr += 8;
}

static __always_inline bool addr_eq(const __u32 *x, const __u32 *y)
{
	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]));
}

/* A memo slot for an address (and a limit id): its words folded, no loop. */
static __always_inline __u32 addr_slot(const struct nl_pkt *p, __u32 salt, __u32 size)
{
	return (p->a[0] ^ p->a[1] ^ p->a[2] ^ p->a[3] ^ (salt * 0x9e3779b1U)) & (size - 1);
}

/*
 * Whether a scoped limit counts this packet: this CPU's memo of the limit's
 * verdict on the remote address, else one LPM lookup (remembered).
 */
static __always_inline bool in_scope(struct __sk_buff *skb, struct nl_limit *l, __u32 id,
				     const __u32 l3, const int dir, struct nl_pkt *p)
{
	struct nl_scope_key k;
	struct nl_scope_memo *e;
	__u32 idx, seq, gen = l->gen;
	bool match;

	if (!p->parsed)
		parse(skb, l3, dir, p);
	if (p->parsed < 0)
		return l->scope != NL_SCOPE_ONLY;
	idx = addr_slot(p, id, NL_SCOPE_MEMO);
	e = bpf_map_lookup_elem(&nl_scope_memo, &idx);
	if (!e)
		return false;
	seq = memo_seq(&e->seq);
	if (e->id == id && e->gen == gen && e->fam == p->fam && addr_eq(e->a, p->a)) {
		match = e->match;
		if (memo_still(&e->seq, seq))
			return match == (l->scope == NL_SCOPE_ONLY);
	}
	k.prefixlen = 32 + 8 + 128;
	k.id = bpf_htonl(id);
	k.fam = (__u8)p->fam;
	__builtin_memcpy(k.addr, p->a, 16);
	match = bpf_map_lookup_elem(&nl_scopes, &k);
	if (memo_begin(&e->seq)) {
		__builtin_memcpy(e->a, p->a, sizeof(e->a));
		e->id = id;
		e->gen = gen;
		e->fam = p->fam;
		e->match = match;
		memo_end(&e->seq);
	}
	return match == (l->scope == NL_SCOPE_ONLY);
}

/* The bytes a limit counts: IP bytes, or wire bytes as the link carries them. */
static __always_inline __u64 charge_len(struct __sk_buff *skb, struct nl_limit *l, const __u32 l3,
					const int dir, struct nl_pkt *p)
{
	__u64 segs;

	if (!l->wire)
		return p->l3_len;
	if (p->wire_len)
		return p->wire_len;
	segs = skb->gso_segs > 1 ? skb->gso_segs : 1;
	p->wire_len = p->l3_len + segs * l->link_hlen;
	/* Each GSO segment repeats the headers: read them only for those. */
	if (segs > 1) {
		if (!p->parsed)
			parse(skb, l3, dir, p);
		if (p->parsed > 0)
			p->wire_len += (segs - 1) * p->hdr;
	}
	return p->wire_len;
}

/*
 * Reserve len on l in direction dir: 0 if it fits, else the nl_hit bit of
 * the cap that refused (the reservation is then already given back).
 */
static __always_inline __u32 reserve(struct nl_limit *l, const int dir, __u64 len, __u64 *used,
				     __u64 *cap)
{
	struct nl_usage *u = dir == NL_IN ? &l->in : &l->out;
	struct nl_usage *other = dir == NL_IN ? &l->out : &l->in;
	__u64 old, c = dir == NL_IN ? l->cap_in : l->cap_out;

	old = __sync_fetch_and_add(&u->bytes, len);
	if (old + len > c) {
		__sync_fetch_and_add(&u->bytes, -len);
		*used = old;
		*cap = c;
		return dir == NL_IN ? NL_HIT_IN : NL_HIT_OUT;
	}
	/*
	 * The total cap needs no counter of its own: BPF's fetch-add is fully
	 * ordered, so of two packets racing in opposite directions at least
	 * one reads the other's bytes, and they cannot both pass the cap.
	 */
	c = l->cap_total;
	if (c != NL_UNLIMITED) {
		old += *(volatile __u64 *)&other->bytes;
		if (old + len > c) {
			__sync_fetch_and_add(&u->bytes, -len);
			*used = old;
			*cap = c;
			return NL_HIT_TOTAL;
		}
	}
	return 0;
}

/* how: enum nl_dir | NL_HOW_CG | l3 offset << 8 */
#define NL_HOW_CG 2

/*
 * Take len bytes from a token bucket kept as its theoretical arrival time
 * (GCRA): the packet passes if the bucket, caught up to now, is less than
 * burst_ns ahead of now after paying for it, or is not ahead at all (a packet
 * larger than the burst, a GSO one, passes on a full bucket). Over any span
 * T a bucket passes at most rate * T + burst + one packet. Two CPUs race
 * through a compare-and-swap; a CPU that keeps losing holds the packet back,
 * never lets it through unpaid.
 */
static __always_inline bool police(__u64 *tat, __u64 mult, __u64 burst_ns, __u64 len, __u64 now)
{
	__u64 cost = (len * mult) >> NL_RATE_SHIFT, slack, t, base;
	int i;

	slack = burst_ns > cost ? burst_ns - cost : 0;
	for (i = 0; i < 3; i++) {
		t = NL_READ(*tat);
		base = t > now ? t : now;
		if (base - now > slack)
			return false;
		if (__sync_val_compare_and_swap(tat, t, base + cost) == t)
			return true;
	}
	return false;
}

/* A bucket's time back for a packet another limit refused (approximate when it idled between). */
static __always_inline void unpolice(__u64 *tat, __u64 mult, __u64 len)
{
	if (mult)
		__sync_fetch_and_add(tat, -((len * mult) >> NL_RATE_SHIFT));
}

/*
 * TCP runs ahead of a bucket by up to its rate_debt_ns (50 ms, or two 64 KiB
 * packets at the rate if longer): TCP sends a refused packet again only on
 * the next ACK, or after 200 ms when none is in flight, so refusing it costs
 * far more than the packet. Pacing (nl_tcp in bpf/dataplane.bpf.c) brings
 * the bucket back; over any span the excess stays within the debt.
 * A TCP socket sending under limit l's egress, total or throttle rate is
 * marked to be paced by it, and any socket receiving under its in-rate to
 * be shaped by it (bpf/shaper.bpf.c): the first such limit it meets.
 * Returns whether the packet is TCP.
 */
static __always_inline bool rate_mark(struct __sk_buff *skb, struct nl_limit *l, __u32 id,
				      const int dir)
{
	struct bpf_sock *sk = skb->sk;
	struct nl_sock *s;
	bool tcp;

	if (sk)
		sk = bpf_sk_fullsock(sk);
	if (!sk)
		return false;
	tcp = sk->protocol == IPPROTO_TCP;
	if (dir == NL_IN) {
		if (!l->rate_mult[NL_B_IN])
			return tcp;
	} else if (!tcp || !(l->rate_mult[NL_B_OUT] | l->rate_mult[NL_B_TOTAL] |
			     (l->hit ? l->rate_mult[NL_B_THROTTLE] : 0))) {
		return tcp;
	}
	s = bpf_sk_storage_get(&nl_socks, sk, 0, 0);
	if (!s)
		return tcp;
	if (dir == NL_IN) {
		if (!s->shape_id)
			s->shape_id = id;
	} else if (!s->rate_id) {
		s->rate_id = id;
	}
	return tcp;
}

/*
 * TCP flows paced together run in and out of step: each may be a packet or
 * two ahead at once, so the debt grows with the flows heard from (up to
 * NL_DEBT_FLOWS times).
 */
#define NL_DEBT_FLOWS 4
static __always_inline __u64 tcp_flows(const struct nl_limit *l)
{
	__u32 n = NL_READ(l->pacer.flows);

	return n < 1 ? 1 : n > NL_DEBT_FLOWS ? NL_DEBT_FLOWS : n;
}

/*
 * The rates of l in direction dir, and both directions' together: true if
 * they pass len (shaped: the in-rate's shaper class let it through).
 */
static __always_inline bool police_rates(struct nl_limit *l, const int dir, __u64 len, __u64 now,
					 bool tcp, bool shaped)
{
	const int b = dir == NL_IN ? NL_B_IN : NL_B_OUT;
	__u64 *tat = dir == NL_IN ? &l->tat_in : &l->tat_out;
	/* Shaped to the in-rate already: only the total rate is left to police. */
	__u64 m = shaped ? 0 : l->rate_mult[b], mt = l->rate_mult[NL_B_TOTAL];
	__u64 f = tcp ? tcp_flows(l) : 0;

	if (m && !police(tat, m, l->rate_burst_ns[b] + f * l->rate_debt_ns[b], len, now))
		return false;
	if (mt && !police(&l->tat_total, mt,
			  l->rate_burst_ns[NL_B_TOTAL] + f * l->rate_debt_ns[NL_B_TOTAL], len, now)) {
		unpolice(tat, m, len);
		return false;
	}
	return true;
}

/* Whether limit l counts this packet at all, and how many bytes. */
static __always_inline bool counts(struct __sk_buff *skb, struct nl_limit *l, __u32 id, __u32 how,
				   struct nl_pkt *p, __u64 *len)
{
	const int dir = how & 1;
	const __u32 l3 = (how >> 8) & 0x7f; /* bounded: packet offsets must be */

	if (!l->kind)
		return false;
	if (l->scope != NL_SCOPE_ALL && !in_scope(skb, l, id, l3, dir, p))
		return false;
	if ((how & NL_HOW_CG) && l->cg_level &&
	    bpf_skb_ancestor_cgroup_id(skb, (int)l->cg_level) != l->cgroup_id)
		return false;
	*len = charge_len(skb, l, l3, dir, p);
	return true;
}

/*
 * The slow cases (below) are global functions: the verifier checks each
 * once, not once per limit of the chain and per path through the others.
 */

/* Charge limit id for a packet the fast path could not: 0 passed or not counted, else the nl_hit
 * bit. */
__noinline int nl_charge_slow(struct __sk_buff *skb, __u32 id, __u32 how, struct nl_pkt *p)
{
	struct nl_limit *l;
	struct nl_usage *u;
	__u64 len = 0, now = 0;
	bool tcp = false;
	__u32 bit;

	if (!skb || !p)
		return 0;
	l = bpf_map_lookup_elem(&nl_limits, &id);
	if (!l || !counts(skb, l, id, how, p, &len))
		return 0;
	u = (how & 1) == NL_IN ? &l->in : &l->out;
	bit = reserve(l, how & 1, len, &p->used, &p->cap);
	if (bit && !(l->rated & NL_THROTTLED))
		return (int)bit;
	if (l->rated) {
		now = bpf_ktime_get_ns();
		tcp = rate_mark(skb, l, id, how & 1);
	}
	if (bit) {
		/* Past the cap of a throttled limit: counted, and let through at its rate. */
		__sync_fetch_and_add(&u->bytes, len);
		notify(l, bit, p->used, p->cap);
		if (!police(&l->tat_throttle, l->rate_mult[NL_B_THROTTLE],
			    l->rate_burst_ns[NL_B_THROTTLE] +
				    (tcp ? tcp_flows(l) * l->rate_debt_ns[NL_B_THROTTLE] : 0),
			    len, now)) {
			__sync_fetch_and_add(&u->bytes, -len);
			return NL_HELD;
		}
	}
	if (l->rated & NL_RATED) {
		bool shaped = false;

		if ((how & 1) == NL_IN && skb->mark == (NL_SHAPED_TAG | id)) {
			skb->mark = 0;
			shaped = true;
		}
		if (!police_rates(l, how & 1, len, now, tcp, shaped)) {
			if (bit)
				unpolice(&l->tat_throttle, l->rate_mult[NL_B_THROTTLE], len);
			__sync_fetch_and_add(&u->bytes, -len);
			return NL_HELD;
		}
	}
	__sync_fetch_and_add(&u->packets, 1);
	return 0;
}

/*
 * After a refusal, limit id settles the packet: the refusing limit (bit, the
 * cap that refused) counts it as dropped and tells its owner; one that had
 * accepted it (bit 0) gives its bytes and packet back.
 */
__noinline int nl_charge_back(struct __sk_buff *skb, __u32 id, __u32 how, __u32 bit,
			      struct nl_pkt *p)
{
	struct nl_limit *l;
	struct nl_usage *u;
	__u64 len = 0;

	if (!skb || !p)
		return 0;
	l = bpf_map_lookup_elem(&nl_limits, &id);
	if (!l || !counts(skb, l, id, how, p, &len))
		return 0;
	u = (how & 1) == NL_IN ? &l->in : &l->out;
	if (!bit) {
		__sync_fetch_and_add(&u->bytes, -len);
		__sync_fetch_and_add(&u->packets, -1);
		if (l->rated & NL_RATED) {
			unpolice((how & 1) == NL_IN ? &l->tat_in : &l->tat_out,
				 l->rate_mult[(how & 1) == NL_IN ? NL_B_IN : NL_B_OUT], len);
			unpolice(&l->tat_total, l->rate_mult[NL_B_TOTAL], len);
		}
		return 0;
	}
	if (bit == NL_HELD) {
		__sync_fetch_and_add(&u->held_bytes, len);
		__sync_fetch_and_add(&u->held_packets, 1);
		return 0;
	}
	__sync_fetch_and_add(&u->drop_bytes, len);
	__sync_fetch_and_add(&u->drop_packets, 1);
	notify(l, bit, p->used, p->cap);
	return 0;
}

/* A fresh packet description: nothing parsed yet. */
static __always_inline void pkt_init(struct nl_pkt *p, struct __sk_buff *skb, const __u32 l3)
{
	__builtin_memset(p, 0, sizeof(*p));
	p->l3_len = skb->len - l3;
}

/* The packet description, filled on first need: the fast path does without. */
struct nl_lazy {
	struct nl_pkt p;
	bool ready;
};

static __always_inline struct nl_pkt *pkt(struct nl_lazy *z, struct __sk_buff *skb, const __u32 l3)
{
	if (!z->ready) {
		pkt_init(&z->p, skb, l3);
		z->ready = true;
	}
	return &z->p;
}

/*
 * The common limit's charge (no scope, IP bytes, any cgroup, no rate): one
 * cache line, the direction's nl_usage, whose gate is its cap (0: not a
 * common limit, or a cap of 0). A fetch-add and a compare; a total cap also
 * reads the other direction's bytes. 0 if it fits, else the nl_hit bit (the
 * reservation is then already given back).
 */
static __always_inline __u32 reserve_fast(struct nl_usage *u, struct nl_usage *other, __u64 gate,
					  const int dir, __u64 len, __u64 *used, __u64 *cap)
{
	__u64 old = __sync_fetch_and_add(&u->bytes, len), t;

	if (old + len > gate) {
		__sync_fetch_and_add(&u->bytes, -len);
		*used = old;
		*cap = gate;
		return dir == NL_IN ? NL_HIT_IN : NL_HIT_OUT;
	}
	t = NL_READ(u->total);
	if (t != NL_UNLIMITED) {
		old += NL_READ(other->bytes);
		if (old + len > t) {
			__sync_fetch_and_add(&u->bytes, -len);
			*used = old;
			*cap = t;
			return NL_HIT_TOTAL;
		}
	}
	__sync_fetch_and_add(&u->packets, 1);
	return 0;
}

/*
 * Charge the packet to ids[0..] up to the first 0 (at most n; 16-bit ids if
 * narrow, as the cgroup chain cache holds them): 0 if all of them accept
 * it, else the index + 1 of the one that refused. The common limit is
 * charged inline (reserve_fast); the others, and refusals, in global
 * functions. Bytes and packet are counted at once; a refusal gives them
 * back (nl_charge_back).
 */
static __always_inline __u32 charge_list(struct __sk_buff *skb, const void *ids, const bool narrow,
					 const __u32 n, const __u32 how, struct nl_lazy *z)
{
	const int dir = how & 1;
	const __u32 l3 = how >> 8;
	__u64 used = 0, cap = 0, gate;
	struct nl_limit *l;
	__u32 i, id, bit;

	for (i = 0; i < n; i++) {
		id = narrow ? ((const __u16 *)ids)[i] : ((const __u32 *)ids)[i];
		if (!id)
			break;
		l = bpf_map_lookup_elem(&nl_limits, &id);
		if (!l)
			continue;
		gate = NL_READ(*(dir == NL_IN ? &l->in.gate : &l->out.gate));
		if (gate) {
			bit = reserve_fast(dir == NL_IN ? &l->in : &l->out,
					   dir == NL_IN ? &l->out : &l->in, gate, dir, skb->len - l3,
					   &used, &cap);
			if (!bit)
				continue;
			pkt(z, skb, l3);
			z->p.used = used;
			z->p.cap = cap;
		} else if (!l->kind) {
			continue;
		} else {
			/* A scope, wire bytes, a subtree, a rate, or a cap of 0. */
			bit = nl_charge_slow(skb, id, how, pkt(z, skb, l3));
			if (!bit)
				continue;
		}
		nl_charge_back(skb, id, how, bit, pkt(z, skb, l3));
		return i + 1;
	}
	return 0;
}

#endif /* NETLIMIT_CHARGE_H */
