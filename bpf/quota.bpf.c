// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Kernel side of a limit: counts every packet of the cgroup it is attached to
 * and refuses, whole, any packet that would take a direction or the total past
 * its cap. Userland half: user/quota.c; shared types: include/quota.h.
 *
 * Hot path: one inlined array lookup (no helper call, no hashing) and two
 * atomic adds per accepted packet, on a cache line of the packet's direction.
 * A cap is a reservation: fetch-add first, compare, give the bytes back if
 * they do not fit. Two CPUs racing can at worst both be refused near the cap,
 * never both accepted past it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "quota.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nl_limit);
} nl_limit SEC(".maps");

/* Load-time settings: the verifier removes what a limit does not use. */
const volatile __u32 nl_scope_mode = NL_SCOPE_ALL;
const volatile __u32 nl_wire = 0;
/* Link header: what tc programs skip to reach L3, and what wire counts add. */
const volatile __u32 nl_link_hlen = 14;

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 256);
	__type(key, struct nl_scope_key);
	__type(value, __u8);
} nl_scope SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} nl_events SEC(".maps");

/*
 * Limits on running processes (NL_KIND_PID) do not move them: the processes
 * are tagged in nl_tasks (their thread-group leader; threads share it), their
 * children are tagged at fork, their sockets in nl_socks at creation (and the
 * ones already open by userland), and only tagged sockets are counted.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
} nl_tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
} nl_socks SEC(".maps");

/* Tell userland once per arming that a cap refused a packet. */
static __noinline void notify(struct nl_limit *l, __u32 bit, __u64 used, __u64 cap)
{
	struct nl_event *e;

	if (__sync_fetch_and_or(&l->hit, bit) & bit)
		return;
	e = bpf_ringbuf_reserve(&nl_events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&l->events_lost, 1);
		return;
	}
	e->id = l->id;
	e->hit = bit;
	e->used = used;
	e->cap = cap;
	e->ts_ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(e, 0);
}

/*
 * Read the IP header at l3 (and the TCP/UDP header length): the remote
 * address for scoping, the header bytes each GSO segment repeats for wire
 * counts. Returns -1 for what is not IPv4/IPv6 or too short to read.
 */
static __always_inline int parse(struct __sk_buff *skb, const __u32 l3, const int dir,
				 struct nl_scope_key *k, __u32 *hdr)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u8 *p = data + l3, proto, *t;
	__u32 iphl;

	if ((void *)(p + 1) > end)
		return -1;
	if ((p[0] >> 4) == 4) {
		struct iphdr *ip = (void *)p;

		if ((void *)(ip + 1) > end)
			return -1;
		iphl = ip->ihl * 4;
		proto = ip->protocol;
		__builtin_memset(k->addr, 0, 10);
		k->addr[10] = k->addr[11] = 0xff;
		__builtin_memcpy(&k->addr[12], dir == NL_OUT ? &ip->daddr : &ip->saddr, 4);
	} else if ((p[0] >> 4) == 6) {
		struct ipv6hdr *ip6 = (void *)p;

		if ((void *)(ip6 + 1) > end)
			return -1;
		iphl = sizeof(*ip6);
		proto = ip6->nexthdr;
		__builtin_memcpy(k->addr, dir == NL_OUT ? &ip6->daddr : &ip6->saddr, 16);
	} else {
		return -1;
	}
	k->prefixlen = 128;
	*hdr = iphl;
	if (iphl > 60)
		return 0;
	t = p + iphl;
	if (proto == IPPROTO_TCP && (void *)(t + 13) <= end)
		*hdr += (t[12] >> 4) * 4;
	else if (proto == IPPROTO_UDP)
		*hdr += 8;
	return 0;
}

/* Count one packet whose IP header starts at l3; true if it may pass. */
static __always_inline bool account(struct __sk_buff *skb, const int dir, const __u32 l3)
{
	struct nl_scope_key k;
	struct nl_usage *u, *other;
	struct nl_limit *l;
	__u64 len, cap, old;
	__u32 key = 0, bit, hdr = 0;
	int parsed = -1;

	/* Headers are read only where they matter: a scope, or a GSO packet's segments. */
	if (nl_scope_mode != NL_SCOPE_ALL || (nl_wire && skb->gso_segs > 1))
		parsed = parse(skb, l3, dir, &k, &hdr);
	if (nl_scope_mode != NL_SCOPE_ALL) {
		bool match = !parsed && bpf_map_lookup_elem(&nl_scope, &k);

		if (match != (nl_scope_mode == NL_SCOPE_ONLY))
			return true; /* not this limit's traffic */
	}
	l = bpf_map_lookup_elem(&nl_limit, &key);
	if (!l)
		return true;
	u = dir == NL_IN ? &l->in : &l->out;
	other = dir == NL_IN ? &l->out : &l->in;
	cap = dir == NL_IN ? l->cap_in : l->cap_out;
	len = skb->len - l3;
	if (nl_wire) {
		/* Each GSO segment repeats the headers and gets a link header. */
		__u64 segs = skb->gso_segs > 1 ? skb->gso_segs : 1;

		if (!parsed)
			len += (segs - 1) * hdr;
		len += segs * nl_link_hlen;
	}

	old = __sync_fetch_and_add(&u->bytes, len);
	if (old + len > cap) {
		bit = dir == NL_IN ? NL_HIT_IN : NL_HIT_OUT;
		goto refuse;
	}
	/*
	 * The total cap needs no counter of its own: BPF's fetch-add is fully
	 * ordered, so of two packets racing in opposite directions at least
	 * one reads the other's bytes, and they cannot both pass the cap.
	 */
	cap = l->cap_total;
	if (cap != NL_UNLIMITED) {
		old += *(volatile __u64 *)&other->bytes;
		if (old + len > cap) {
			bit = NL_HIT_TOTAL;
			goto refuse;
		}
	}
	__sync_fetch_and_add(&u->packets, 1);
	return true;

refuse:
	__sync_fetch_and_add(&u->bytes, -len);
	__sync_fetch_and_add(&u->drop_bytes, len);
	__sync_fetch_and_add(&u->drop_packets, 1);
	notify(l, bit, old, cap);
	return false;
}

