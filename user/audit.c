// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `netlimit audit`: who talked to whom. One record per connection (socket)
 * of every process, from the dataplane's audit ring (bpf/dataplane.bpf.c,
 * audit_close, at each socket's release), and one per remote peer for
 * unconnected UDP sockets (nl_udp_peers). The owner was recorded in the
 * kernel when the socket was made, so short-lived processes are attributed
 * exactly. Records go to stdout or a file that is appended to and rotated.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "audit.h"
#include "cgroup.h"
#include "dataplane_user.h"
#include "exitcode.h"
#include "json.h"
#include "log.h"
#include "meter.h"
#include "opts.h"
#include "size.h"
#include "state.h"
#include "text.h"

static const char audit_usage[] =
	"Usage: netlimit audit [--json] [--output=FILE [--rotate=SIZE] [--keep=N]]\n"
	"                      [--cgroup=PATH | --pid=PID] [--timeout=DURATION]\n"
	"\n"
	"One record per connection of every process of the machine: when it opened\n"
	"and closed, pid, parent pid, command, executable, user and group (names\n"
	"and ids), cgroup and unit, protocol, local and remote address and port,\n"
	"bytes and packets each way; for an unconnected UDP socket, one record per\n"
	"remote peer. The kernel records the owner when the socket is made, so a\n"
	"process that is gone before netlimit looks is attributed all the same.\n"
	"A record is written a second after its socket closes (a packet that met the\n"
	"close is added to it); the ones still open when audit ends are written\n"
	"then, with \"closed\" empty. Records the kernel's ring had no room for are\n"
	"counted and reported.\n"
	"\n"
	"  --json              one JSON object per record (JSON lines)\n"
	"  --output=FILE       append to FILE (made 0600); SIGHUP reopens it\n"
	"  --rotate=SIZE       move FILE to FILE.1 (FILE.1 to FILE.2 ...) past SIZE\n"
	"  --keep=N            rotated files kept (default 5)\n"
	"  --cgroup=PATH       only sockets of this cgroup and below\n"
	"  --pid=PID           only sockets this process made\n"
	"  --timeout=DURATION  stop after that long\n"
	"  -q, -v              fewer or more messages\n"
	"\n"
	"Examples:\n"
	"  sudo netlimit audit\n"
	"  sudo netlimit audit --json --output=/var/log/netlimit/audit.jsonl --rotate=100M\n"
	"  sudo netlimit audit --cgroup=/system.slice/nginx.service --json\n"
	"\n"
	"Exit status: 0 ok (ended by --timeout or a signal); 64 usage error; 66 no such\n"
	"process or cgroup; 77 not root; 125 netlimit failed.\n";

struct audit_opts {
	bool json;
	const char *output;
	__u64 rotate;
	int keep;
	__u64 cgroup_id; /* 0: every cgroup */
	char cgroup[512];
	__u32 pid;
	__u64 timeout_ns;
};

struct audit {
	struct audit_opts o;
	FILE *out;
	int out_fd;
	__u64 written; /* bytes in the current file */
	double wall_off; /* CLOCK_REALTIME - CLOCK_MONOTONIC, seconds */
	struct nl_dp *dp;
	unsigned long long records, lost_seen;
	/* Unconnected UDP sockets closed since the last sweep of nl_udp_peers. */
	struct closed_udp {
		__u64 cookie;
		bool open; /* at the end: a socket still open */
		struct nl_audit_rec rec;
	} *closed;
	size_t nclosed, capclosed;
	/* TCP sockets released, their connection not over (by cookie, open addressing). */
	struct pending {
		__u64 cookie; /* 0: free; ~0: deleted */
		struct nl_audit_rec rec;
	} *pend;
	size_t npend, cappend; /* used slots (deleted included), table size */
	/*
	 * Records of finished connections held HOLD_S before they are written,
	 * so that a packet that met the connection's end (NL_AUDIT_LATE) is
	 * added to its record: a ring, oldest at hold_head.
	 */
	struct nl_audit_rec *held;
	size_t hold_head, nheld, capheld;
	unsigned long long late;
	/* Cookies of the connections written as open at the end. */
	__u64 *open;
	size_t nopen, capopen;
	bool draining;
	/*
	 * Names looked up lately: a record costs no NSS lookup (each reads
	 * /etc/passwd or /etc/group whole) and no readlink for a process seen
	 * in the last second. Direct-mapped; entries age out (NAME_TTL_S).
	 */
	struct name_memo {
		__u32 id;
		double at; /* CLOCK_MONOTONIC seconds; 0: empty */
		char name[64];
	} users[256], groups[256];
	struct exe_memo {
		__u32 tgid;
		double at;
		char leaf[NL_EXE_PART]; /* what the kernel kept: tells a reused PID */
		char path[512];
	} *exes; /* EXE_MEMO of them */
};

