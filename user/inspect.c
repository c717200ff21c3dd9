// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `netlimit inspect PID`: one process and the network as it sees it. Who it
 * is (command line, user, cgroup, the limits over it), every socket it holds
 * (from /proc/PID/fd and /proc/PID/net, with the meter's bytes for each),
 * and its network namespace: interfaces, routes, neighbours (IPv6 ones
 * through netlink inside that namespace) and protocol statistics.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pwd.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "exitcode.h"
#include "inspect.h"
#include "json.h"
#include "log.h"
#include "meter.h"
#include "opts.h"
#include "size.h"
#include "state.h"
#include "text.h"
#include "usage.h"

static const char inspect_usage[] =
	"Usage: netlimit inspect PID [--json] [--watch] [--interval=DURATION]\n"
	"\n"
	"One process and the network it sees: its command line, user and group,\n"
	"cgroup (its systemd unit) and the limits over it; every socket it holds\n"
	"(protocol, state, local and remote address and port, queues, and the\n"
	"bytes the meter counted for it since the meter is on); and, from its own\n"
	"network namespace, interfaces with their counters, routes, the neighbour\n"
	"(ARP/NDP) cache and the protocol statistics of /proc/PID/net (TCP\n"
	"retransmits, UDP errors, ICMP). It turns the meter on if it was off.\n"
	"\n"
	"  --json              one JSON object (a line per round with --watch)\n"
	"  --watch             again every interval, until q, Ctrl-C or --timeout\n"
	"  -i, --interval=DUR  time between rounds (default 1s)\n"
	"  --timeout=DURATION  stop watching after that long\n"
	"  -q, -v              fewer or more messages\n"
	"\n"
	"Examples:\n"
	"  sudo netlimit inspect 1234\n"
	"  sudo netlimit inspect $(pidof firefox-esr | cut -d' ' -f1) --json\n"
	"  sudo netlimit inspect 1234 --watch -i 2s\n"
	"\n"
	"Exit status: 0 ok; 64 usage error; 66 no such process; 77 not root;\n"
	"125 netlimit failed.\n";

static volatile sig_atomic_t inspect_stop;

static void on_signal(int sig)
{
	inspect_stop = 1;
}

/* The first line of a /proc file, printable. */
static void proc_line(pid_t pid, const char *what, char *buf, size_t len)
{
	char path[96], raw[4096];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	f = fopen(path, "re");
	if (f) {
		n = fread(raw, 1, sizeof(raw) - 1, f);
		fclose(f);
	}
	/* cmdline separates arguments with NULs. */
	for (size_t i = 0; i + 1 < n; i++)
		if (!raw[i])
			raw[i] = ' ';
	raw[n] = '\0';
	raw[strcspn(raw, "\n")] = '\0';
	nl_printable(raw, buf, len);
}

struct identity {
	pid_t pid, ppid;
	unsigned uid, gid;
	char comm[64], cmdline[1024], exe[512], cgroup[512], unit[256], user[64], group[64];
};

static bool identify(pid_t pid, struct identity *id)
{
	char path[96], line[512], raw[512];
	ssize_t n;
	FILE *f;

	memset(id, 0, sizeof(*id));
	id->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		int v;

		if (sscanf(line, "PPid: %d", &v) == 1)
			id->ppid = v;
		sscanf(line, "Uid: %u", &id->uid);
		sscanf(line, "Gid: %u", &id->gid);
	}
	fclose(f);
	proc_line(pid, "comm", id->comm, sizeof(id->comm));
	proc_line(pid, "cmdline", id->cmdline, sizeof(id->cmdline));
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, raw, sizeof(raw) - 1);
	raw[n > 0 ? n : 0] = '\0';
	nl_printable(raw, id->exe, sizeof(id->exe));
	/* The cgroup2 line ("0::/path"), and the innermost unit on that path. */
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		nl_printable(line + 3, id->cgroup, sizeof(id->cgroup));
	}
	if (f)
		fclose(f);
	for (char *c = id->cgroup; c && *c;) {
		char *next = strchr(c + 1, '/'), seg[256];
		size_t len = next ? (size_t)(next - c) : strlen(c);

		snprintf(seg, sizeof(seg), "%.*s", (int)(len > 1 ? len - 1 : 0), c + 1);
		len = strlen(seg);
		if ((len > 8 && !strcmp(seg + len - 8, ".service")) ||
		    (len > 6 && !strcmp(seg + len - 6, ".scope")))
			snprintf(id->unit, sizeof(id->unit), "%s", seg);
		c = next;
	}
	{
		struct passwd *pw = getpwuid(id->uid);
		struct group *gr = getgrgid(id->gid);

		nl_printable(pw ? pw->pw_name : "", id->user, sizeof(id->user));
		nl_printable(gr ? gr->gr_name : "", id->group, sizeof(id->group));
	}
	return true;
}

