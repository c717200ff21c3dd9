// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Interface limits: one pair of tc programs, loaded once beside the
 * dataplane and linked (tcx) to every limited interface. A packet's
 * interface, in its network namespace, names its limit in nl_iface_slots
 * (or, past a slot another interface holds, in nl_ifaces); the
 * dataplane's maps (nl_limits, nl_scopes, nl_rings) are reused, so counts,
 * caps and events live where every other limit's do. User side:
 * user/iface.c, user/limit.c and user/dataplane.c; charging: bpf/charge.h;
 * types: include/dataplane.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "charge.h"

#define TCX_NEXT -1
#define TCX_DROP 2

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NL_IFACE_SLOTS);
	__type(key, __u32);
	__type(value, struct nl_iface_slot);
} nl_iface_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NL_MAX_IFACES);
	__type(key, struct nl_iface_key);
	__type(value, struct nl_iface_ref);
} nl_ifaces SEC(".maps");

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

static __always_inline bool iface_charge(struct __sk_buff *skb, const int dir)
{
	struct net_device *dev = ((struct sk_buff *)bpf_cast_to_kern_ctx(skb))->dev;
	struct nl_iface_key k = { .ifindex = dev->ifindex, .netns = dev->nd_net.net->ns.inum };
	struct nl_lazy z = { .ready = false };
	struct nl_iface_slot *s;
	struct nl_iface_ref *r;
	__u32 ids[1], hlen, idx;

	idx = nl_iface_fold(k.ifindex, k.netns);
	s = bpf_map_lookup_elem(&nl_iface_slots, &idx);
	if (!s)
		return true;
	if (s->ifindex == k.ifindex && s->netns == k.netns) {
		ids[0] = s->id;
		hlen = s->link_hlen;
	} else if (s->more && (r = bpf_map_lookup_elem(&nl_ifaces, &k))) {
		ids[0] = r->id;
		hlen = r->link_hlen;
	} else {
		return true; /* linked, but its limit is going: nothing to charge */
	}
	return !charge_list(skb, ids, false, 1, dir | (hlen & 0x7f) << 8, &z);
}

SEC("tc")
int nl_tc_ingress(struct __sk_buff *skb)
{
	/* Back from the shaper (bpf/shaper.bpf.c): counted on its first way in. */
	if ((skb->mark & NL_SHAPED_MASK) == NL_SHAPED_TAG)
		return TCX_NEXT;
	return iface_charge(skb, NL_IN) ? TCX_NEXT : TCX_DROP;
}

SEC("tc")
int nl_tc_egress(struct __sk_buff *skb)
{
	return iface_charge(skb, NL_OUT) ? TCX_NEXT : TCX_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
