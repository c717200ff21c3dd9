// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The tests' reference meter, independent of netlimit's dataplane: counts
 * every packet of the cgroup it is attached to (the test's server side), so
 * what a client under netlimit sent is checked against what arrived.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "dataplane.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct nl_usage);
} ref_counts SEC(".maps");

static __always_inline int count(struct __sk_buff *skb, __u32 dir)
{
	struct nl_usage *u = bpf_map_lookup_elem(&ref_counts, &dir);

	if (u) {
		__sync_fetch_and_add(&u->bytes, skb->len);
		__sync_fetch_and_add(&u->packets, 1);
	}
	return 1;
}

SEC("cgroup_skb/ingress")
int nl_ref_in(struct __sk_buff *skb)
{
	return count(skb, NL_IN);
}

SEC("cgroup_skb/egress")
int nl_ref_out(struct __sk_buff *skb)
{
	return count(skb, NL_OUT);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
