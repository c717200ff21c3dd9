// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The dataplane's programs (bpf/dataplane.bpf.c, bpf/iface.bpf.c) run
 * directly with BPF_PROG_TEST_RUN on crafted packets, from a private,
 * unattached instance: counting, refusing exactly at the cap, per-direction
 * caps, events, scopes, wire bytes, and several limits on one packet.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "harness.h"
#include "dataplane_user.h"
#include "limit.h"
#include "link.h"

/* Ethernet + IPv4 header + payload; the program sees skb->len = IP total length. */
static size_t make_packet(unsigned char *buf, size_t l3_len)
{
	struct ethhdr *eth = (struct ethhdr *)buf;
	struct iphdr *ip = (struct iphdr *)(eth + 1);

	memset(buf, 0, ETH_HLEN + l3_len);
	eth->h_proto = htons(ETH_P_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = 17;
	ip->tot_len = htons((unsigned short)l3_len);
	ip->saddr = htonl(0x7f000001);
	ip->daddr = htonl(0x7f000001);
	return ETH_HLEN + l3_len;
}

/* Packets without a socket are charged to the limits on this fake cgroup id. */
#define TEST_CG 4242

struct fixture {
	struct nl_dp *dp;
	struct nl_lim *q;
	struct nl_limit *l;
	int prog_in, prog_out;
};

static int events_seen;
static __u32 last_hit;

static void count_event(void *ctx, const struct nl_event *e)
{
	events_seen++;
	last_hit = e->hit;
}

static int run_prog(int prog_fd, size_t l3_len)
{
	/* Offset 2: the IP header after 14 bytes of Ethernet lands 4-aligned. */
	static unsigned char buf[2 + ETH_HLEN + 65535] __attribute__((aligned(8)));
	unsigned char *pkt = buf + 2;
	LIBBPF_OPTS(bpf_test_run_opts, topts);
	int err;

	if (l3_len > 65535)
		return -1;
	topts.data_in = pkt;
	topts.data_size_in = (__u32)make_packet(pkt, l3_len);
	err = bpf_prog_test_run_opts(prog_fd, &topts);
	return err ? -1 : (int)topts.retval;
}

static bool setup(struct fixture *f, __u64 cap_in, __u64 cap_out, __u64 cap_total)
{
	struct nl_lim_opts o = { .sz = sizeof(o), .id = 7, .kind = NL_KIND_RUN };
	int efd;

	memset(f, 0, sizeof(*f));
	o.cap_in = cap_in;
	o.cap_out = cap_out;
	o.cap_total = cap_total;
	if (!ASSERT_OK(nl_dp__load_private(TEST_CG, &f->dp), "load") ||
	    !ASSERT_OK(nl_lim__new_in(f->dp, &o, &f->q), "limit") ||
	    !ASSERT_OK(nl_lim__attach_cgroup_id(f->q, TEST_CG), "cgroup"))
		return false;
	f->l = nl_lim__limit(f->q);
	nl_dp__prog_fds(f->dp, &f->prog_in, &f->prog_out);
	efd = nl_lim__events(f->q, count_event, NULL);
	events_seen = 0;
	last_hit = 0;
	return ASSERT_GE(efd, 0, "events");
}

void test_bpf_count(void)
{
	struct fixture f;
	int i;

	if (!require_root() || !setup(&f, NL_UNLIMITED, NL_UNLIMITED, NL_UNLIMITED))
		goto cleanup;
	for (i = 0; i < 10; i++)
		ASSERT_EQ(run_prog(f.prog_in, 100 + (size_t)i), 1, "ingress passes");
	for (i = 0; i < 5; i++)
		ASSERT_EQ(run_prog(f.prog_out, 1500), 1, "egress passes");
	ASSERT_EQ(f.l->in.bytes, 10 * 100 + 45, "in bytes = sum of IP lengths");
	ASSERT_EQ(f.l->in.packets, 10, "in packets");
	ASSERT_EQ(f.l->out.bytes, 5 * 1500, "out bytes");
	ASSERT_EQ(f.l->out.packets, 5, "out packets");
	ASSERT_EQ(f.l->in.bytes + f.l->out.bytes, 1045 + 7500, "total");
	ASSERT_EQ(f.l->in.drop_packets + f.l->out.drop_packets, 0, "nothing dropped");
	ASSERT_EQ(f.l->hit, 0, "no cap hit");
cleanup:
	nl_lim__free(f.q);
	nl_dp__free(f.dp);
}

void test_bpf_cap_exact(void)
{
	struct fixture f;
	int i;

	if (!require_root() || !setup(&f, NL_UNLIMITED, 1000, NL_UNLIMITED))
		goto cleanup;
	/* 3 x 300 = 900 fit; the 4th would make 1200 and is refused whole. */
	for (i = 0; i < 3; i++)
		ASSERT_EQ(run_prog(f.prog_out, 300), 1, "under the cap");
	ASSERT_EQ(run_prog(f.prog_out, 300), 2, "over the cap: drop + congestion notify");
	ASSERT_EQ(f.l->out.bytes, 900, "accepted");
	/* 100 more fit exactly: a refused packet does not block a smaller one. */
	ASSERT_EQ(run_prog(f.prog_out, 100), 1, "exactly at the cap");
	ASSERT_EQ(f.l->out.bytes, 1000, "accepted up to the cap");
	ASSERT_EQ(run_prog(f.prog_out, 20), 2, "past the cap");
	ASSERT_EQ(f.l->out.drop_bytes, 320, "dropped bytes");
	ASSERT_EQ(f.l->out.drop_packets, 2, "dropped packets");
	ASSERT_EQ(f.l->out.packets, 4, "accepted packets");
	ASSERT_EQ(f.l->in.bytes + f.l->out.bytes, 1000, "accepted bytes only");
	ASSERT_EQ(f.l->hit, NL_HIT_OUT, "out cap hit");
	nl_lim__consume(f.q);
	ASSERT_EQ(events_seen, 1, "one event per arming");
	ASSERT_EQ(last_hit, NL_HIT_OUT, "event names the out cap");
	/* Ingress is not affected by the out cap. */
	ASSERT_EQ(run_prog(f.prog_in, 1400), 1, "in flows");
cleanup:
	nl_lim__free(f.q);
	nl_dp__free(f.dp);
}

void test_bpf_directions(void)
{
	struct fixture f;

	if (!require_root() || !setup(&f, 500, NL_UNLIMITED, 1200))
		goto cleanup;
	ASSERT_EQ(run_prog(f.prog_in, 400), 1, "in under its cap");
	ASSERT_EQ(run_prog(f.prog_in, 200), 0, "in over its cap: ingress drops with 0");
	ASSERT_EQ(run_prog(f.prog_out, 700), 1, "out under total");
	ASSERT_EQ(run_prog(f.prog_out, 200), 2, "out over total");
	ASSERT_EQ(run_prog(f.prog_in, 100), 1, "in: 500 reached exactly, total 1200");
	ASSERT_EQ(run_prog(f.prog_in, 20), 0, "in: both caps reached");
	ASSERT_EQ(f.l->in.bytes, 500, "in accepted");
	ASSERT_EQ(f.l->out.bytes, 700, "out accepted");
	ASSERT_EQ(f.l->in.bytes + f.l->out.bytes, 1200, "total accepted");
	ASSERT_EQ(f.l->hit, NL_HIT_IN | NL_HIT_TOTAL, "in and total hit");
	nl_lim__consume(f.q);
	ASSERT_EQ(events_seen, 2, "one event per cap");

	/* Raising a cap and clearing its bit lets traffic flow and re-arms the event. */
	__atomic_store_n(&f.l->cap_total, 5000, __ATOMIC_RELAXED);
	nl_limit_gates(f.l); /* as `netlimit set` does */
	__atomic_fetch_and(&f.l->hit, ~(__u32)NL_HIT_TOTAL, __ATOMIC_RELAXED);
	ASSERT_EQ(run_prog(f.prog_out, 1000), 1, "out flows after raise");
	ASSERT_EQ(run_prog(f.prog_out, 3000), 2, "new total cap holds: 2200 + 3000 > 5000");
	nl_lim__consume(f.q);
	ASSERT_EQ(events_seen, 3, "re-armed event");
cleanup:
	nl_lim__free(f.q);
	nl_dp__free(f.dp);
}

/* An Ethernet frame holding IPv4 or IPv6 (+ TCP with doff or UDP) of l3_len bytes. */
static size_t make_ip(unsigned char *buf, int v6, const char *src, const char *dst, int tcp_doff,
		      size_t l3_len)
{
	struct ethhdr *eth = (struct ethhdr *)buf;
	unsigned char *l3 = buf + ETH_HLEN, *l4;

	memset(buf, 0, ETH_HLEN + l3_len);
	if (!v6) {
		struct iphdr *ip = (struct iphdr *)l3;

		eth->h_proto = htons(ETH_P_IP);
		ip->version = 4;
		ip->ihl = 5;
		ip->ttl = 64;
		ip->protocol = tcp_doff ? 6 : 17;
		ip->tot_len = htons((unsigned short)l3_len);
		inet_pton(AF_INET, src, &ip->saddr);
		inet_pton(AF_INET, dst, &ip->daddr);
		l4 = l3 + 20;
	} else {
		eth->h_proto = htons(ETH_P_IPV6);
		l3[0] = 0x60;
		l3[4] = (unsigned char)((l3_len - 40) >> 8);
		l3[5] = (unsigned char)(l3_len - 40);
		l3[6] = tcp_doff ? 6 : 17;
		l3[7] = 64;
		inet_pton(AF_INET6, src, l3 + 8);
		inet_pton(AF_INET6, dst, l3 + 24);
		l4 = l3 + 40;
	}
	if (tcp_doff)
		l4[12] = (unsigned char)(tcp_doff << 4);
	return ETH_HLEN + l3_len;
}

static int run_ip(int prog_fd, int v6, const char *src, const char *dst, int tcp_doff,
		  size_t l3_len, __u32 gso_segs)
{
	static unsigned char buf[2 + ETH_HLEN + 4000] __attribute__((aligned(8)));
	struct __sk_buff ctx = { .gso_segs = gso_segs };
	LIBBPF_OPTS(bpf_test_run_opts, topts);

	topts.data_in = buf + 2;
	topts.data_size_in = (__u32)make_ip(buf + 2, v6, src, dst, tcp_doff, l3_len);
	if (gso_segs) {
		topts.ctx_in = &ctx;
		topts.ctx_size_in = sizeof(ctx);
	}
	return bpf_prog_test_run_opts(prog_fd, &topts) ? -1 : (int)topts.retval;
}

static bool setup_scoped(struct fixture *f, __u32 mode, const char *list, bool wire)
{
	static struct nl_prefix v[8];
	struct nl_lim_opts o = { .sz = sizeof(o), .id = 9, .kind = NL_KIND_RUN };
	char err[128];
	size_t n = 0;

	memset(f, 0, sizeof(*f));
	if (list && !ASSERT_OK(nl_parse_prefixes(list, v, 8, &n, err, sizeof(err)), "prefixes"))
		return false;
	o.cap_in = o.cap_total = NL_UNLIMITED;
	o.cap_out = 250;
	o.scope = mode;
	o.prefixes = v;
	o.nprefixes = n;
	o.wire = wire;
	o.link_hlen = 14;
	if (!ASSERT_OK(nl_dp__load_private(TEST_CG, &f->dp), "load") ||
	    !ASSERT_OK(nl_lim__new_in(f->dp, &o, &f->q), "limit") ||
	    !ASSERT_OK(nl_lim__attach_cgroup_id(f->q, TEST_CG), "cgroup"))
		return false;
	f->l = nl_lim__limit(f->q);
	nl_dp__prog_fds(f->dp, &f->prog_in, &f->prog_out);
	return true;
}

void test_bpf_scope(void)
{
	struct fixture f = { 0 };

	if (!require_root() || !setup_scoped(&f, NL_SCOPE_ONLY, "10.0.0.0/8,2001:db8::/32", false))
		goto cleanup;
	ASSERT_EQ(run_ip(f.prog_out, 0, "192.0.2.9", "10.1.2.3", 0, 100, 0), 1, "in scope: v4");
	ASSERT_EQ(run_ip(f.prog_out, 0, "10.1.2.3", "192.0.2.1", 0, 100, 0), 1, "out of scope");
	ASSERT_EQ(f.l->out.bytes, 100, "only the destination in scope counted");
	ASSERT_EQ(run_ip(f.prog_out, 1, "::1", "2001:db8::5", 0, 100, 0), 1, "in scope: v6");
	ASSERT_EQ(f.l->out.bytes, 200, "v6 counted");
	ASSERT_EQ(run_ip(f.prog_out, 0, "192.0.2.9", "10.9.9.9", 0, 100, 0), 2, "over the cap");
	ASSERT_EQ(run_ip(f.prog_out, 0, "192.0.2.9", "192.0.2.1", 0, 1000, 0), 1,
		  "out of scope passes past the cap");
	ASSERT_EQ(run_ip(f.prog_in, 0, "10.5.5.5", "192.0.2.9", 0, 60, 0), 1, "ingress by source");
	ASSERT_EQ(f.l->in.bytes, 60, "ingress scoped by its source address");
	ASSERT_EQ(run_ip(f.prog_in, 0, "192.0.2.1", "10.5.5.5", 0, 60, 0), 1,
		  "ingress out of scope");
	ASSERT_EQ(f.l->in.bytes, 60, "not counted");
	nl_lim__free(f.q);
	nl_dp__free(f.dp);

	if (!setup_scoped(&f, NL_SCOPE_EXCLUDE, "10.0.0.0/8", false))
		goto cleanup;
	ASSERT_EQ(run_ip(f.prog_out, 0, "192.0.2.9", "10.1.2.3", 0, 100, 0), 1, "excluded");
	ASSERT_EQ(f.l->out.bytes, 0, "excluded prefix not counted");
	ASSERT_EQ(run_ip(f.prog_out, 0, "192.0.2.9", "198.51.100.1", 0, 100, 0), 1, "counted");
	ASSERT_EQ(run_ip(f.prog_out, 1, "::1", "2001:db8::5", 0, 100, 0), 1, "v6 counted");
	ASSERT_EQ(f.l->out.bytes, 200, "everything else counted");
cleanup:
	nl_lim__free(f.q);
	nl_dp__free(f.dp);
}

void test_bpf_wire(void)
{
	struct fixture f = { 0 };

	if (!require_root() || !setup_scoped(&f, NL_SCOPE_ALL, NULL, true))
		goto cleanup;
	f.l->cap_out = NL_UNLIMITED;
	nl_limit_gates(f.l);
	/* A GSO packet of 4 segments: 3 more IP+TCP headers (20+32), 4 link headers. */
	ASSERT_EQ(run_ip(f.prog_out, 0, "192.0.2.9", "10.1.2.3", 8, 1000, 4), 1, "gso v4");
	ASSERT_EQ(f.l->out.bytes, 1000 + 3 * (20 + 32) + 4 * 14, "wire bytes of a GSO packet");
	ASSERT_EQ(run_ip(f.prog_out, 1, "::1", "2001:db8::5", 5, 1000, 2), 1, "gso v6");
	ASSERT_EQ(f.l->out.bytes, 1212 + 1000 + (40 + 20) + 2 * 14, "v6: one more header set");
	ASSERT_EQ(run_ip(f.prog_in, 0, "10.1.2.3", "192.0.2.9", 0, 100, 0), 1, "udp");
	ASSERT_EQ(f.l->in.bytes, 114, "a plain packet gets its link header");
cleanup:
	nl_lim__free(f.q);
	nl_dp__free(f.dp);
}

/* Two limits on one packet: the refusal of one gives the other's reservation back. */
void test_bpf_chain(void)
{
	struct nl_lim_opts o = { .sz = sizeof(o), .kind = NL_KIND_RUN };
	struct nl_lim *a = NULL, *b = NULL;
	struct nl_limit *la, *lb;
	struct nl_dp *dp = NULL;
	int in, out;

	if (!require_root() || !ASSERT_OK(nl_dp__load_private(TEST_CG, &dp), "load"))
		goto cleanup;
	o.cap_in = o.cap_total = NL_UNLIMITED;
	o.id = 3;
	o.cap_out = 1000;
	if (!ASSERT_OK(nl_lim__new_in(dp, &o, &a), "a") ||
	    !ASSERT_OK(nl_lim__attach_cgroup_id(a, TEST_CG), "a on the cgroup"))
		goto cleanup;
	o.id = 5;
	o.cap_out = 500;
	if (!ASSERT_OK(nl_lim__new_in(dp, &o, &b), "b") ||
	    !ASSERT_OK(nl_lim__attach_cgroup_id(b, TEST_CG), "b on the cgroup"))
		goto cleanup;
	la = nl_lim__limit(a);
	lb = nl_lim__limit(b);
	nl_dp__prog_fds(dp, &in, &out);
	ASSERT_EQ(run_prog(out, 300), 1, "both accept");
	ASSERT_EQ(run_prog(out, 300), 2, "b refuses: 600 > 500");
	ASSERT_EQ(la->out.bytes, 300, "a gave its reservation back");
	ASSERT_EQ(la->out.drop_packets, 0, "a dropped nothing");
	ASSERT_EQ(lb->out.bytes, 300, "b");
	ASSERT_EQ(lb->out.drop_bytes, 300, "b dropped it");
	ASSERT_EQ(run_prog(out, 200), 1, "both accept again");
	ASSERT_EQ(la->out.bytes, 500, "a: what passed");
	ASSERT_EQ(lb->out.bytes, 500, "b: at its cap");
	ASSERT_EQ(la->out.packets, 2, "a: packets that passed");
	ASSERT_EQ(lb->out.packets, 2, "b: packets that passed");
	/* a refuses first now (cap lowered): b keeps nothing of it. */
	__atomic_store_n(&la->cap_out, 500, __ATOMIC_RELAXED);
	__atomic_store_n(&lb->cap_out, 5000, __ATOMIC_RELAXED);
	nl_limit_gates(la);
	nl_limit_gates(lb);
	ASSERT_EQ(run_prog(out, 100), 2, "a refuses");
	ASSERT_EQ(lb->out.bytes, 500, "b unchanged");
	ASSERT_EQ(lb->out.drop_packets, 1, "b's one drop is still its own");
	ASSERT_EQ(la->out.drop_packets, 1, "a counted its refusal");
cleanup:
	nl_lim__free(a);
	nl_lim__free(b);
	nl_dp__free(dp);
}

/*
 * The interface programs, on Ethernet frames crossing loopback (test runs'
 * device): found through nl_ifaces when another interface holds the slot,
 * through the slot itself, and not for an interface of another namespace.
 */
void test_bpf_iface(void)
{
	struct nl_lim_opts o = { .sz = sizeof(o), .id = 11, .kind = NL_KIND_IFACE };
	struct nl_dp *dp = NULL;
	struct nl_lim *q = NULL, *q2 = NULL;
	struct nl_iface_fds f;
	struct nl_iface_key k;
	struct nl_iface_ref r;
	struct nl_iface_slot sl;
	struct nl_limit *l, *l2;
	__u32 ns = (__u32)nl_netns_id(), idx = nl_iface_fold(1, ns);
	int in, out;

	if (!require_root() || !ASSERT_OK(nl_dp__load_private(0, &dp), "load"))
		goto cleanup;
	o.cap_in = o.cap_total = NL_UNLIMITED;
	o.cap_out = 1000;
	o.link_hlen = 14;
	o.ifindex = 1;
	o.netns = ns;
	if (!ASSERT_OK(nl_lim__new_in(dp, &o, &q), "limit") ||
	    !ASSERT_OK(nl_dp__iface(dp, true, &f), "interface programs"))
		goto cleanup;
	o.id = 12;
	o.ifindex = 1 + NL_IFACE_SLOTS; /* folds where lo does */
	if (!ASSERT_OK(nl_lim__new_in(dp, &o, &q2), "limit on another interface"))
		goto cleanup;
	l = nl_lim__limit(q);
	l2 = nl_lim__limit(q2);
	/* Linked to an interface without an entry (a limit going): passes, counts nothing. */
	ASSERT_EQ(run_ip(f.out, 0, "192.0.2.1", "192.0.2.2", 0, 600, 0), -1, "no entry: passes");
	if (!ASSERT_OK(nl_lim__enter_iface(q2, &in, &out), "other's entry") ||
	    !ASSERT_OK(nl_lim__enter_iface(q, &in, &out), "entry"))
		goto cleanup;
	ASSERT_OK(bpf_map_lookup_elem(f.slots, &idx, &sl), "the slot");
	ASSERT_EQ(sl.id, 12, "the slot is the first interface's");
	ASSERT_EQ(sl.more, 1, "and says one more folds there");
	k.ifindex = 1;
	k.netns = ns;
	ASSERT_OK(bpf_map_lookup_elem(f.more, &k, &r), "lo's entry is in nl_ifaces");
	ASSERT_EQ(r.id, 11, "lo's limit");
	/* tcx: -1 passes on to the next program, 2 drops. */
	ASSERT_EQ(run_ip(out, 0, "192.0.2.1", "192.0.2.2", 0, 600, 0), -1, "passes");
	ASSERT_EQ(run_ip(out, 0, "192.0.2.1", "192.0.2.2", 0, 600, 0), 2, "over the cap");
	ASSERT_EQ(run_ip(in, 1, "2001:db8::1", "2001:db8::2", 0, 300, 0), -1, "ingress");
	ASSERT_EQ(l->out.bytes, 600, "L3 bytes after the link header");
	ASSERT_EQ(l->out.drop_packets, 1, "dropped");
	ASSERT_EQ(l->in.bytes, 300, "ingress counted");
	ASSERT_EQ(l2->out.bytes + l2->in.bytes + l2->out.drop_packets, 0,
		  "the slot's own interface counted none of it");
	/* lo in the slot itself. */
	sl = (struct nl_iface_slot){ .ifindex = 1, .netns = ns, .id = 11, .link_hlen = 14 };
	ASSERT_OK(bpf_map_delete_elem(f.more, &k), "out of nl_ifaces");
	ASSERT_OK(bpf_map_update_elem(f.slots, &idx, &sl, BPF_ANY), "into the slot");
	ASSERT_EQ(run_ip(in, 1, "2001:db8::1", "2001:db8::2", 0, 300, 0), -1, "ingress");
	ASSERT_EQ(l->in.bytes, 600, "counted through the slot");
	/* The same ifindex in another namespace is another interface. */
	sl.netns = ns ^ 1;
	ASSERT_OK(bpf_map_update_elem(f.slots, &idx, &sl, BPF_ANY), "another namespace's lo");
	ASSERT_EQ(run_ip(in, 1, "2001:db8::1", "2001:db8::2", 0, 300, 0), -1, "not ours: passes");
	ASSERT_EQ(l->in.bytes, 600, "not ours: not counted");
cleanup:
	nl_lim__free(q);
	nl_lim__free(q2);
	nl_dp__free(dp);
}