/* A socket of the process, from /proc/PID/net/{tcp,udp,raw}[6]. */
struct isock {
	unsigned long ino;
	char proto[8], state[16], local[INET6_ADDRSTRLEN + 8], remote[INET6_ADDRSTRLEN + 8];
	unsigned lport, rport;
	unsigned long txq, rxq;
	struct nl_meter m;
	bool metered;
};

static const char *tcp_state(unsigned st)
{
	static const char *const names[] = { "?",	   "ESTABLISHED", "SYN_SENT",	"SYN_RECV",
					     "FIN_WAIT1",  "FIN_WAIT2",	  "TIME_WAIT",	"CLOSE",
					     "CLOSE_WAIT", "LAST_ACK",	  "LISTEN",	"CLOSING",
					     "NEW_SYN_RECV" };

	return st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}

/* "0100007F:1F90" (IPv4) or 32 hex digits (IPv6), each word in host order. */
static void hex_addr(const char *hex, bool v6, char *buf, size_t len)
{
	__u32 w[4] = { 0 };

	for (int i = 0; i < (v6 ? 4 : 1); i++) {
		char part[9];

		snprintf(part, sizeof(part), "%.8s", hex + 8 * i);
		w[i] = (__u32)strtoul(part, NULL, 16);
	}
	if (!inet_ntop(v6 ? AF_INET6 : AF_INET, w, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

static bool has_ino(const unsigned long *inos, size_t n, unsigned long ino)
{
	for (size_t i = 0; i < n; i++)
		if (inos[i] == ino)
			return true;
	return false;
}

/* The inodes of the process's sockets, from /proc/PID/fd. */
static size_t socket_inodes(pid_t pid, unsigned long **out)
{
	char dir[64], path[320], link[64];
	unsigned long *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		ssize_t len;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (strncmp(link, "socket:[", 8))
			continue;
		if (n == cap) {
			unsigned long *t = realloc(v, (cap = cap ? 2 * cap : 32) * sizeof(*v));

			if (!t)
				break;
			v = t;
		}
		v[n++] = strtoul(link + 8, NULL, 10);
	}
	if (d)
		closedir(d);
	*out = v;
	return n;
}

struct socks {
	struct isock *v;
	size_t n, cap;
};

static void read_proto(pid_t pid, const char *file, const char *proto, bool v6,
		       const unsigned long *inos, size_t ninos, struct socks *s)
{
	char path[96], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)pid, file);
	f = fopen(path, "re");
	if (!f)
		return;
	if (!fgets(line, sizeof(line), f)) { /* the header */
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char la[64], ra[64];
		unsigned lp, rp, st;
		unsigned long tx, rx, ino;
		struct isock *k;

		if (sscanf(line, " %*d: %63[0-9A-Fa-f]:%x %63[0-9A-Fa-f]:%x %x %lx:%lx %*x:%*x %*x %*u %*u %lu",
			   la, &lp, ra, &rp, &st, &tx, &rx, &ino) != 8 ||
		    !has_ino(inos, ninos, ino))
			continue;
		if (s->n == s->cap) {
			struct isock *t = realloc(s->v, (s->cap = s->cap ? 2 * s->cap : 16) *
							      sizeof(*t));

			if (!t)
				break;
			s->v = t;
		}
		k = &s->v[s->n++];
		memset(k, 0, sizeof(*k));
		k->ino = ino;
		snprintf(k->proto, sizeof(k->proto), "%s", proto);
		hex_addr(la, v6, k->local, sizeof(k->local));
		hex_addr(ra, v6, k->remote, sizeof(k->remote));
		k->lport = lp;
		k->rport = rp;
		k->txq = tx;
		k->rxq = rx;
		snprintf(k->state, sizeof(k->state), "%s",
			 !strcmp(proto, "tcp") || !strcmp(proto, "tcp6")
				 ? tcp_state(st)
				 : (rp ? "CONNECTED" : "UNCONNECTED"));
	}
	fclose(f);
}

