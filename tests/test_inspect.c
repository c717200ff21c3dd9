// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `netlimit inspect PID` (user/inspect.c): a process holding a UDP socket
 * with known traffic and a TCP connection, under a limit, in a namespace
 * with a veth, routes and static neighbours of the test's own: each fact
 * checked in the JSON form, the table, and --watch; then the refusals.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "harness.h"
#include "helpers.h"

void test_inspect_process(void)
{
	char cg[512], rel[64], want[256], sel[32], *nl;
	struct proc p, h, *q;
	struct server *us = NULL, *ts = NULL;
	int uport, tport, id, lines = 0;

	if (!require_root())
		return;
	snprintf(rel, sizeof(rel), "in-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup") ||
	    !ASSERT_OK(sh("ip link add nlia type veth peer name nlib && ip link set nlia up && "
			  "ip link set nlib up && ip addr add 192.0.2.1/24 dev nlia && "
			  "ip -6 addr add fd00:99::1/64 dev nlia nodad && "
			  "ip neigh replace 192.0.2.9 lladdr 02:00:00:00:00:09 dev nlia nud permanent && "
			  "ip -6 neigh replace fd00:99::9 lladdr 02:00:00:00:00:0a dev nlia nud "
			  "permanent"),
		       "veth, addresses, neighbours"))
		goto out;
	netlimit(&p, "attach", "--cgroup", cg, "--out=1G", "--name=il", "--json", NULL);
	id = (int)J(p.out, "id");
	netlimit(&p, "meter", "on", NULL);
	ASSERT_EQ(p.status, 0, "meter on, before the sockets");
	us = udp_sink(AF_INET, &uport);
	ts = tcp_sink(AF_INET, &tport);
	start_in_cgroup(&h, cg,
			(char *[]){ traffic(), "hold", "127.0.0.1", num(uport), "12", "100",
				    num(tport), NULL });
	for (int i = 0; i < 100 && server_msgs(us) < 12; i++)
		msleep(20);
	ASSERT_EQ(server_msgs(us), 12, "its datagrams arrived");
	msleep(100);
	netlimit(&p, "inspect", num((unsigned)h.pid), "--json", NULL);
	ASSERT_EQ(p.status, 0, "inspect");
	snprintf(want, sizeof(want), "{\"pid\":%d,", (int)h.pid);
	ASSERT_HAS(p.out, want, "the pid");
	ASSERT_HAS(p.out, "\"comm\":\"nltraffic\"", "the command");
	ASSERT_HAS(p.out, " hold 127.0.0.1 ", "its command line");
	ASSERT_HAS(p.out, "\"user\":\"root\"", "its user");
	ASSERT_HAS(p.out, "\"group\":\"root\"", "its group");
	ASSERT_HAS(p.out, rel, "its cgroup");
	snprintf(want, sizeof(want), "\"limits\":\"%d\"", id);
	ASSERT_HAS(p.out, want, "the limit over it");
	snprintf(want, sizeof(want),
		 "\"proto\":\"udp\",\"state\":\"CONNECTED\",\"local\":\"127.0.0.1\"");
	ASSERT_HAS(p.out, want, "its UDP socket");
	snprintf(want, sizeof(want), "\"remote\":\"127.0.0.1\",\"remote_port\":%d", uport);
	ASSERT_HAS(p.out, want, "with its peer");
	{
		unsigned long long v = 0;

		ASSERT_TRUE(json_u64_after(p.out, want, "out_bytes", &v), "its bytes");
		ASSERT_EQ(v, 12 * 128, "exactly its 12 datagrams of 128 L3 bytes");
		ASSERT_TRUE(json_u64_after(p.out, want, "out_packets", &v), "its packets");
		ASSERT_EQ(v, 12, "12 packets");
	}
	snprintf(want, sizeof(want), "\"remote\":\"127.0.0.1\",\"remote_port\":%d", tport);
	ASSERT_HAS(p.out, want, "its TCP connection");
	ASSERT_HAS(p.out, "\"proto\":\"tcp\",\"state\":\"ESTABLISHED\"", "established");
	ASSERT_HAS(p.out, "{\"name\":\"nlia\",", "the veth among the interfaces");
	ASSERT_HAS(p.out, "\"192.0.2.0/24 dev nlia metric 0\"", "its IPv4 route");
	ASSERT_HAS(p.out, "\"fd00:99::/64 dev nlia metric 256\"", "its IPv6 route");
	ASSERT_HAS(p.out, "\"192.0.2.9 02:00:00:00:00:09 nlia permanent\"", "the ARP entry");
	ASSERT_HAS(p.out, "\"fd00:99::9 02:00:00:00:00:0a nlia permanent\"", "the NDP entry");
	ASSERT_HAS(p.out, "\"snmp\":{", "protocol statistics");
	{
		unsigned long long v = 0;

		ASSERT_TRUE(json_u64_after(p.out, "\"Udp\":{", "OutDatagrams", &v), "UDP out");
		ASSERT_GE(v, 12, "at least its datagrams");
		ASSERT_TRUE(json_u64_after(p.out, "\"Tcp\":{", "RetransSegs", &v), "TCP retransmits");
	}
	ASSERT_HAS(p.out, "\"netstat\":{\"TcpExt\":{", "netstat's TcpExt");
	/* The table says the same. */
	netlimit(&p, "inspect", num((unsigned)h.pid), NULL);
	ASSERT_EQ(p.status, 0, "inspect, table");
	snprintf(want, sizeof(want), "127.0.0.1:%d", tport);
	ASSERT_HAS(p.out, want, "the TCP peer");
	ASSERT_HAS(p.out, "ESTABLISHED", "its state");
	snprintf(want, sizeof(want), "limits   %d", id);
	ASSERT_HAS(p.out, want, "the limit");
	ASSERT_HAS(p.out, "192.0.2.9 02:00:00:00:00:09 nlia permanent", "neighbours");
	ASSERT_HAS(p.out, "udp  datagrams in", "protocol figures");
	/* --watch: a round per interval until --timeout. */
	{
		/* Rounds are ~5 KB each: more than a struct proc holds, so to a file. */
		char file[64], line[65536];
		FILE *f;

		snprintf(file, sizeof(file), "/tmp/nlinspect-%d", (int)getpid());
		ASSERT_OK(sh("%s inspect %d --json --watch --interval=200ms --timeout=900ms > %s",
			     bin("netlimit"), (int)h.pid, file),
			  "--watch ends at --timeout");
		f = fopen(file, "r");
		while (f && fgets(line, sizeof(line), f))
			lines += !strncmp(line, "{\"pid\":", 7);
		if (f)
			fclose(f);
		unlink(file);
		ASSERT_GE(lines, 4, "a round every 200 ms");
	}
	/* A process that ended. */
	proc_kill(&h, SIGKILL);
	netlimit(&p, "inspect", num((unsigned)h.pid), NULL);
	ASSERT_EQ(p.status, 66, "an ended process");
	ASSERT_HAS(p.err, "no process", "says so");
	netlimit(&p, "inspect", NULL);
	ASSERT_EQ(p.status, 64, "no PID");
	netlimit(&p, "inspect", "12ab", NULL);
	ASSERT_EQ(p.status, 64, "not a PID");
	netlimit(&p, "inspect", "-5", NULL);
	ASSERT_EQ(p.status, 64, "a negative PID");
	netlimit(&p, "inspect", "1", "2", NULL);
	ASSERT_EQ(p.status, 64, "two PIDs");
	netlimit(&p, "inspect", "1", "--interval=0", NULL);
	ASSERT_EQ(p.status, 64, "a zero interval");
	q = mmap_shared_proc();
	nl = strdup(bin("netlimit"));
	snprintf(sel, sizeof(sel), "%d", (int)getpid());
	if (ASSERT_TRUE(q && nl, "memory")) {
		run_as_nobody(q, (char *[]){ nl, "inspect", sel, NULL });
		ASSERT_EQ(q->status, 77, "not root");
	}
	free(nl);
out:
	if (us)
		server_stop(us);
	if (ts)
		server_stop(ts);
	sh("ip link del nlia 2>/dev/null");
	netlimit(&p, "meter", "off", NULL);
	netlimit(&p, "detach", "il", NULL);
	rmdir(cg);
}
