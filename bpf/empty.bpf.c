// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Baselines for `make bench` (tests/nlbench.c attaches them): cgroup_skb
 * programs that do nothing, so the cost of bpf/dataplane.bpf.c can be stated
 * against the cost of running any program; and the floor under any limit or
 * meter: programs that do nothing but add each packet's length to one
 * counter (count1), or to two counters in two maps (count2: a socket's
 * meter and a limit, the least the meter with a limit can touch). A limit
 * must count what passes, so no limit costs less than count1 on the same
 * machine, whatever its design.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/* One counter in a cache line of its own. */
struct floor_line {
	__u64 bytes;
	__u64 pad[7];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct floor_line);
} nl_floor_a SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct floor_line);
} nl_floor_b SEC(".maps");

SEC("cgroup_skb/ingress")
int nl_empty_in(struct __sk_buff *skb)
{
	return 1;
}

SEC("cgroup_skb/egress")
int nl_empty_out(struct __sk_buff *skb)
{
	return 1;
}

/* Add the packet's length to map's counter: an inlined lookup and a locked add. */
static __always_inline void count(void *map, struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct floor_line *v = bpf_map_lookup_elem(map, &zero);

	if (v)
		__sync_fetch_and_add(&v->bytes, skb->len);
}

SEC("cgroup_skb/ingress")
int nl_count1_in(struct __sk_buff *skb)
{
	count(&nl_floor_a, skb);
	return 1;
}

SEC("cgroup_skb/egress")
int nl_count1_out(struct __sk_buff *skb)
{
	count(&nl_floor_a, skb);
	return 1;
}

SEC("cgroup_skb/ingress")
int nl_count2_in(struct __sk_buff *skb)
{
	count(&nl_floor_a, skb);
	count(&nl_floor_b, skb);
	return 1;
}

SEC("cgroup_skb/egress")
int nl_count2_out(struct __sk_buff *skb)
{
	count(&nl_floor_a, skb);
	count(&nl_floor_b, skb);
	return 1;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