static int meter_bytes(const struct nl_meter_rec *r, void *ctx)
{
	struct socks *s = ctx;

	if (r->released)
		return 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].ino == r->ino) {
			s->v[i].m = r->m;
			s->v[i].metered = true;
		}
	return 0;
}

/* IPv6 neighbours: netlink, from inside the process's network namespace (a child). */
static void ndp_cache(pid_t pid, char *out, size_t len)
{
	int pfd[2], st;
	size_t got = 0;
	pid_t child;
	ssize_t n;

	out[0] = '\0';
	if (pipe(pfd))
		return;
	child = fork();
	if (child == 0) {
		char path[64], buf[16384];
		struct {
			struct nlmsghdr h;
			struct ndmsg m;
		} req = { .h = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETNEIGH,
				 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
			  .m = { .ndm_family = AF_INET6 } };
		FILE *w;
		int ns, nl;

		close(pfd[0]);
		w = fdopen(pfd[1], "w");
		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
		ns = open(path, O_RDONLY | O_CLOEXEC);
		if (!w || ns < 0 || setns(ns, CLONE_NEWNET))
			_exit(1);
		nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
		if (nl < 0 || send(nl, &req, sizeof(req), 0) < 0)
			_exit(1);
		while ((n = recv(nl, buf, sizeof(buf), 0)) > 0) {
			struct nlmsghdr *h = (struct nlmsghdr *)buf;

			for (; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
				struct ndmsg *m = NLMSG_DATA(h);
				struct rtattr *a = (struct rtattr *)((char *)m + NLMSG_ALIGN(sizeof(*m)));
				int alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
				char dst[INET6_ADDRSTRLEN] = "", ll[32] = "", dev[IF_NAMESIZE] = "?";

				if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
					goto done;
				for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
					unsigned char *d = RTA_DATA(a);

					if (a->rta_type == NDA_DST && RTA_PAYLOAD(a) == 16)
						inet_ntop(AF_INET6, d, dst, sizeof(dst));
					else if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == 6)
						snprintf(ll, sizeof(ll),
							 "%02x:%02x:%02x:%02x:%02x:%02x", d[0], d[1],
							 d[2], d[3], d[4], d[5]);
				}
				if_indextoname((unsigned)m->ndm_ifindex, dev);
				if (dst[0])
					fprintf(w, "%s %s %s %s\n", dst, ll[0] ? ll : "-", dev,
						m->ndm_state & NUD_PERMANENT   ? "permanent"
						: m->ndm_state & NUD_REACHABLE ? "reachable"
						: m->ndm_state & NUD_STALE     ? "stale"
						: m->ndm_state & NUD_FAILED    ? "failed"
									       : "other");
			}
		}
