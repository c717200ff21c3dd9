// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Baseline for `make bench`: cgroup_skb programs that do nothing, so the cost
 * of bpf/dataplane.bpf.c can be stated against the cost of running any program.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

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

char LICENSE[] SEC("license") = "Dual BSD/GPL";