/*
 * cgroup_skb sees the packet from its IP header. Egress 2 = drop + congestion
 * notification: TCP backs off, a UDP sender sees a lost datagram, not an
 * error. Ingress allows 0 only.
 */
SEC("cgroup_skb/ingress")
int nl_ingress(struct __sk_buff *skb)
{
	return account(skb, NL_IN, 0) ? 1 : 0;
}

SEC("cgroup_skb/egress")
int nl_egress(struct __sk_buff *skb)
{
	return account(skb, NL_OUT, 0) ? 1 : 2;
}

/* On an interface (tcx): the packet starts with its link header. */
#define TCX_NEXT -1
#define TCX_DROP 2

SEC("tc")
int nl_tc_ingress(struct __sk_buff *skb)
{
	return account(skb, NL_IN, nl_link_hlen) ? TCX_NEXT : TCX_DROP;
}

SEC("tc")
int nl_tc_egress(struct __sk_buff *skb)
{
	return account(skb, NL_OUT, nl_link_hlen) ? TCX_NEXT : TCX_DROP;
}

static __always_inline bool tagged_socket(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;

	if (!sk)
		return false;
	sk = bpf_sk_fullsock(sk);
	if (!sk)
		return false;
	return bpf_sk_storage_get(&nl_socks, sk, 0, 0);
}

SEC("cgroup_skb/ingress")
int nl_pid_ingress(struct __sk_buff *skb)
{
	return !tagged_socket(skb) || account(skb, NL_IN, 0) ? 1 : 0;
}

SEC("cgroup_skb/egress")
int nl_pid_egress(struct __sk_buff *skb)
{
	return !tagged_socket(skb) || account(skb, NL_OUT, 0) ? 1 : 2;
}

/* A socket created by a tagged process is the limit's from its first packet. */
SEC("cgroup/sock_create")
int nl_sock_create(struct bpf_sock *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();

	if (bpf_task_storage_get(&nl_tasks, t->group_leader, 0, 0))
		bpf_sk_storage_get(&nl_socks, ctx, 0, BPF_SK_STORAGE_GET_F_CREATE);
	return 1;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(nl_fork, struct task_struct *parent, struct task_struct *child)
{
	struct nl_limit *l;
	__u32 key = 0;

	/* A new thread shares its leader's tag; a new process gets its own. */
	if (child->pid != child->tgid)
		return 0;
	if (!bpf_task_storage_get(&nl_tasks, parent->group_leader, 0, 0))
		return 0;
	if (!bpf_task_storage_get(&nl_tasks, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE))
		return 0;
	l = bpf_map_lookup_elem(&nl_limit, &key);
	if (l)
		__sync_fetch_and_add(&l->tasks, 1);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(nl_exit, struct task_struct *t)
{
	struct nl_limit *l;
	__u32 key = 0;

	if (t->pid != t->tgid || !bpf_task_storage_get(&nl_tasks, t, 0, 0))
		return 0;
	bpf_task_storage_delete(&nl_tasks, t);
	l = bpf_map_lookup_elem(&nl_limit, &key);
	if (l)
		__sync_fetch_and_add(&l->tasks, -1);
	return 0;
}

/*
 * A tagged TCP socket outlives its process as an orphan that still sends: the
 * limit counts them, and is not collected while one is open.
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(nl_sock_state, struct sock *sk, int oldstate, int newstate)
{
	struct nl_limit *l;
	__u32 key = 0;

	if (oldstate != TCP_CLOSE && newstate != TCP_CLOSE)
		return 0;
	if (sk->sk_protocol != IPPROTO_TCP || !bpf_sk_storage_get(&nl_socks, sk, 0, 0))
		return 0;
	l = bpf_map_lookup_elem(&nl_limit, &key);
	if (l)
		__sync_fetch_and_add(&l->socks, newstate == TCP_CLOSE ? -1 : 1);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