done:
		fclose(w);
		_exit(0);
	}
	close(pfd[1]);
	if (child < 0) {
		close(pfd[0]);
		return;
	}
	while (got + 1 < len && (n = read(pfd[0], out + got, len - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(pfd[0]);
	waitpid(child, &st, 0);
}

/* Read a /proc/PID/net file whole. */
static char *net_file(pid_t pid, const char *name)
{
	char path[96];
	size_t n = 0, cap = 8192;
	char *buf = malloc(cap);
	FILE *f;

	if (!buf)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)pid, name);
	f = fopen(path, "re");
	if (f) {
		size_t got;

		while ((got = fread(buf + n, 1, cap - 1 - n, f)) > 0) {
			n += got;
			if (n + 1 == cap) {
				char *t = realloc(buf, cap *= 2);

				if (!t)
					break;
				buf = t;
			}
		}
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

/* snmp/netstat: pairs of lines, "Tcp: names..." then "Tcp: values...". */
static void json_stats(struct nl_json *j, const char *key, char *text)
{
	char *save = NULL, *names = NULL;

	nl_json_open(j, key, '{');
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':'), *s1 = NULL, *s2 = NULL, *a, *b;

		if (!colon)
			continue;
		if (!names) {
			names = line;
			continue;
		}
		*colon = '\0';
		*strchr(names, ':') = '\0';
		nl_json_open(j, line, '{');
		a = strtok_r(strchr(names, '\0') + 1, " ", &s1);
		b = strtok_r(colon + 1, " ", &s2);
		for (; a && b; a = strtok_r(NULL, " ", &s1), b = strtok_r(NULL, " ", &s2))
			nl_json_int(j, a, strtoll(b, NULL, 10));
		nl_json_close(j, '}');
		names = NULL;
	}
	nl_json_close(j, '}');
}

/* The value of Proto's field in snmp text ("Tcp", "RetransSegs"), or -1. */
static long long stat_of(const char *text, const char *proto, const char *field)
{
	char pre[32], *copy = strdup(text), *save = NULL, *names = NULL;
	long long v = -1;

	snprintf(pre, sizeof(pre), "%s:", proto);
	for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; line && v < 0;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, pre, strlen(pre)))
			continue;
		if (!names) {
			names = line;
			continue;
		}
		{
			char *s1 = NULL, *s2 = NULL, *a = strtok_r(names + strlen(pre), " ", &s1),
			     *b = strtok_r(line + strlen(pre), " ", &s2);

			for (; a && b; a = strtok_r(NULL, " ", &s1), b = strtok_r(NULL, " ", &s2))
				if (!strcmp(a, field))
					v = strtoll(b, NULL, 10);
		}
	}
	free(copy);
	return v;
}

struct view {
	struct identity id;
	char limits[128];
	struct socks s;
	char *dev, *route, *route6, *arp, *snmp, *netstat, ndp[8192];
};

static void view_free(struct view *v)
{
	free(v->s.v);
	free(v->dev);
	free(v->route);
	free(v->route6);
	free(v->arp);
	free(v->snmp);
	free(v->netstat);
	memset(v, 0, sizeof(*v));
}

static int gather(struct nl_dp *dp, struct nl_state *st, pid_t pid, struct view *v)
{
	static const struct {
		const char *file, *proto;
		bool v6;
	} files[] = {
		{ "tcp", "tcp", false },  { "tcp6", "tcp6", true }, { "udp", "udp", false },
		{ "udp6", "udp6", true }, { "raw", "raw", false },  { "raw6", "raw6", true },
	};
	struct nl_use u = { 0 };
	struct nl_use_opts uo = { 0 };
	unsigned long *inos = NULL;
	size_t ninos;

	memset(v, 0, sizeof(*v));
	if (!identify(pid, &v->id))
		return -ESRCH;
	ninos = socket_inodes(pid, &inos);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		read_proto(pid, files[i].file, files[i].proto, files[i].v6, inos, ninos, &v->s);
	free(inos);
	nl_meter_walk(dp, meter_bytes, &v->s);
	/* The limits over it: as top's processes view finds them. */
	if (!nl_use__collect(dp, st, NULL, &u, &uo)) {
		for (size_t i = 0; i < u.n[NL_USE_PROCS]; i++)
			if (u.rows[NL_USE_PROCS][i].id == (__u64)pid &&
			    strlen(u.rows[NL_USE_PROCS][i].who) > strlen(v->limits))
				snprintf(v->limits, sizeof(v->limits), "%s",
					 u.rows[NL_USE_PROCS][i].who);
		nl_use__free(&u);
	}
	v->dev = net_file(pid, "dev");
	v->route = net_file(pid, "route");
	v->route6 = net_file(pid, "ipv6_route");
	v->arp = net_file(pid, "arp");
	v->snmp = net_file(pid, "snmp");
	v->netstat = net_file(pid, "netstat");
	ndp_cache(pid, v->ndp, sizeof(v->ndp));
	return 0;
}