#define NAME_TTL_S 10.0
#define EXE_TTL_S  1.0
#define EXE_MEMO   1024

#define PEND_DEAD (~0ULL)
/* How long a finished connection's record waits for packets that met its end. */
#define HOLD_S 1.0

static struct pending *pend_slot(struct audit *a, __u64 cookie, bool insert)
{
	size_t mask = a->cappend - 1, i;
	struct pending *dead = NULL;

	if (!a->cappend)
		return NULL;
	for (i = (size_t)(cookie * 0x9e3779b97f4a7c15ULL) & mask;; i = (i + 1) & mask) {
		struct pending *p = &a->pend[i];

		if (p->cookie == cookie)
			return p;
		if (p->cookie == PEND_DEAD && !dead)
			dead = p;
		if (!p->cookie)
			return insert ? (dead ? dead : p) : NULL;
	}
}

static void pend_add(struct audit *a, const struct nl_audit_rec *r)
{
	struct pending *p;

	if (a->npend * 2 >= a->cappend) {
		/* Grow (and drop deleted slots): rehash the live ones. */
		struct pending *old = a->pend;
		size_t oldcap = a->cappend, cap = oldcap ? 2 * oldcap : 1024;

		a->pend = calloc(cap, sizeof(*a->pend));
		if (!a->pend) {
			a->pend = old;
			return;
		}
		a->cappend = cap;
		a->npend = 0;
		for (size_t i = 0; i < oldcap; i++)
			if (old[i].cookie && old[i].cookie != PEND_DEAD) {
				p = pend_slot(a, old[i].cookie, true);
				*p = old[i];
				a->npend++;
			}
		free(old);
	}
	p = pend_slot(a, r->cookie, true);
	if (!p->cookie || p->cookie == PEND_DEAD)
		a->npend += !p->cookie;
	p->cookie = r->cookie;
	p->rec = *r;
}

static void pend_del(struct audit *a, __u64 cookie)
{
	struct pending *p = pend_slot(a, cookie, false);

	if (p)
		p->cookie = PEND_DEAD;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static volatile sig_atomic_t audit_stop, audit_reopen;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		audit_reopen = 1;
	else
		audit_stop = 1;
}

static int open_output(struct audit *a)
{
	struct stat sb;
	int fd;

	if (!a->o.output) {
		a->out = stdout;
		return 0;
	}
	fd = open(a->o.output, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		nl_err("audit: cannot open %s: %s", a->o.output, strerror(errno));
		return -errno;
	}
	a->written = !fstat(fd, &sb) ? (__u64)sb.st_size : 0;
	if (a->out && a->out != stdout)
		fclose(a->out);
	a->out = fdopen(fd, "a");
	if (!a->out) {
		close(fd);
		return -ENOMEM;
	}
	return 0;
}

/* FILE -> FILE.1 -> ... -> FILE.keep (the oldest goes), then a new FILE. */
static void rotate(struct audit *a)
{
	char from[600], to[600];

	for (int i = a->o.keep; i >= 1; i--) {
		if (i == 1)
			snprintf(from, sizeof(from), "%s", a->o.output);
		else
			snprintf(from, sizeof(from), "%s.%d", a->o.output, i - 1);
		snprintf(to, sizeof(to), "%s.%d", a->o.output, i);
		rename(from, to);
	}
	open_output(a);
}

