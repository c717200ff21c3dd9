// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Interface limits, down and up: a veth pair between the test's namespace
 * (nlA, 192.0.2.1) and a peer namespace of its own (nlB, 192.0.2.2), both
 * gone when the test ends. Static neighbours and no IPv6 keep the link quiet,
 * so every byte on it is the test's.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <net/if.h>
#include <bpf/bpf.h>
#include "harness.h"
#include "helpers.h"
#include "link.h"
#include "dataplane.h"

static bool link_pair(struct peer *pr, bool ipv6)
{
	if (!ASSERT_OK(peer_start(pr, "nlA", "nlB", ipv6), "peer namespace"))
		return false;
	return ASSERT_OK(sh("ip addr add 192.0.2.1/24 dev nlA && ip link set nlA up"), "nlA") &&
	       ASSERT_OK(peer_sh(pr, "ip addr add 192.0.2.2/24 dev nlB"), "addr nlB") &&
	       ASSERT_OK(peer_sh(pr, "ip link set nlB up"), "nlB up") &&
	       /* Static neighbours: no ARP on the link while we count it. */
	       ASSERT_OK(
		       sh("ip neigh replace 192.0.2.2 dev nlA lladdr $(nsenter -t %d -n ip -o link "
			  "show nlB | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2) nud "
			  "permanent",
			  (int)pr->pid),
		       "neigh A") &&
	       ASSERT_OK(peer_sh(pr,
				 "sh -c \"ip neigh replace 192.0.2.1 dev nlB lladdr $(ip -o link "
				 "show nlA | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2) nud "
				 "permanent\""),
			 "neigh B");
}

/* A UDP sink inside the peer. */
static struct server *peer_udp_sink(struct peer *pr, int *port)
{
	struct server *s;

	if (peer_enter(pr))
		return NULL;
	s = udp_sink_at("192.0.2.2", port);
	peer_leave(pr);
	return s;
}

/* 100 UDP datagrams of 100 L3 bytes to the peer's sink, from a process under no limit; landed. */
static void send_to_peer(int port)
{
	struct proc t;

	proc_run(&t,
		 (char *[]){ (char *)bin("nltraffic"), "udp", "192.0.2.2", num(port), "100", "72",
			     NULL },
		 10);
	msleep(50);
}

void test_iface_cap_drop(void)
{
	struct peer pr = { 0 };
	struct server *s = NULL;
	struct proc p;
	int port;

	if (!require_root() || !link_pair(&pr, false))
		goto out;
	s = peer_udp_sink(&pr, &port);
	if (!ASSERT_TRUE(s, "sink in the peer"))
		goto out;
	netlimit(&p, "iface", "nlA", "--out=5000", "--name=wan", NULL);
	ASSERT_EQ(p.status, 0, "iface limit");
	/* Any process: this one is under no netlimit at all. */
	send_to_peer(port);
	netlimit(&p, "show", "wan", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 5000, "50 datagrams of 100 L3 bytes, exactly");
	ASSERT_EQ(J(p.out, "out_dropped_packets"), 50, "the rest dropped");
	ASSERT_EQ(J(p.out, "in_bytes"), 0, "nothing came in");
	ASSERT_HAS(p.out, "\"kind\":\"iface\"", "kind");
	ASSERT_EQ(server_msgs(s), 50, "the peer got exactly the cap");
	netlimit(&p, "iface", "nlA", "--limit=1G", NULL);
	ASSERT_EQ(p.status, 64, "a second limit on the same interface is refused");
	/* bpftool 7.1 cannot list tcx links: look for the programs they hold. */
	ASSERT_OK(sh("bpftool prog show name nl_tc_egress | grep -q nl_tc_egress"),
		  "tcx programs loaded while attached");
	netlimit(&p, "detach", "wan", NULL);
	ASSERT_EQ(p.status, 0, "detach");
	ASSERT_OK(
		sh("for i in $(seq 50); do bpftool prog show name nl_tc_egress | grep -q nl_tc || "
		   "exit 0; sleep 0.02; done; exit 1"),
		"detach removed the interface's links, and the programs with the last limit");
	send_to_peer(port);
	ASSERT_EQ(server_msgs(s), 150, "detached: everything passes");
out:
	server_stop(s);
	peer_stop(&pr);
}