/* Interfaces from /proc/PID/net/dev: name and the four counters. */
static int each_dev(const char *text, int (*fn)(const char *name, unsigned long long *c, void *ctx),
		    void *ctx)
{
	char *copy = strdup(text ? text : ""), *save = NULL;

	for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long c[4];
		char name[64], *colon = strchr(line, ':');

		if (!colon)
			continue;
		*colon = ' ';
		if (sscanf(line, " %63s %llu %llu %*u %*u %*u %*u %*u %*u %llu %llu", name, &c[0],
			   &c[1], &c[2], &c[3]) == 5)
			fn(name, c, ctx);
	}
	free(copy);
	return 0;
}

static int dev_json(const char *name, unsigned long long *c, void *ctx)
{
	struct nl_json *j = ctx;

	nl_json_open(j, NULL, '{');
	nl_json_str(j, "name", name);
	nl_json_u64(j, "rx_bytes", c[0]);
	nl_json_u64(j, "rx_packets", c[1]);
	nl_json_u64(j, "tx_bytes", c[2]);
	nl_json_u64(j, "tx_packets", c[3]);
	nl_json_close(j, '}');
	return 0;
}

static int dev_text(const char *name, unsigned long long *c, void *ctx)
{
	char a[32], b[32];

	printf("  %-16s rx %12s %10llu pkts   tx %12s %10llu pkts\n", name,
	       nl_format_size(c[0], a, sizeof(a)), c[1], nl_format_size(c[2], b, sizeof(b)), c[3]);
	return 0;
}

/* IPv4 routes: "Iface Destination Gateway Flags RefCnt Use Metric Mask ...". */
static void routes4(const char *text, struct nl_json *j)
{
	char *copy = strdup(text ? text : ""), *save = NULL;
	bool first = true;

	for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char dev[64], dst[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN], r[128];
		unsigned d, g, m, metric;
		int plen;

		if (first) {
			first = false;
			continue;
		}
		if (sscanf(line, "%63s %x %x %*x %*d %*d %u %x", dev, &d, &g, &metric, &m) != 5)
			continue;
		inet_ntop(AF_INET, &d, dst, sizeof(dst));
		inet_ntop(AF_INET, &g, gw, sizeof(gw));
		plen = __builtin_popcount(m);
		snprintf(r, sizeof(r), "%s/%d%s%s dev %s metric %u", dst, plen, g ? " via " : "",
			 g ? gw : "", dev, metric);
		if (j)
			nl_json_str(j, NULL, r);
		else
			printf("  %s\n", r);
	}
	free(copy);
}