/* One whole line per write: appends from several writers never interleave. */
static void emit(struct audit *a, const char *line, size_t len)
{
	if (a->o.output && a->o.rotate && a->written + len > a->o.rotate && a->written)
		rotate(a);
	fwrite(line, 1, len, a->out);
	fflush(a->out);
	a->written += len;
	a->records++;
}

static void when(double mono_s, double off, char *buf, size_t len)
{
	time_t t = (time_t)(mono_s + off);
	struct tm tm;
	char base[32];

	gmtime_r(&t, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", base, (int)((mono_s + off - (double)t) * 1000) % 1000);
}

static const char *proto_name(__u32 p)
{
	return p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" : p == IPPROTO_ICMP ? "icmp"
		: p == IPPROTO_ICMPV6 ? "icmpv6" : p == IPPROTO_RAW ? "raw" : "other";
}

static double mono_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A user's (users) or group's name, printable; "" when it has none. */
static const char *id_name(struct name_memo *memo, __u32 id, bool user)
{
	struct name_memo *e = &memo[id % 256];
	double now = mono_now();
	const char *n = NULL;

	if (e->at && e->id == id && now - e->at < NAME_TTL_S)
		return e->name;
	if (user) {
		struct passwd *pw = getpwuid(id);

		n = pw ? pw->pw_name : NULL;
	} else {
		struct group *gr = getgrgid(id);

		n = gr ? gr->gr_name : NULL;
	}
	nl_printable(n ? n : "", e->name, sizeof(e->name));
	e->id = id;
	e->at = now;
	return e->name;
}

/* The executable: /proc/PID/exe while the process lives, else what the kernel kept. */
static void exe_path(struct audit *a, const struct nl_audit_rec *r, char *buf, size_t len)
{
	struct exe_memo *e = &a->exes[r->tgid % EXE_MEMO];
	char path[64], raw[512] = "";
	double now = mono_now();
	ssize_t n;
	size_t off = 0;
	int last = -1;

	if (e->at && e->tgid == r->tgid && now - e->at < EXE_TTL_S &&
	    !strncmp(e->leaf, r->exe.part[0], sizeof(e->leaf))) {
		snprintf(buf, len, "%s", e->path);
		return;
	}
	snprintf(path, sizeof(path), "/proc/%u/exe", r->tgid);
	n = r->tgid ? readlink(path, raw, sizeof(raw) - 1) : -1;
	if (n > 0) {
		raw[n] = '\0';
		nl_printable(raw, buf, len);
		e->tgid = r->tgid;
		e->at = now;
		memcpy(e->leaf, r->exe.part[0], sizeof(e->leaf));
		snprintf(e->path, sizeof(e->path), "%s", buf);
		return;
	}
	for (int i = 0; i < NL_EXE_PARTS && r->exe.part[i][0]; i++)
		last = i;
	raw[0] = '\0';
	/* Leaf first in the record; the root ("/") is the last part when reached. */
	for (int i = last; i >= 0; i--) {
		const char *p = r->exe.part[i];

		if (!strcmp(p, "/"))
			continue;
		off += (size_t)snprintf(raw + off, sizeof(raw) - off, "/%.*s", NL_EXE_PART, p);
		if (off >= sizeof(raw))
			break;
	}
	if (last >= 0 && strcmp(r->exe.part[last], "/"))
		snprintf(buf, len, "...%s", raw); /* deeper than the parts kept */
	else
		nl_printable(raw, buf, len);
}

static bool wanted(struct audit *a, const struct nl_audit_rec *r)
{
	const char *p, *want;

	if (a->o.pid && r->tgid != a->o.pid)
		return false;
	if (!a->o.cgroup_id || r->cgroup_id == a->o.cgroup_id)
		return true;
	p = nl_cgnames_get(r->cgroup_id);
	if (!p) {
		nl_cgnames_load(nl_dp__base(a->dp));
		p = nl_cgnames_get(r->cgroup_id);
	}
	want = nl_cgnames_get(a->o.cgroup_id);
	return p && want && !strncmp(p, want, strlen(want)) &&
	       (p[strlen(want)] == '/' || !strcmp(want, "/"));
}

/* Write one record: a socket (peer NULL) or one peer of an unconnected UDP socket. */
static void write_record(struct audit *a, const struct nl_audit_rec *r,
			 const struct nl_udp_peer_key *pk, const struct nl_udp_peer *pv, bool open)
{
	char la[INET6_ADDRSTRLEN] = "", ra[INET6_ADDRSTRLEN] = "", opened[40], closed[40] = "";
	char exe[512], user[64], group[64], cg[512] = "", unit[256] = "", comm[17], *line = NULL;
	const struct nl_meter *m = pv ? &pv->m : &r->m;
	int af = r->fam == NL_FAM_V6 ? AF_INET6 : AF_INET;
	unsigned rport = pk ? pk->port : r->rport;
	size_t len = 0;
	FILE *f;

	inet_ntop(af, r->laddr, la, sizeof(la));
	inet_ntop(pk ? (pk->fam == NL_FAM_V6 ? AF_INET6 : AF_INET) : af, pk ? pk->addr : r->raddr, ra,
		  sizeof(ra));
	when((double)(pv ? pv->first_ns : r->open_ns) / 1e9, a->wall_off, opened, sizeof(opened));
	if (!open)
		when((double)(pv ? pv->last_ns : r->close_ns) / 1e9, a->wall_off, closed,
		     sizeof(closed));
	exe_path(a, r, exe, sizeof(exe));
	snprintf(user, sizeof(user), "%s", id_name(a->users, r->uid, true));
	snprintf(group, sizeof(group), "%s", id_name(a->groups, r->gid, false));
	{
		const char *p = nl_cgnames_get(r->cgroup_id);

		if (!p) {
			nl_cgnames_load(nl_dp__base(a->dp));
			p = nl_cgnames_get(r->cgroup_id);
		}
		if (p) {
			nl_printable(p, cg, sizeof(cg));
			for (const char *c = strrchr(cg, '/'); c; c = NULL) {
				size_t n = strlen(c + 1);

				if ((n > 8 && !strcmp(c + 1 + n - 8, ".service")) ||
				    (n > 6 && !strcmp(c + 1 + n - 6, ".scope")))
					snprintf(unit, sizeof(unit), "%.255s", c + 1);
			}
		}
	}
	snprintf(comm, sizeof(comm), "%.16s", r->comm);
	nl_printable(comm, comm, sizeof(comm));
	f = open_memstream(&line, &len);
	if (!f)
		return;
	if (a->o.json) {
		struct nl_json j;

		nl_json_init(&j, f);
		nl_json_open(&j, NULL, '{');
		nl_json_str(&j, "opened", opened);
		if (open)
			nl_json_null(&j, "closed");
		else
			nl_json_str(&j, "closed", closed);
		nl_json_u64(&j, "pid", r->tgid);
		nl_json_u64(&j, "ppid", r->ppid);
		nl_json_str(&j, "comm", comm);
		nl_json_str(&j, "exe", exe);
		nl_json_u64(&j, "uid", r->uid);
		nl_json_str(&j, "user", user);
		nl_json_u64(&j, "gid", r->gid);
		nl_json_str(&j, "group", group);
		nl_json_u64(&j, "cgroup_id", r->cgroup_id);
		nl_json_str(&j, "cgroup", cg);
		nl_json_str(&j, "unit", unit);
		nl_json_str(&j, "proto", proto_name(r->proto));
		nl_json_str(&j, "family", r->fam == NL_FAM_V6 ? "ipv6" : "ipv4");
		nl_json_str(&j, "local", la);
		nl_json_u64(&j, "local_port", r->lport);
		nl_json_str(&j, "remote", ra);
		nl_json_u64(&j, "remote_port", rport);
		nl_json_bool(&j, "peer", pk != NULL);
		nl_json_u64(&j, "in_bytes", m->in_bytes);
		nl_json_u64(&j, "in_packets", m->in_packets);
		nl_json_u64(&j, "out_bytes", m->out_bytes);
		nl_json_u64(&j, "out_packets", m->out_packets);
		nl_json_u64(&j, "cookie", r->cookie);
		nl_json_close(&j, '}');
	} else {
		fprintf(f,
			"%s %s %s %s:%u -> %s:%u pid %u ppid %u %s exe %s user %s(%u) group %s(%u) "
			"cgroup %s%s%s in %llu B %llu pkts out %llu B %llu pkts%s\n",
			opened, open ? "open" : closed, proto_name(r->proto), la, r->lport, ra,
			rport, r->tgid, r->ppid, comm, exe, user, r->uid, group, r->gid,
			cg[0] ? cg : "?", unit[0] ? " unit " : "", unit,
			(unsigned long long)m->in_bytes, (unsigned long long)m->in_packets,
			(unsigned long long)m->out_bytes, (unsigned long long)m->out_packets,
			pk ? " (peer)" : "");
	}
	fclose(f);
	emit(a, line, len);
	free(line);
}

static bool unconnected_udp(const struct nl_audit_rec *r)
{
	static const __u8 zero[16];

	return r->proto == IPPROTO_UDP && !r->rport && !memcmp(r->raddr, zero, 16);
}

/* The peers of the unconnected UDP sockets closed since the last sweep. */
static void sweep_peers(struct audit *a)
{
	int fd = nl_dp__map_fd(a->dp, NL_MAP_UDP_PEERS);
	struct nl_udp_peer_key k, next, *kp = NULL;
	struct nl_udp_peer v;

	if (!a->nclosed)
		return;
	while (!bpf_map_get_next_key(fd, kp, &next)) {
		k = next;
		kp = &k;
		for (size_t i = 0; i < a->nclosed; i++) {
			if (a->closed[i].cookie != k.cookie || bpf_map_lookup_elem(fd, &k, &v))
				continue;
			write_record(a, &a->closed[i].rec, &k, &v, a->closed[i].open);
			bpf_map_delete_elem(fd, &k);
			break;
		}
	}
	a->nclosed = 0;
}

static bool note_udp(struct audit *a, const struct nl_audit_rec *r, bool open);

/* The held record i places after the oldest. */
static struct nl_audit_rec *held_at(struct audit *a, size_t i)
{
	return &a->held[(a->hold_head + i) % a->capheld];
}

/* Hold a finished connection's record (written at once if there is no room). */
static void hold(struct audit *a, const struct nl_audit_rec *r)
{
	if (a->nheld == a->capheld) {
		size_t cap = a->capheld ? 2 * a->capheld : 256;
		struct nl_audit_rec *v = malloc(cap * sizeof(*v));

		if (!v) {
			write_record(a, r, NULL, NULL, false);
			return;
		}
		for (size_t i = 0; i < a->nheld; i++)
			v[i] = *held_at(a, i);
		free(a->held);
		a->held = v;
		a->capheld = cap;
		a->hold_head = 0;
	}
	*held_at(a, a->nheld++) = *r;
}

/* Write the held records that have waited HOLD_S (all of them if all). */
static void release_held(struct audit *a, bool all)
{
	double now = mono_now();

	while (a->nheld) {
		const struct nl_audit_rec *r = held_at(a, 0);

		if (!all && (double)r->close_ns / 1e9 + HOLD_S > now)
			break;
		write_record(a, r, NULL, NULL, false);
		a->hold_head = (a->hold_head + 1) % a->capheld;
		a->nheld--;
	}
}

/* A packet that met its connection's end: into the held record, newest first. */
static void add_late(struct audit *a, const struct nl_audit_rec *r)
{
	a->late++;
	for (size_t i = a->nheld; i-- > 0;) {
		struct nl_audit_rec *h = held_at(a, i);

		if (h->cookie != r->cookie)
			continue;
		h->m.in_bytes += r->m.in_bytes;
		h->m.in_packets += r->m.in_packets;
		h->m.out_bytes += r->m.out_bytes;
		h->m.out_packets += r->m.out_packets;
		return;
	}
	/* Its record is out already (or was written as open): a record of its own. */
	if (r->m.in_packets | r->m.out_packets)
		write_record(a, r, NULL, NULL, false);
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct audit *a = ctx;
	const struct nl_audit_rec *r = data;

	if (size < sizeof(*r) || !wanted(a, r))
		return 0;
	if (r->kind == NL_AUDIT_PENDING) {
		pend_add(a, r);
		return 0;
	}
	if (r->kind != NL_AUDIT_CLOSE && r->kind != NL_AUDIT_LATE)
		return 0;
	if (r->kind == NL_AUDIT_CLOSE)
		pend_del(a, r->cookie);
	if (a->draining && a->nopen &&
	    bsearch(&r->cookie, a->open, a->nopen, sizeof(*a->open), cmp_u64))
		return 0; /* written as open already */
	if (r->kind == NL_AUDIT_LATE) {
		add_late(a, r);
		return 0;
	}
	if (unconnected_udp(r) && note_udp(a, r, false))
		return 0; /* counted per peer */
	hold(a, r);
	return 0;
}

/* Remember an unconnected UDP socket for the next sweep; true if it had traffic. */
static bool note_udp(struct audit *a, const struct nl_audit_rec *r, bool open)
{
	{
		/* Its peers' records, from nl_udp_peers, at the next sweep. */
		if (a->nclosed == a->capclosed) {
			size_t cap = a->capclosed ? 2 * a->capclosed : 64;
			struct closed_udp *v = realloc(a->closed, cap * sizeof(*v));

			if (!v)
				return false;
			a->closed = v;
			a->capclosed = cap;
		}
		a->closed[a->nclosed].cookie = r->cookie;
		a->closed[a->nclosed].open = open;
		a->closed[a->nclosed].rec = *r;
		a->nclosed++;
	}
	return r->m.in_packets | r->m.out_packets;
}

/* At the end: the connections still open, as records with no close time. */
static int open_one(const struct nl_meter_rec *m, void *ctx)
{
	struct audit *a = ctx;
	struct nl_audit_rec r = { .kind = NL_AUDIT_CLOSE };

	if (m->released)
		return 0; /* a pending record of the ring stands for it */
	r.proto = m->proto;
	r.cookie = m->cookie;
	r.tgid = m->tgid;
	r.ppid = m->ppid;
	r.uid = m->uid;
	r.gid = m->gid;
	r.open_ns = m->open_ns;
	memcpy(r.laddr, m->laddr, 16);
	r.cgroup_id = m->cgroup_id;
	memcpy(r.comm, m->comm, sizeof(r.comm));
	r.fam = m->fam;
	r.lport = m->lport;
	r.rport = m->rport;
	memcpy(r.raddr, m->raddr, 16);
	r.m = m->m;
	if (!wanted(a, &r))
		return 0;
	if (a->nopen == a->capopen) {
		size_t cap = a->capopen ? 2 * a->capopen : 256;
		__u64 *v = realloc(a->open, cap * sizeof(*v));

		if (v) {
			a->open = v;
			a->capopen = cap;
		}
	}
	if (a->nopen < a->capopen)
		a->open[a->nopen++] = r.cookie;
	/* Released but not finished (its FIN unanswered yet): a record, still open. */
	if (!unconnected_udp(&r) || !note_udp(a, &r, true))
		write_record(a, &r, NULL, NULL, true);
	return 0;
}

static void report_lost(struct audit *a)
{
	unsigned long long lost = __atomic_load_n(&nl_dp__conf(a->dp)->audit_lost, __ATOMIC_RELAXED);

	if (lost > a->lost_seen) {
		nl_err("audit: %llu records lost: the kernel's ring was full (the reader is too "
		       "slow)",
		       lost - a->lost_seen);
		a->lost_seen = lost;
	}
}

/*
 * The ring has one reader: take it (conf->audit holds the reader's PID), or
 * from a reader that died; refuse while another lives.
 */
static int take_ring(struct nl_conf *c)
{
	__u32 me = (__u32)getpid(), holder = 0;

	for (int tries = 0; tries < 3; tries++) {
		if (__atomic_compare_exchange_n(&c->audit, &holder, me, false, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			return 0;
		if (holder && !kill((pid_t)holder, 0)) {
			nl_err("audit: another netlimit audit (pid %u) is reading the records; one "
			       "reads at a time",
			       holder);
			return NL_EXIT_USAGE;
		}
		/* holder is gone (killed): its place is free. */
	}
	nl_err("audit: cannot take the audit ring");
	return NL_EXIT_FAIL;
}

static int parse_opts(int argc, char **argv, struct audit_opts *o)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "rotate", required_argument, NULL, 'R' },
		{ "keep", required_argument, NULL, 'K' },
		{ "cgroup", required_argument, NULL, 'C' },
		{ "pid", required_argument, NULL, 'P' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *why;
	char *end, path[96], mnt[256];
	long v;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:hqv", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'o':
			if (!*optarg) {
				nl_err("--output: empty; name a file");
				return NL_EXIT_USAGE;
			}
			o->output = optarg;
			break;
		case 'R':
			if (nl_parse_size(optarg, &o->rotate, &why)) {
				nl_err("--rotate: '%s' %s", optarg, why);
				return NL_EXIT_USAGE;
			}
			break;
		case 'K':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || v < 1 || v > 1000 || optarg[0] == ' ') {
				nl_err("--keep: '%s' is not a number from 1 to 1000", optarg);
				return NL_EXIT_USAGE;
			}
			o->keep = (int)v;
			break;
		case 'C':
			if (nl_cgroup_mount(mnt, sizeof(mnt))) {
				nl_err("audit: no cgroup2 mount");
				return NL_EXIT_UNSUPPORTED;
			}
			if (optarg[0] == '/' && strncmp(optarg, mnt, strlen(mnt)))
				snprintf(o->cgroup, sizeof(o->cgroup), "%s%s", mnt, optarg);
			else if (optarg[0] == '/')
				snprintf(o->cgroup, sizeof(o->cgroup), "%s", optarg);
			else
				snprintf(o->cgroup, sizeof(o->cgroup), "%s/%s", mnt, optarg);
			if (nl_cgroup_id(o->cgroup, &o->cgroup_id)) {
				nl_err("audit --cgroup: no cgroup '%s' (see /proc/PID/cgroup)", optarg);
				return NL_EXIT_NOTARGET;
			}
			break;
		case 'P':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || v <= 0 || optarg[0] < '0' || optarg[0] > '9') {
				nl_err("--pid: '%s' is not a PID", optarg);
				return NL_EXIT_USAGE;
			}
			snprintf(path, sizeof(path), "/proc/%ld", v);
			if (access(path, F_OK)) {
				nl_err("audit --pid: no process %ld (see ps)", v);
				return NL_EXIT_NOTARGET;
			}
			o->pid = (__u32)v;
			break;
		case 'T':
			if (nl_opt_duration("timeout", optarg, &o->timeout_ns, 0, false))
				return NL_EXIT_USAGE;
			break;
		case 'q':
		case 'v':
			nl_verbosity = c == 'q' ? NL_QUIET : NL_VERBOSE;
			break;
		case 'h':
			fputs(audit_usage, stdout);
			return -1;
		default:
			nl_opt_unknown("audit", c, argv);
			return NL_EXIT_USAGE;
		}
	}
	if (nl_opt_no_args("audit", argc, argv))
		return NL_EXIT_USAGE;
	if (o->cgroup_id && o->pid) {
		nl_err("audit takes --cgroup or --pid, not both");
		return NL_EXIT_USAGE;
	}
	if ((o->rotate || o->keep) && !o->output) {
		nl_err("--rotate and --keep need --output=FILE");
		return NL_EXIT_USAGE;
	}
	if (!o->keep)
		o->keep = 5;
	return 0;
}