/* The ids of the programs on an interface's tcx hook (egress or ingress): how many. */
static int tcx_progs(const char *ifname, bool egress, __u32 *ids, __u32 n)
{
	__u32 cnt = n, flags = 0;
	int ifindex = (int)if_nametoindex(ifname);

	if (!ifindex || bpf_prog_query(ifindex, egress ? 47 : 46, 0, &flags, ids, &cnt))
		return -1;
	return (int)cnt;
}

/* Entries of the interface limits that fold to a slot another holds (nl_ifaces). */
static int iface_more(void)
{
	return sh("exit $(bpftool map dump pinned %s/dp/ifaces | grep -c '\"ifindex\"')",
		  test_state_dir());
}

/*
 * Every interface limit shares one pair of programs: making one links them
 * and writes an entry, detaching one unlinks them from its interface only,
 * and a loader killed between pins is recovered from. nlC's ifindex folds
 * where nlA's does, so nlA's limit, made after nlC's, is found through
 * nl_ifaces.
 */
void test_iface_shared_programs(void)
{
	struct peer pr = { 0 };
	struct server *s = NULL;
	__u32 a[4], c[4], d[4];
	char pin[512];
	struct proc p;
	int port;

	if (!require_root() || !link_pair(&pr, false) ||
	    !ASSERT_OK(sh("ip link add nlC index %u type veth peer name nlD",
			  if_nametoindex("nlA") + NL_IFACE_SLOTS),
		       "second pair (down), nlC folding where nlA does"))
		goto out;
	s = peer_udp_sink(&pr, &port);
	if (!ASSERT_TRUE(s, "sink"))
		goto out;
	netlimit(&p, "iface", "nlC", "--limit=1G", "--name=c", NULL);
	ASSERT_EQ(p.status, 0, "limit on nlC");
	netlimit(&p, "iface", "nlA", "--out=5000", "--name=a", NULL);
	ASSERT_EQ(p.status, 0, "limit on nlA");
	netlimit(&p, "iface", "nlD", "--limit=1G", "--name=d", NULL);
	ASSERT_EQ(p.status, 0, "limit on nlD");
	ASSERT_EQ(tcx_progs("nlA", true, a, 4), 1, "one program on nlA's egress");
	ASSERT_EQ(tcx_progs("nlC", true, c, 4), 1, "one on nlC's");
	ASSERT_EQ(tcx_progs("nlD", true, d, 4), 1, "one on nlD's");
	ASSERT_TRUE(a[0] == c[0] && c[0] == d[0], "the same program on all three");
	ASSERT_EQ(iface_more(), 1, "nlA's entry is in nl_ifaces (nlC holds the slot)");
	ASSERT_EQ(tcx_progs("nlA", false, a, 4), 1, "and one on nlA's ingress");
	send_to_peer(port);
	netlimit(&p, "show", "a", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 5000, "nlA's limit: exactly its cap");
	ASSERT_EQ(J(p.out, "out_dropped_packets"), 50, "nlA's limit: the rest dropped");
	ASSERT_EQ(server_msgs(s), 50, "the peer got the cap");
	netlimit(&p, "show", "c", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes") + J(p.out, "in_bytes"), 0, "nlC's limit saw none of it");
	netlimit(&p, "detach", "a", NULL);
	ASSERT_EQ(p.status, 0, "detach nlA's limit");
	ASSERT_EQ(tcx_progs("nlA", true, a, 4), 0, "nothing on nlA's egress any more");
	ASSERT_EQ(tcx_progs("nlA", false, a, 4), 0, "nor on its ingress");
	ASSERT_EQ(tcx_progs("nlC", true, c, 4), 1, "nlC keeps the program");
	ASSERT_EQ(iface_more(), 0, "nlA's entry is out of nl_ifaces");
	/* A loader killed between its pins: the next interface limit loads them anew. */
	snprintf(pin, sizeof(pin), "%s/dp/prog_tc_out", test_state_dir());
	ASSERT_OK(unlink(pin), "one pin gone, as if its loader died");
	netlimit(&p, "iface", "nlA", "--out=5000", "--name=a2", NULL);
	ASSERT_EQ(p.status, 0, "a limit on nlA again");
	ASSERT_OK(access(pin, F_OK), "pinned again");
	send_to_peer(port);
	netlimit(&p, "show", "a2", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 5000, "the reloaded programs: exactly the cap");
	ASSERT_EQ(server_msgs(s), 100, "the peer got the cap again");
	netlimit(&p, "detach", "a2", NULL);
	ASSERT_EQ(p.status, 0, "detach a2");
	netlimit(&p, "detach", "c", NULL);
	ASSERT_EQ(p.status, 0, "detach c");
	netlimit(&p, "detach", "d", NULL);
	ASSERT_EQ(p.status, 0, "detach d");
	ASSERT_EQ(tcx_progs("nlC", true, c, 4), 0, "nothing left on nlC");
	ASSERT_EQ(tcx_progs("nlD", false, d, 4), 0, "nor on nlD");
out:
	sh("ip link del nlC 2>/dev/null");
	server_stop(s);
	peer_stop(&pr);
}

/*
 * SIGKILL at any moment of an interface limit's making, the shared programs
 * not loaded yet: afterwards the limit holds exactly, whether the killed one
 * got listed or the next one was made, and nothing is left on the interface.
 */
void test_iface_killed_loading(void)
{
	static const char *const pins[] = { "iface_slots", "ifaces", "prog_tc_in", "prog_tc_out" };
	struct peer pr = { 0 };
	struct server *s = NULL;
	struct proc a, p;
	char pin[512];
	__u32 ids[4];
	int port, delay, listed = 0, anew = 0;

	if (!require_root() || !link_pair(&pr, false))
		goto out;
	s = peer_udp_sink(&pr, &port);
	if (!ASSERT_TRUE(s, "sink"))
		goto out;
	/* Keeps the dataplane loaded: only the interface programs load each round. */
	netlimit(&p, "host", "198.51.100.1", "--limit=1G", "--name=keep", NULL);
	ASSERT_EQ(p.status, 0, "a limit that keeps the dataplane");
	for (delay = 0; delay <= 180; delay += 15) {
		unsigned long long before = server_msgs(s);

		for (size_t i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
			snprintf(pin, sizeof(pin), "%s/dp/%s", test_state_dir(), pins[i]);
			unlink(pin); /* no interface limit is left: as before the first */
		}
		netlimit_bg(&a, "iface", "nlA", "--out=1000", "--name=k1", NULL);
		msleep(delay);
		proc_kill(&a, SIGKILL);
		netlimit(&p, "list", "--json", NULL);
		if (!strstr(p.out, "\"name\":\"k1\"")) {
			netlimit(&p, "iface", "nlA", "--out=1000", "--name=k1", NULL);
			ASSERT_EQ(p.status, 0, "the next netlimit makes it");
			anew++;
		} else {
			listed++;
		}
		ASSERT_EQ(tcx_progs("nlA", true, ids, 4), 1, "one program on nlA's egress");
		send_to_peer(port);
		ASSERT_EQ(server_msgs(s) - before, 10, "exactly the cap, whichever made the limit");
		netlimit(&p, "detach", "k1", NULL);
		ASSERT_EQ(p.status, 0, "detach");
		ASSERT_EQ(tcx_progs("nlA", true, ids, 4), 0, "nothing left on nlA's egress");
		ASSERT_EQ(tcx_progs("nlA", false, ids, 4), 0, "nor on its ingress");
	}
	printf("    killed: %d made their limit, %d did not (made anew)\n", listed, anew);
	netlimit(&p, "detach", "keep", NULL);
	ASSERT_FALSE(access(pin, F_OK) == 0, "the interface programs went with the dataplane");
out:
	server_stop(s);
	peer_stop(&pr);
}

void test_iface_down_at_cap(void)
{
	struct peer pr = { 0 };
	struct server *s = NULL;
	struct proc p, t;
	int port, i;

	if (!require_root() || !link_pair(&pr, false))
		goto out;
	s = peer_udp_sink(&pr, &port);
	if (!ASSERT_TRUE(s, "sink"))
		goto out;
	netlimit(&p, "iface", "nlA", "--out=5000", "--on-limit=down", "--name=dn", NULL);
	ASSERT_EQ(p.status, 0, "iface limit");
	proc_run(&t,
		 (char *[]){ (char *)bin("nltraffic"), "udp", "192.0.2.2", num(port), "100", "72",
			     NULL },
		 10);
	for (i = 0; i < 100 && nl_link_is_up("nlA") == 1; i++)
		msleep(10);
	ASSERT_EQ(nl_link_is_up("nlA"), 0, "the interface went down at the cap");
	/* Taking the link down may also lose frames still queued on it. */
	ASSERT_LE(server_msgs(s), 50, "and no byte passed the cap");
	netlimit(&p, "show", "dn", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 5000, "accepted exactly up to the cap");
	/* Once the link is down, sends fail before they reach the interface. */
	ASSERT_GE(J(p.out, "out_dropped_packets"), 1, "the packet over the cap was dropped");
	ASSERT_HAS(p.out, "\"action\":\"down\"", "action");
	netlimit(&p, "up", "nlA", NULL);
	ASSERT_EQ(p.status, 0, "up");
	ASSERT_EQ(nl_link_is_up("nlA"), 1, "up again");
	ASSERT_OK(sh("ip -4 addr show dev nlA | grep -q 192.0.2.1/24"), "address kept");
	netlimit(&p, "detach", "dn", NULL);
	ASSERT_EQ(p.status, 0, "detach");
out:
	server_stop(s);
	peer_stop(&pr);
}

void test_down_up(void)
{
	struct peer pr = { 0 };
	struct proc p;

	if (!require_root() || !link_pair(&pr, true))
		goto out;
	ASSERT_OK(sh("ip -6 addr add 2001:db8::1/64 dev nlA nodad"), "v6 address");
	netlimit(&p, "down", "nlA", "nosuch", NULL);
	ASSERT_EQ(p.status, 66, "unknown name refused");
	ASSERT_HAS(p.err, "no interface named 'nosuch'", "says so");
	ASSERT_EQ(nl_link_is_up("nlA"), 1, "nothing changed when a name was wrong");
	/* No name: everything but loopback, in this (the test's own) namespace. */
	netlimit(&p, "down", NULL);
	ASSERT_EQ(p.status, 0, "down");
	ASSERT_EQ(nl_link_is_up("nlA"), 0, "nlA down");
	ASSERT_EQ(nl_link_is_up("lo"), 1, "loopback stays up");
	netlimit(&p, "up", "nlA", NULL);
	ASSERT_EQ(p.status, 0, "up");
	ASSERT_EQ(nl_link_is_up("nlA"), 1, "nlA up");
	ASSERT_OK(sh("ip -4 addr show dev nlA | grep -q 192.0.2.1/24"), "IPv4 address back");
	ASSERT_OK(sh("ip -6 addr show dev nlA | grep -q 2001:db8::1/64"), "IPv6 address back");
	netlimit(&p, "up", NULL);
	ASSERT_EQ(p.status, 64, "up needs names");
	netlimit(&p, "up", "nosuch", NULL);
	ASSERT_EQ(p.status, 66, "unknown name");
out:
	peer_stop(&pr);
}

/* Bulk TCP over the veth; counts against the interface's own counters. */
static void bulk(struct peer *pr, bool wire, bool tso)
{
	unsigned long long rb0, rp0, tb0, tp0, rb1, rp1, tb1, tp1, got, want, gsos;
	struct server *s = NULL;
	struct proc p, t;
	int port;

	if (!ASSERT_OK(sh("ethtool -K nlA tso %s gso on >/dev/null", tso ? "on" : "off"),
		       "ethtool"))
		return;
	if (peer_enter(pr))
		return;
	s = tcp_sink_at("192.0.2.2", &port);
	peer_leave(pr);
	if (!ASSERT_TRUE(s, "sink at 192.0.2.2"))
		return;
	netlimit(&p, "iface", "nlA", "--limit=1T", wire ? "--count=wire" : "--count=l3",
		 "--name=bulk", NULL);
	if (!ASSERT_EQ(p.status, 0, "iface limit"))
		goto out;
	dev_counters("nlA", &rb0, &rp0, &tb0, &tp0);
	proc_run(&t,
		 (char *[]){ (char *)bin("nltraffic"), "tcp-send", "192.0.2.2", num(port),
			     num(20 << 20), NULL },
		 30);
	ASSERT_EQ(t.status, 0, "transfer");
	msleep(100);
	dev_counters("nlA", &rb1, &rp1, &tb1, &tp1);
	netlimit(&p, "show", "bulk", "--json", NULL);
	got = J(p.out, "in_bytes") + J(p.out, "out_bytes");
	gsos = J(p.out, "in_packets") + J(p.out, "out_packets");
	if (wire) {
		want = (rb1 - rb0) + (tb1 - tb0);
		ASSERT_LT(gsos, (rp1 - rp0) + (tp1 - tp0),
			  "BPF saw GSO packets, fewer than frames");
		ASSERT_LE(got > want ? got - want : want - got, want / 200,
			  "wire count within 0.5% of the interface counters");
	} else {
		/* TSO on: every GSO packet crosses the veth whole, one frame each. */
		want = (rb1 - rb0) - 14 * (rp1 - rp0) + (tb1 - tb0) - 14 * (tp1 - tp0);
		ASSERT_EQ(got, want, "L3 count exact: counters less 14 bytes a frame");
		ASSERT_EQ(gsos, (rp1 - rp0) + (tp1 - tp0), "one packet per frame");
	}
	ASSERT_GT(got, 20 << 20, "the transfer is in it");
	printf("    %s: netlimit %llu bytes in %llu packets; interface %llu bytes in %llu frames\n",
	       wire ? "wire" : "l3", got, gsos, (rb1 - rb0) + (tb1 - tb0),
	       (rp1 - rp0) + (tp1 - tp0));
	netlimit(&p, "detach", "bulk", NULL);
out:
	server_stop(s);
}

void test_iface_wire_vs_counters(void)
{
	struct peer pr = { 0 };

	if (require_root() && link_pair(&pr, false))
		bulk(&pr, true, false);
	peer_stop(&pr);
}

void test_iface_l3_exact(void)
{
	struct peer pr = { 0 };

	if (require_root() && link_pair(&pr, false))
		bulk(&pr, false, true);
	peer_stop(&pr);
}

void test_iface_gone(void)
{
	struct peer pr = { 0 };
	struct proc p;

	if (!require_root() || !link_pair(&pr, false))
		goto out;
	netlimit(&p, "iface", "nlA", "--limit=1G", "--name=gone", NULL);
	ASSERT_EQ(p.status, 0, "iface limit");
	peer_stop(&pr); /* takes the veth pair with it */
	msleep(100);
	netlimit(&p, "gc", NULL);
	ASSERT_HAS(p.err, "1 limit(s) removed", "a vanished interface's limit is collected");
	netlimit(&p, "iface", "nlA", "--limit=1G", NULL);
	ASSERT_EQ(p.status, 66, "missing interface");
	ASSERT_HAS(p.err, "no interface named 'nlA'", "says so");
out:
	peer_stop(&pr);
}