/* IPv6 routes: "dst plen src plen gw metric refcnt use flags dev" in hex. */
static void routes6(const char *text, struct nl_json *j)
{
	char *copy = strdup(text ? text : ""), *save = NULL;

	for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char dh[33], gh[33], dev[64], dst[INET6_ADDRSTRLEN], gw[INET6_ADDRSTRLEN], r[200];
		unsigned char da[16], ga[16];
		unsigned plen, metric;

		if (sscanf(line, "%32s %x %*s %*x %32s %x %*x %*x %*x %63s", dh, &plen, gh, &metric,
			   dev) != 5)
			continue;
		for (int i = 0; i < 16; i++) {
			unsigned x, y;

			sscanf(dh + 2 * i, "%2x", &x);
			sscanf(gh + 2 * i, "%2x", &y);
			da[i] = (unsigned char)x;
			ga[i] = (unsigned char)y;
		}
		inet_ntop(AF_INET6, da, dst, sizeof(dst));
		inet_ntop(AF_INET6, ga, gw, sizeof(gw));
		snprintf(r, sizeof(r), "%s/%u%s%s dev %s metric %u", dst, plen,
			 strcmp(gw, "::") ? " via " : "", strcmp(gw, "::") ? gw : "", dev, metric);
		if (j)
			nl_json_str(j, NULL, r);
		else
			printf("  %s\n", r);
	}
	free(copy);
}

/* IPv4 neighbours from /proc/PID/net/arp, then the IPv6 ones from netlink. */
static void neighbours(const struct view *v, struct nl_json *j)
{
	char *copy = strdup(v->arp ? v->arp : ""), *save = NULL;
	bool first = true;

	for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char ip[64], hw[64], dev[64], r[240];
		unsigned flags;

		if (first) {
			first = false;
			continue;
		}
		if (sscanf(line, "%63s %*x %x %63s %*s %63s", ip, &flags, hw, dev) != 4)
			continue;
		snprintf(r, sizeof(r), "%s %s %s %s", ip, hw, dev,
			 flags & 0x4 ? "permanent" : flags & 0x2 ? "reachable" : "incomplete");
		if (j)
			nl_json_str(j, NULL, r);
		else
			printf("  %s\n", r);
	}
	free(copy);
	copy = strdup(v->ndp);
	save = NULL;
	for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char safe[256];

		nl_printable(line, safe, sizeof(safe));
		if (j)
			nl_json_str(j, NULL, safe);
		else
			printf("  %s\n", safe);
	}
	free(copy);
}

static void print_json(const struct view *v)
{
	struct nl_json j;
	char *t;

	nl_json_init(&j, stdout);
	nl_json_open(&j, NULL, '{');
	nl_json_u64(&j, "pid", (unsigned long long)v->id.pid);
	nl_json_u64(&j, "ppid", (unsigned long long)v->id.ppid);
	nl_json_str(&j, "comm", v->id.comm);
	nl_json_str(&j, "cmdline", v->id.cmdline);
	nl_json_str(&j, "exe", v->id.exe);
	nl_json_u64(&j, "uid", v->id.uid);
	nl_json_str(&j, "user", v->id.user);
	nl_json_u64(&j, "gid", v->id.gid);
	nl_json_str(&j, "group", v->id.group);
	nl_json_str(&j, "cgroup", v->id.cgroup);
	nl_json_str(&j, "unit", v->id.unit);
	nl_json_str(&j, "limits", v->limits);
	nl_json_open(&j, "sockets", '[');
	for (size_t i = 0; i < v->s.n; i++) {
		const struct isock *k = &v->s.v[i];

		nl_json_open(&j, NULL, '{');
		nl_json_str(&j, "proto", k->proto);
		nl_json_str(&j, "state", k->state);
		nl_json_str(&j, "local", k->local);
		nl_json_u64(&j, "local_port", k->lport);
		nl_json_str(&j, "remote", k->remote);
		nl_json_u64(&j, "remote_port", k->rport);
		nl_json_u64(&j, "send_queue", k->txq);
		nl_json_u64(&j, "recv_queue", k->rxq);
		nl_json_u64(&j, "inode", k->ino);
		nl_json_bool(&j, "metered", k->metered);
		nl_json_u64(&j, "in_bytes", k->m.in_bytes);
		nl_json_u64(&j, "in_packets", k->m.in_packets);
		nl_json_u64(&j, "out_bytes", k->m.out_bytes);
		nl_json_u64(&j, "out_packets", k->m.out_packets);
		nl_json_close(&j, '}');
	}
	nl_json_close(&j, ']');
	nl_json_open(&j, "interfaces", '[');
	each_dev(v->dev, dev_json, &j);
	nl_json_close(&j, ']');
	nl_json_open(&j, "routes", '[');
	routes4(v->route, &j);
	routes6(v->route6, &j);
	nl_json_close(&j, ']');
	nl_json_open(&j, "neighbours", '[');
	neighbours(v, &j);
	nl_json_close(&j, ']');
	t = strdup(v->snmp ? v->snmp : "");
	if (t)
		json_stats(&j, "snmp", t);
	free(t);
	t = strdup(v->netstat ? v->netstat : "");
	if (t)
		json_stats(&j, "netstat", t);
	free(t);
	nl_json_close(&j, '}');
}