int nl_cmd_audit(int argc, char **argv)
{
	struct audit a = { .o = { 0 } };
	struct sigaction sa = { .sa_handler = on_signal };
	struct ring_buffer *rb = NULL;
	struct nl_state *st = NULL;
	struct timespec mono, real, t0, t;
	bool counted = false;
	int hold = -1;
	int status, err;

	status = parse_opts(argc, argv, &a.o);
	if (status)
		return status < 0 ? NL_EXIT_OK : status;
	if (geteuid() != 0) {
		nl_err("audit needs root: it reads the dataplane's root-only ring; run it with sudo");
		return NL_EXIT_NOPERM;
	}
	a.exes = calloc(EXE_MEMO, sizeof(*a.exes));
	if (!a.exes) {
		nl_err("audit: out of memory");
		return NL_EXIT_FAIL;
	}
	if (open_output(&a)) {
		free(a.exes);
		return NL_EXIT_FAIL;
	}
	status = nl_meter_hold("netlimit audit", &st, &a.dp, &hold);
	if (status)
		goto out;
	rb = ring_buffer__new(nl_dp__map_fd(a.dp, NL_MAP_AUDIT), on_record, &a, NULL);
	if (!rb) {
		nl_err("audit: cannot read the dataplane's audit ring: %s", strerror(errno));
		status = NL_EXIT_FAIL;
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	a.wall_off = (double)(real.tv_sec - mono.tv_sec) + (double)(real.tv_nsec - mono.tv_nsec) / 1e9;
	a.lost_seen = nl_dp__conf(a.dp)->audit_lost;
	nl_cgnames_load(nl_dp__base(a.dp));
	status = take_ring(nl_dp__conf(a.dp));
	if (status)
		goto out;
	counted = true;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	t0 = mono;
	while (!audit_stop) {
		err = ring_buffer__poll(rb, 100);
		if (err < 0 && err != -EINTR) {
			nl_err("audit: reading the ring failed: %s", strerror(-err));
			status = NL_EXIT_FAIL;
			break;
		}
		sweep_peers(&a);
		release_held(&a, false);
		report_lost(&a);
		if (audit_reopen) {
			audit_reopen = 0;
			open_output(&a);
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (a.o.timeout_ns && (__u64)(t.tv_sec - t0.tv_sec) * 1000000000ULL +
						  (__u64)(t.tv_nsec - t0.tv_nsec) >=
					  a.o.timeout_ns)
			break;
	}
	/*
	 * The end: the kernel stops writing records (a program already past its
	 * check finishes within microseconds), the ring is read out, then the
	 * connections still open are written, each exactly once.
	 */
	ring_buffer__consume(rb);
	sweep_peers(&a);
	/*
	 * A socket may finish (and vanish) any moment: write the open ones
	 * first, then stop the kernel's records and read out the ring,
	 * skipping the connections just written as open.
	 */
	nl_meter_walk(a.dp, open_one, &a);
	sweep_peers(&a);
	if (a.nopen)
		qsort(a.open, a.nopen, sizeof(*a.open), cmp_u64);
	a.draining = true;
	__atomic_store_n(&nl_dp__conf(a.dp)->audit, 0, __ATOMIC_SEQ_CST);
	counted = false;
	usleep(20000);
	ring_buffer__consume(rb);
	sweep_peers(&a);
	release_held(&a, true);
	/* Released connections not over yet: as their release left them, open. */
	for (size_t i = 0; i < a.cappend; i++) {
		const struct pending *p = &a.pend[i];

		if (!p->cookie || p->cookie == PEND_DEAD ||
		    (a.nopen && bsearch(&p->cookie, a.open, a.nopen, sizeof(*a.open), cmp_u64)))
			continue;
		write_record(&a, &p->rec, NULL, NULL, true);
	}
	report_lost(&a);
	nl_verbose("audit: %llu records (%llu packets met their connection's end)", a.records,
		   a.late);
out:
	if (counted) {
		__u32 me = (__u32)getpid();

		__atomic_compare_exchange_n(&nl_dp__conf(a.dp)->audit, &me, 0, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	}
	ring_buffer__free(rb);
	free(a.closed);
	free(a.open);
	free(a.pend);
	free(a.held);
	free(a.exes);
	if (a.out && a.out != stdout)
		fclose(a.out);
	nl_meter_unhold(st, a.dp, hold);
	return status;
}
