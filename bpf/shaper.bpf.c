// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Receive-side shaping of --in-rate. A cgroup program can only pass or drop
 * what a socket receives, and TCP answers drops with retransmissions far
 * below the rate; this kernel has no ifb to queue received traffic. So:
 *   nl_shape_in, on the ingress of every interface of the shaper's network
 *   namespace, finds the receiving socket; if the dataplane marked it with
 *   an in-rated limit (nl_sock.shape_id, bpf/charge.h rate_mark), the packet
 *   goes out of nlshape0 in that limit's HTB class (NL_SHAPE_MAJOR:id),
 *   which holds it to the rate;
 *   nl_shape_back, on the ingress of nlshape0's peer nlshape1, sends it
 *   back into the interface it came in on, marked NL_SHAPED_TAG | id.
 * Its second way in passes here (marked) and the limit's in-rate does not
 * police it again. User side: user/shaper.c; types: include/dataplane.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "charge.h"

/* nlshape0, where classes hold packets; the link header this instance's interface has. */
const volatile __u32 nl_shape_dev = 0;
const volatile __u32 nl_shape_hlen = 14;

#define TC_ACT_OK 0
#define TC_ACT_SHOT 2
#define NL_ETH_P_IP 0x0800
#define NL_ETH_P_IPV6 0x86DD
/* In the control block beside the way back: this came from nl_shape_in. */
#define NL_SHAPE_CB_MAGIC 0x4e4c5348U

/* The limit whose in-rate shapes what this packet's socket receives, or 0. */
static __always_inline __u32 shaping_limit(struct __sk_buff *skb)
{
	struct bpf_sock_tuple t = {};
	const __u32 h = nl_shape_hlen & 0x7f;
	struct bpf_sock *sk;
	struct nl_limit *l;
	struct nl_sock *s;
	__u32 size, id = 0;
	__u16 ports[2];
	__u8 proto;
	int off;

	if (skb->protocol == bpf_htons(NL_ETH_P_IP)) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, h, &ip, sizeof(ip)) || ip.ihl < 5 ||
		    (ip.frag_off & bpf_htons(0x3fff)))
			return 0;
		proto = ip.protocol;
		off = h + ip.ihl * 4;
		t.ipv4.saddr = ip.saddr;
		t.ipv4.daddr = ip.daddr;
		size = sizeof(t.ipv4);
	} else if (skb->protocol == bpf_htons(NL_ETH_P_IPV6)) {
		struct ipv6hdr ip6;

		/* Extension headers: not shaped (policed as before). */
		if (bpf_skb_load_bytes(skb, h, &ip6, sizeof(ip6)))
			return 0;
		proto = ip6.nexthdr;
		off = h + sizeof(ip6);
		__builtin_memcpy(t.ipv6.saddr, &ip6.saddr, 16);
		__builtin_memcpy(t.ipv6.daddr, &ip6.daddr, 16);
		size = sizeof(t.ipv6);
	} else {
		return 0;
	}
	if ((proto != IPPROTO_TCP && proto != IPPROTO_UDP) ||
	    bpf_skb_load_bytes(skb, off, ports, sizeof(ports)))
		return 0;
	if (size == sizeof(t.ipv4)) {
		t.ipv4.sport = ports[0];
		t.ipv4.dport = ports[1];
	} else {
		t.ipv6.sport = ports[0];
		t.ipv6.dport = ports[1];
	}
	if (proto == IPPROTO_TCP)
		sk = bpf_sk_lookup_tcp(skb, &t, size, BPF_F_CURRENT_NETNS, 0);
	else
		sk = bpf_sk_lookup_udp(skb, &t, size, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return 0;
	s = bpf_sk_storage_get(&nl_socks, sk, 0, 0);
	if (s && s->shape_id) {
		id = s->shape_id;
		l = bpf_map_lookup_elem(&nl_limits, &id);
		if (!l || !l->kind || !l->rate_mult[NL_B_IN]) {
			/* Its limit, or the limit's in-rate, went: unshaped from now on. */
			s->shape_id = 0;
			id = 0;
		}
	}
	bpf_sk_release(sk);
	return id;
}

SEC("tc")
int nl_shape_in(struct __sk_buff *skb)
{
	__u32 id;

	/* Marked: on its way back from the shaper, or by someone else (not ours to queue). */
	if (skb->mark)
		return TC_ACT_OK;
	id = shaping_limit(skb);
	if (!id || id > 0xffff)
		return TC_ACT_OK;
	skb->priority = NL_SHAPE_MAJOR << 16 | id;
	skb->cb[0] = skb->ifindex;
	skb->cb[1] = id;
	skb->cb[2] = NL_SHAPE_CB_MAGIC;
	return bpf_redirect(nl_shape_dev, 0);
}

SEC("tc")
int nl_shape_back(struct __sk_buff *skb)
{
	__u32 ifindex = skb->cb[0], id = skb->cb[1];

	/* Only what nl_shape_in sent goes back (the pair has no addresses, IPv6 off). */
	if (skb->cb[2] != NL_SHAPE_CB_MAGIC || !ifindex || !id || id > 0xffff)
		return TC_ACT_SHOT;
	skb->mark = NL_SHAPED_TAG | id;
	skb->priority = 0;
	return bpf_redirect(ifindex, BPF_F_INGRESS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