static void print_text(const struct view *v)
{
	char a[32], b[32], la[80], ra[80];

	printf("process %d (%s), parent %d\n", (int)v->id.pid, v->id.comm, (int)v->id.ppid);
	printf("  command  %s\n  exe      %s\n", v->id.cmdline, v->id.exe);
	printf("  user     %s (%u), group %s (%u)\n", v->id.user, v->id.uid, v->id.group,
	       v->id.gid);
	printf("  cgroup   %s%s%s\n", v->id.cgroup, v->id.unit[0] ? ", unit " : "", v->id.unit);
	printf("  limits   %s\n", v->limits[0] ? v->limits : "none");
	printf("sockets (bytes: the meter's, since it is on)\n");
	printf("  %-5s %-12s %-28s %-28s %8s %8s %12s %12s\n", "PROTO", "STATE", "LOCAL", "REMOTE",
	       "SEND-Q", "RECV-Q", "IN", "OUT");
	for (size_t i = 0; i < v->s.n; i++) {
		const struct isock *k = &v->s.v[i];

		snprintf(la, sizeof(la), "%s:%u", k->local, k->lport);
		snprintf(ra, sizeof(ra), "%s:%u", k->remote, k->rport);
		printf("  %-5s %-12s %-28s %-28s %8lu %8lu %12s %12s\n", k->proto, k->state, la, ra,
		       k->txq, k->rxq, k->metered ? nl_format_size(k->m.in_bytes, a, sizeof(a)) : "-",
		       k->metered ? nl_format_size(k->m.out_bytes, b, sizeof(b)) : "-");
	}
	if (!v->s.n)
		printf("  (none)\n");
	printf("interfaces (its network namespace)\n");
	each_dev(v->dev, dev_text, NULL);
	printf("routes\n");
	routes4(v->route, NULL);
	routes6(v->route6, NULL);
	printf("neighbours\n");
	neighbours(v, NULL);
	printf("protocols\n");
	printf("  tcp  segments in %lld out %lld, retransmitted %lld, resets sent %lld\n",
	       stat_of(v->snmp, "Tcp", "InSegs"), stat_of(v->snmp, "Tcp", "OutSegs"),
	       stat_of(v->snmp, "Tcp", "RetransSegs"), stat_of(v->snmp, "Tcp", "OutRsts"));
	printf("  udp  datagrams in %lld out %lld, errors in %lld, no port %lld, buffer errors "
	       "%lld/%lld\n",
	       stat_of(v->snmp, "Udp", "InDatagrams"), stat_of(v->snmp, "Udp", "OutDatagrams"),
	       stat_of(v->snmp, "Udp", "InErrors"), stat_of(v->snmp, "Udp", "NoPorts"),
	       stat_of(v->snmp, "Udp", "RcvbufErrors"), stat_of(v->snmp, "Udp", "SndbufErrors"));
	printf("  icmp messages in %lld out %lld, errors in %lld\n",
	       stat_of(v->snmp, "Icmp", "InMsgs"), stat_of(v->snmp, "Icmp", "OutMsgs"),
	       stat_of(v->snmp, "Icmp", "InErrors"));
}

