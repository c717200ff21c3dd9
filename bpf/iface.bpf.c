// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * An interface limit: tc programs (tcx links) on one interface, charging
 * everything that crosses it to one limit of the dataplane. Loaded once per
 * limited interface, with the dataplane's maps (nl_limits, nl_scopes,
 * nl_rings) reused, so counts, caps and events live where every other
 * limit's do. User side: user/iface.c and user/limit.c; charging:
 * bpf/charge.h; types: include/dataplane.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "charge.h"

/* The limit this instance charges, and the link header it skips to reach L3. */
const volatile __u32 nl_iface_id = 0;
const volatile __u32 nl_link_hlen = 14;

#define TCX_NEXT -1
#define TCX_DROP 2

static __always_inline bool iface_charge(struct __sk_buff *skb, const int dir)
{
	const __u32 ids[1] = { nl_iface_id };
	struct nl_lazy z = { .ready = false };

	return !charge_list(skb, ids, false, 1, dir | (nl_link_hlen & 0x7f) << 8, &z);
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