int nl_cmd_inspect(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "watch", no_argument, NULL, 'w' },
		{ "interval", required_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct sigaction sa = { .sa_handler = on_signal };
	__u64 interval_ns = 1000000000ULL, timeout_ns = 0;
	bool json = false, watch = false, tty;
	int hold = -1;
	struct nl_state *st = NULL;
	struct nl_dp *dp = NULL;
	struct timespec t0, t;
	char *end;
	long pid;
	__u64 rounds = 0;
	int c, status = NL_EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:hqv", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'w':
			watch = true;
			break;
		case 'i':
		case 'T':
			if (nl_opt_duration(c == 'i' ? "interval" : "timeout", optarg,
					    c == 'i' ? &interval_ns : &timeout_ns,
					    c == 'i' ? 86400ULL * 1000000000ULL : 0, false))
				return NL_EXIT_USAGE;
			break;
		case 'q':
		case 'v':
			nl_verbosity = c == 'q' ? NL_QUIET : NL_VERBOSE;
			break;
		case 'h':
			fputs(inspect_usage, stdout);
			return NL_EXIT_OK;
		default:
			nl_opt_unknown("inspect", c, argv);
			return NL_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		nl_err("inspect takes one PID (see 'netlimit inspect --help')");
		return NL_EXIT_USAGE;
	}
	errno = 0;
	pid = strtol(argv[optind], &end, 10);
	if (errno || *end || pid <= 0 || pid > 4194304 || !(argv[optind][0] >= '0' &&
							     argv[optind][0] <= '9')) {
		nl_err("inspect: '%s' is not a PID (a positive number)", argv[optind]);
		return NL_EXIT_USAGE;
	}
	if (geteuid() != 0) {
		nl_err("inspect needs root: it reads other processes' sockets and the meter; run "
		       "it with sudo");
		return NL_EXIT_NOPERM;
	}
	{
		char path[64];

		snprintf(path, sizeof(path), "/proc/%ld/status", pid);
		if (access(path, F_OK)) {
			nl_err("inspect: no process %ld (see ps)", pid);
			return NL_EXIT_NOTARGET;
		}
	}
	status = nl_meter_hold("netlimit inspect", &st, &dp, &hold);
	if (status)
		return status;
	tty = isatty(STDOUT_FILENO);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!inspect_stop) {
		struct view v;
		int err = gather(dp, st, (pid_t)pid, &v);

		if (err) {
			nl_err("inspect: process %ld has ended", pid);
			status = watch ? NL_EXIT_OK : NL_EXIT_NOTARGET;
			break;
		}
		if (watch && tty && !json)
			fputs("\033[H\033[2J", stdout);
		if (json)
			print_json(&v);
		else
			print_text(&v);
		fflush(stdout);
		view_free(&v);
		if (!watch)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (timeout_ns && (__u64)(t.tv_sec - t0.tv_sec) * 1000000000ULL +
						  (__u64)(t.tv_nsec - t0.tv_nsec) >=
					  timeout_ns)
			break;
		{
			/* Rounds at a fixed rate: the work of one does not delay the next. */
			struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
			__u64 el = (__u64)(t.tv_sec - t0.tv_sec) * 1000000000ULL +
				   (__u64)(t.tv_nsec - t0.tv_nsec);
			__u64 next = (++rounds) * interval_ns;
			char key;

			if (poll(&pfd, tty && isatty(STDIN_FILENO) ? 1 : 0,
				 next > el ? (int)((next - el) / 1000000ULL) : 0) > 0 &&
			    read(STDIN_FILENO, &key, 1) == 1 && (key == 'q' || key == 'Q'))
				break;
		}
	}
	nl_meter_unhold(st, dp, hold);
	return status;
}
