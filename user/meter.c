// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The meter from userland: see user/meter.h. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cgroup.h"
#include "dataplane_user.h"
#include "exitcode.h"
#include "gc.h"
#include "log.h"
#include "meter.h"
#include "preflight.h"
#include "report.h"
#include "state.h"

static const char meter_usage[] =
	"Usage: netlimit meter on|off|status [--json]\n"
	"       netlimit stat [--json]\n"
	"\n"
	"The meter counts every socket's traffic below the dataplane's cgroup (the\n"
	"whole machine): bytes and packets in and out per cgroup and per process,\n"
	"the owner recorded when the socket was created. It is off until turned on;\n"
	"while it is on the dataplane stays loaded even with no limit.\n"
	"\n"
	"  meter on      load the dataplane if needed and count every socket\n"
	"  meter off     stop counting (the dataplane goes if no limit is left)\n"
	"  meter status  whether it is on, and the dataplane's own counters\n"
	"  stat          the totals per cgroup and per process, once\n"
	"\n"
	"Examples:\n"
	"  sudo netlimit meter on\n"
	"  sudo netlimit stat --json\n"
	"\n"
	"Exit status: 0 ok; 64 usage error; 66 meter off (stat); 77 not root;\n"
	"69 kernel lacks what netlimit needs; 125 netlimit failed.\n";

static void add(struct nl_meter *to, const struct nl_meter *m)
{
	to->in_bytes += m->in_bytes;
	to->in_packets += m->in_packets;
	to->out_bytes += m->out_bytes;
	to->out_packets += m->out_packets;
}

static int cmp_row(const void *a, const void *b)
{
	const struct nl_meter_row *x = a, *y = b;

	if (x->cgroup_id != y->cgroup_id)
		return x->cgroup_id < y->cgroup_id ? -1 : 1;
	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	return strncmp(x->comm, y->comm, sizeof(x->comm));
}

/*
 * Rows folded as they come: an open-addressed table of indices into v by
 * key, so 10,000 sockets of one process make one row, not 10,000 to sort.
 */
struct rows {
	struct nl_meter_row *v;
	size_t n, cap;
	__u32 *slot; /* index + 1 into v, 0 free; cap * 2 of them */
};

static size_t row_hash(const struct nl_meter_row *r)
{
	__u64 h = r->cgroup_id * 0x9e3779b97f4a7c15ULL ^ ((__u64)r->tgid << 32 | r->uid);

	for (size_t i = 0; i < sizeof(r->comm) && r->comm[i]; i++)
		h = (h ^ (unsigned char)r->comm[i]) * 0x100000001b3ULL;
	return (size_t)(h ^ h >> 29);
}

static int rehash(struct rows *r, size_t cap)
{
	struct nl_meter_row *v = realloc(r->v, cap * sizeof(*v));
	__u32 *slot;

	if (!v)
		return -ENOMEM;
	r->v = v;
	slot = calloc(2 * cap, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	free(r->slot);
	r->slot = slot;
	r->cap = cap;
	for (size_t i = 0; i < r->n; i++) {
		size_t h = row_hash(&r->v[i]) & (2 * cap - 1);

		while (slot[h])
			h = (h + 1) & (2 * cap - 1);
		slot[h] = (__u32)i + 1;
	}
	return 0;
}

/* Add row to the row of its key, or as a new one. */
static int push(struct rows *r, const struct nl_meter_row *row)
{
	size_t h;

	if (r->n == r->cap && rehash(r, r->cap ? 2 * r->cap : 256))
		return -ENOMEM;
	for (h = row_hash(row) & (2 * r->cap - 1); r->slot[h]; h = (h + 1) & (2 * r->cap - 1)) {
		struct nl_meter_row *x = &r->v[r->slot[h] - 1];

		if (!cmp_row(x, row)) {
			add(&x->m, &row->m);
			return 0;
		}
	}
	r->v[r->n] = *row;
	r->slot[h] = (__u32)++r->n;
	return 0;
}

/* Sort the rows by key (each key is one row already). */
static void fold(struct rows *r)
{
	free(r->slot);
	r->slot = NULL;
	if (r->n)
		qsort(r->v, r->n, sizeof(*r->v), cmp_row);
}

static int cmp_cookie(const void *a, const void *b)
{
	__u64 x = (*(const struct nl_meter_rec *const *)a)->cookie;
	__u64 y = (*(const struct nl_meter_rec *const *)b)->cookie;

	return x < y ? -1 : x > y;
}

/* Read one iterator to its end, appending its records to *all. */
static int walk_one(int prog, struct nl_meter_rec **all, size_t *nall, size_t *capall)
{
	/*
	 * Read in large blocks: each read() of an iterator resumes its walk
	 * (a read per record made a round over 10,000 sockets cost 0.5 s). The
	 * kernel resumes by position in a bucket, so a socket made meanwhile can
	 * bring one already seen round again: each cookie is passed on once.
	 */
	enum { BLOCK = 1024 * sizeof(struct nl_meter_rec) };
	char *buf = malloc(BLOCK);
	int link, it, err = 0;
	size_t got = 0, off;
	ssize_t n = 0;

	if (!buf)
		return -ENOMEM;
	link = bpf_link_create(prog, 0, BPF_TRACE_ITER, NULL);
	if (link < 0) {
		err = -errno;
		free(buf);
		return err;
	}
	it = bpf_iter_create(link);
	if (it < 0) {
		err = -errno;
		close(link);
		free(buf);
		return err;
	}
	while (!err && (n = read(it, buf + got, BLOCK - got)) > 0) {
		got += (size_t)n;
		for (off = 0; !err && off + sizeof(struct nl_meter_rec) <= got;
		     off += sizeof(struct nl_meter_rec)) {
			if (*nall == *capall) {
				size_t cap = *capall ? 2 * *capall : 1024;
				struct nl_meter_rec *v = realloc(*all, cap * sizeof(*v));

				if (!v) {
					err = -ENOMEM;
					break;
				}
				*all = v;
				*capall = cap;
			}
			memcpy(&(*all)[(*nall)++], buf + off, sizeof(**all));
		}
		memmove(buf, buf + off, got - off);
		got -= off;
	}
	if (n < 0 && !err)
		err = -errno;
	close(it);
	close(link);
	free(buf);
	return err;
}

int nl_meter_walk(struct nl_dp *dp, int (*fn)(const struct nl_meter_rec *r, void *ctx), void *ctx)
{
	struct nl_meter_rec *all = NULL, **by = NULL;
	size_t nall = 0, capall = 0;
	int err;

	err = walk_one(nl_dp__iter_fd(dp, 0), &all, &nall, &capall);
	if (!err)
		err = walk_one(nl_dp__iter_fd(dp, 1), &all, &nall, &capall);
	/* Each cookie once: sorted by pointer, not by moving the records. */
	if (!err && nall && !(by = malloc(nall * sizeof(*by))))
		err = -ENOMEM;
	for (size_t i = 0; i < nall && by; i++)
		by[i] = &all[i];
	if (by)
		qsort(by, nall, sizeof(*by), cmp_cookie);
	for (size_t i = 0; i < nall && by && !err; i++)
		if (!i || !by[i]->cookie || by[i]->cookie != by[i - 1]->cookie)
			err = fn(by[i], ctx);
	free(by);
	free(all);
	return err;
}

struct sock_list {
	struct nl_meter_rec *v;
	size_t n, cap;
};

static int add_connected(const struct nl_meter_rec *rec, void *ctx);

struct two_rows {
	struct rows *cg, *proc;
	struct sock_list *socks; /* also the connected sockets, when asked */
};

static int add_socket(const struct nl_meter_rec *rec, void *ctx)
{
	struct two_rows *t = ctx;
	struct nl_meter_row row = { .cgroup_id = rec->cgroup_id, .m = rec->m };
	int err;

	if (rec->released)
		return 0; /* in the closed totals already */
	err = t->socks ? add_connected(rec, t->socks) : 0;

	if (!err)
		err = push(t->cg, &row);

	if (err)
		return err;
	row.tgid = rec->tgid;
	row.uid = rec->uid;
	memcpy(row.comm, rec->comm, sizeof(row.comm));
	return push(t->proc, &row);
}

static int read_sockets(struct nl_dp *dp, struct rows *cg, struct rows *proc,
			struct sock_list *socks)
{
	struct two_rows t = { cg, proc, socks };

	return nl_meter_walk(dp, add_socket, &t);
}

static int add_connected(const struct nl_meter_rec *rec, void *ctx)
{
	struct sock_list *l = ctx;

	if (!rec->rport || rec->released)
		return 0; /* no remote end of its own, or closed */
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct nl_meter_rec *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *rec;
	return 0;
}

int nl_meter_sockets(struct nl_dp *dp, struct nl_meter_rec **socks, size_t *n)
{
	struct sock_list l = { 0 };
	int err = nl_meter_walk(dp, add_connected, &l);

	if (err) {
		free(l.v);
		return err;
	}
	*socks = l.v;
	*n = l.n;
	return 0;
}

/* A socket's row in cg and proc (and its record in socks, if connected and asked). */
static int add_owned(struct two_rows *t, const struct nl_sk_owner *o, const struct nl_meter *m,
		     __u64 cookie, bool live)
{
	struct nl_meter_row row = { .cgroup_id = o->k.cgroup_id, .m = *m };
	int err;

	if (!(m->in_packets | m->out_packets))
		return 0;
	err = push(t->cg, &row);
	row.tgid = o->k.tgid;
	row.uid = o->k.uid;
	memcpy(row.comm, o->k.comm, sizeof(row.comm));
	if (!err)
		err = push(t->proc, &row);
	if (!err && live && t->socks && o->p.rport) {
		struct nl_meter_rec r = {
			.cookie = cookie,
			.cgroup_id = o->k.cgroup_id,
			.tgid = o->k.tgid,
			.uid = o->k.uid,
			.proto = o->p.proto,
			.fam = o->p.fam,
			.rport = o->p.rport,
			.m = *m,
		};

		memcpy(r.comm, o->k.comm, sizeof(r.comm));
		memcpy(r.raddr, o->p.raddr, sizeof(r.raddr));
		err = add_connected(&r, t->socks);
	}
	return err;
}

/*
 * The slots and their owners are read a window at a time, each window mapped
 * and let go before the next: mapping a BPF array maps all its pages at once
 * (the slots and owners whole are 7.5 MiB), which a long-running reader such
 * as serve would otherwise hold at every round's peak. A window of both
 * costs two mmap calls and 480 KiB.
 */
#define SLOT_WINDOW 4096
_Static_assert(NL_SK_SLOTS % SLOT_WINDOW == 0, "windows cover the slots");

struct window {
	void *base;
	size_t len;
	const void *at; /* element first */
};

/* Map elements [first, first + n) of an mmapable array of elem-byte values. */
static int window_map(int fd, size_t elem, size_t first, size_t n, struct window *w)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), off = first * elem / page * page;

	w->len = (first + n) * elem - off;
	w->base = mmap(NULL, w->len, PROT_READ, MAP_SHARED, fd, (off_t)off);
	if (w->base == MAP_FAILED) {
		w->base = NULL;
		return -errno;
	}
	w->at = (const char *)w->base + (first * elem - off);
	return 0;
}

static void window_free(struct window *w)
{
	if (w->base)
		munmap(w->base, w->len);
	w->base = NULL;
}

/*
 * The slots: with live, every socket that holds one (and so every socket
 * but those in nl_sk_extra); without, only what packets racing a release
 * left in a released socket's slot (the slot's owner gets it, as the kernel
 * does when the slot is next claimed).
 */
static int read_slots(struct nl_dp *dp, struct two_rows *t, bool live)
{
	int fd = nl_dp__map_fd(dp, NL_MAP_SK_SLOTS), ofd = nl_dp__map_fd(dp, NL_MAP_SK_OWNERS);
	struct window ws = { 0 }, wo = { 0 };
	int err = 0;

	for (size_t first = 0; first < NL_SK_SLOTS && !err; first += SLOT_WINDOW) {
		const struct nl_sk_slot *sl;
		const struct nl_sk_owner *o;

		err = window_map(fd, sizeof(*sl), first, SLOT_WINDOW, &ws);
		if (!err)
			err = window_map(ofd, sizeof(*o), first, SLOT_WINDOW, &wo);
		sl = ws.at;
		o = wo.at;
		for (size_t i = 0; i < SLOT_WINDOW && !err; i++) {
			__u64 ck = __atomic_load_n(&sl[i].cookie, __ATOMIC_ACQUIRE);
			struct nl_meter m;

			if (!ck || (ck & NL_SK_BUSY) || (!live && !(ck & NL_SK_CLOSED)))
				continue;
			m.in_bytes = __atomic_load_n(&sl[i].m.in_bytes, __ATOMIC_RELAXED);
			m.in_packets = __atomic_load_n(&sl[i].m.in_packets, __ATOMIC_RELAXED);
			m.out_bytes = __atomic_load_n(&sl[i].m.out_bytes, __ATOMIC_RELAXED);
			m.out_packets = __atomic_load_n(&sl[i].m.out_packets, __ATOMIC_RELAXED);
			err = add_owned(t, &o[i], &m, ck & ~NL_SK_FLAGS, !(ck & NL_SK_CLOSED));
		}
		window_free(&ws);
		window_free(&wo);
	}
	return err;
}

/* The sockets the slots had no room for (nl_sk_extra), live and lingering. */
static int read_extra(struct nl_dp *dp, struct two_rows *t)
{
	enum { BATCH = 256 };
	static __u64 keys[BATCH];
	static struct nl_sk_extra vals[BATCH];
	int fd = nl_dp__map_fd(dp, NL_MAP_SK_EXTRA), err = 0;
	__u64 in = 0, out = 0;
	bool first = true;

	for (;;) {
		__u32 n = BATCH;
		int r = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &n, NULL);
		int e = r ? errno : 0;

		for (__u32 i = 0; i < n && !err; i++)
			err = add_owned(t, &vals[i].o, &vals[i].m, keys[i], !vals[i].closed_ns);
		if (err || (r && e == ENOENT))
			return err;
		if (r)
			return -e;
		in = out;
		first = false;
	}
}

int nl_meter_read(struct nl_dp *dp, struct nl_meter_row **cgv, size_t *ncg,
		  struct nl_meter_row **procv, size_t *nproc)
{
	return nl_meter_read_all(dp, cgv, ncg, procv, nproc, NULL, NULL);
}

int nl_meter_read_all(struct nl_dp *dp, struct nl_meter_row **cgv, size_t *ncg,
		      struct nl_meter_row **procv, size_t *nproc, struct nl_meter_rec **socks,
		      size_t *nsocks)
{
	struct rows cg = { 0 }, proc = { 0 };
	struct sock_list sl = { 0 };
	struct nl_proc_key pk, *ppk = NULL;
	__u64 ck, *pck = NULL;
	struct nl_meter m;
	int fd, err;

	struct two_rows t = { &cg, &proc, socks ? &sl : NULL };
	struct nl_conf *c = nl_dp__conf(dp);

	/*
	 * Every live socket is in a slot or in nl_sk_extra, unless that was full
	 * (sk_hidden): then the socket tables are walked, each socket read from
	 * its own storage.
	 */
	if (!__atomic_load_n(&c->sk_hidden, __ATOMIC_ACQUIRE) && !getenv("NETLIMIT_METER_WALK")) {
		err = read_slots(dp, &t, true);
		if (!err)
			err = read_extra(dp, &t);
	} else {
		err = read_sockets(dp, &cg, &proc, socks ? &sl : NULL);
		if (!err)
			err = read_slots(dp, &t, false);
	}
	/* Sockets that have closed, and packets that had no socket of their own. */
	fd = nl_dp__map_fd(dp, NL_MAP_CG_METER);
	while (!err && !bpf_map_get_next_key(fd, pck, &ck)) {
		struct nl_meter_row row = { .cgroup_id = ck };

		pck = &ck;
		if (bpf_map_lookup_elem(fd, &ck, &m))
			continue;
		row.m = m;
		err = push(&cg, &row);
	}
	fd = nl_dp__map_fd(dp, NL_MAP_PROC_METER);
	while (!err && !bpf_map_get_next_key(fd, ppk, &pk)) {
		struct nl_meter_row row = { .cgroup_id = pk.cgroup_id, .tgid = pk.tgid };

		ppk = &pk;
		if (bpf_map_lookup_elem(fd, &pk, &m))
			continue;
		row.uid = pk.uid;
		memcpy(row.comm, pk.comm, sizeof(row.comm));
		row.m = m;
		err = push(&proc, &row);
	}
	if (err) {
		free(cg.v);
		free(cg.slot);
		free(proc.v);
		free(proc.slot);
		free(sl.v);
		return err;
	}
	if (socks) {
		*socks = sl.v;
		*nsocks = sl.n;
	}
	fold(&cg);
	fold(&proc);
	*cgv = cg.v;
	*ncg = cg.n;
	*procv = proc.v;
	*nproc = proc.n;
	return 0;
}

static const char *user_name(__u32 uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "%u", uid);
	return buf;
}

static const char *proto_name(__u32 proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : "other";
}

static const char *remote(const struct nl_meter_rec *r, char *buf, size_t len)
{
	if (!inet_ntop(r->fam == NL_FAM_V6 ? AF_INET6 : AF_INET, r->raddr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

static void json_meter(struct nl_json *j, const struct nl_meter *m)
{
	nl_json_u64(j, "in_bytes", m->in_bytes);
	nl_json_u64(j, "in_packets", m->in_packets);
	nl_json_u64(j, "out_bytes", m->out_bytes);
	nl_json_u64(j, "out_packets", m->out_packets);
}

static void print_stat(struct nl_dp *dp, bool json)
{
	struct nl_meter_row *cg = NULL, *proc = NULL;
	size_t ncg = 0, nproc = 0, nsock = 0, i;
	char user[64], comm[17], safe[256], addr[INET6_ADDRSTRLEN];
	struct nl_meter_rec *sock = NULL;
	int err;

	err = nl_meter_read(dp, &cg, &ncg, &proc, &nproc);
	if (!err)
		err = nl_meter_sockets(dp, &sock, &nsock);
	if (err) {
		nl_err("cannot read the meter: %s", strerror(-err));
		return;
	}
	nl_cgnames_load(nl_dp__base(dp));
	if (json) {
		struct nl_json j;

		nl_json_init(&j, stdout);
		nl_json_open(&j, NULL, '{');
		nl_json_open(&j, "cgroups", '[');
		for (i = 0; i < ncg; i++) {
			const char *name = nl_cgnames_get(cg[i].cgroup_id);

			nl_json_open(&j, NULL, '{');
			nl_json_u64(&j, "cgroup_id", cg[i].cgroup_id);
			if (name)
				nl_json_str(&j, "path", name);
			else
				nl_json_null(&j, "path");
			json_meter(&j, &cg[i].m);
			nl_json_close(&j, '}');
		}
		nl_json_close(&j, ']');
		nl_json_open(&j, "processes", '[');
		for (i = 0; i < nproc; i++) {
			snprintf(comm, sizeof(comm), "%.16s", proc[i].comm);
			nl_json_open(&j, NULL, '{');
			nl_json_u64(&j, "pid", proc[i].tgid);
			nl_json_u64(&j, "uid", proc[i].uid);
			nl_json_str(&j, "user", user_name(proc[i].uid, user, sizeof(user)));
			nl_json_str(&j, "comm", comm);
			nl_json_u64(&j, "cgroup_id", proc[i].cgroup_id);
			json_meter(&j, &proc[i].m);
			nl_json_close(&j, '}');
		}
		nl_json_close(&j, ']');
		nl_json_open(&j, "sockets", '[');
		for (i = 0; i < nsock; i++) {
			snprintf(comm, sizeof(comm), "%.16s", sock[i].comm);
			nl_json_open(&j, NULL, '{');
			nl_json_u64(&j, "pid", sock[i].tgid);
			nl_json_str(&j, "comm", comm);
			nl_json_str(&j, "proto", proto_name(sock[i].proto));
			nl_json_str(&j, "remote", remote(&sock[i], addr, sizeof(addr)));
			nl_json_u64(&j, "remote_port", sock[i].rport);
			nl_json_u64(&j, "local_port", sock[i].lport);
			nl_json_u64(&j, "cgroup_id", sock[i].cgroup_id);
			json_meter(&j, &sock[i].m);
			nl_json_close(&j, '}');
		}
		nl_json_close(&j, ']');
		nl_json_close(&j, '}');
	} else {
		printf("%-40s %14s %10s %14s %10s\n", "CGROUP", "IN BYTES", "IN PKTS", "OUT BYTES",
		       "OUT PKTS");
		for (i = 0; i < ncg; i++) {
			const char *name = nl_cgnames_get(cg[i].cgroup_id);
			char idbuf[32];

			if (!name) {
				snprintf(idbuf, sizeof(idbuf), "(id %llu, gone)",
					 (unsigned long long)cg[i].cgroup_id);
				name = idbuf;
			}
			printf("%-40.40s %14llu %10llu %14llu %10llu\n",
			       nl_printable(name, safe, sizeof(safe)),
			       (unsigned long long)cg[i].m.in_bytes,
			       (unsigned long long)cg[i].m.in_packets,
			       (unsigned long long)cg[i].m.out_bytes,
			       (unsigned long long)cg[i].m.out_packets);
		}
		printf("\n%-8s %-10s %-16s %14s %10s %14s %10s\n", "PID", "USER", "COMMAND",
		       "IN BYTES", "IN PKTS", "OUT BYTES", "OUT PKTS");
		for (i = 0; i < nproc; i++) {
			snprintf(comm, sizeof(comm), "%.16s", proc[i].comm);
			for (char *c = comm; *c; c++)
				if ((unsigned char)*c < 0x20 || *c == 0x7f)
					*c = '?';
			printf("%-8u %-10.10s %-16s %14llu %10llu %14llu %10llu\n", proc[i].tgid,
			       user_name(proc[i].uid, user, sizeof(user)), comm[0] ? comm : "-",
			       (unsigned long long)proc[i].m.in_bytes,
			       (unsigned long long)proc[i].m.in_packets,
			       (unsigned long long)proc[i].m.out_bytes,
			       (unsigned long long)proc[i].m.out_packets);
		}
		printf("\n%-8s %-16s %-5s %-40s %14s %14s\n", "PID", "COMMAND", "PROTO", "REMOTE",
		       "IN BYTES", "OUT BYTES");
		for (i = 0; i < nsock; i++) {
			char rp[64];

			snprintf(comm, sizeof(comm), "%.16s", sock[i].comm);
			snprintf(rp, sizeof(rp), sock[i].fam == NL_FAM_V6 ? "[%s]:%u" : "%s:%u",
				 remote(&sock[i], addr, sizeof(addr)), sock[i].rport);
			printf("%-8u %-16s %-5s %-40s %14llu %14llu\n", sock[i].tgid,
			       nl_printable(comm, safe, sizeof(safe)), proto_name(sock[i].proto),
			       rp, (unsigned long long)sock[i].m.in_bytes,
			       (unsigned long long)sock[i].m.out_bytes);
		}
	}
	nl_cgnames_free();
	free(cg);
	free(proc);
	free(sock);
}

static bool want_json(int argc, char **argv, int first, const char *cmd, int *status)
{
	bool json = false;

	for (int i = first; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(meter_usage, stdout);
			*status = NL_EXIT_OK;
			return false;
		} else {
			nl_err("%s: unexpected '%s' (see 'netlimit %s --help')", cmd, argv[i], cmd);
			*status = NL_EXIT_USAGE;
			return false;
		}
	}
	*status = json;
	return true;
}

int nl_cmd_meter(int argc, char **argv)
{
	struct nl_state *st = NULL;
	struct nl_dp *dp = NULL;
	int status, err, on = -1;
	bool json;

	if (argc < 2) {
		nl_err("meter needs on, off or status (see 'netlimit meter --help')");
		return NL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(meter_usage, stdout);
		return NL_EXIT_OK;
	}
	if (!strcmp(argv[1], "on"))
		on = 1;
	else if (!strcmp(argv[1], "off"))
		on = 0;
	else if (strcmp(argv[1], "status")) {
		nl_err("meter: '%s' is not on, off or status (see 'netlimit meter --help')",
		       argv[1]);
		return NL_EXIT_USAGE;
	}
	if (!want_json(argc, argv, 2, "meter", &status))
		return status;
	json = status;
	status = nl_preflight("netlimit meter");
	if (status)
		return status;
	err = nl_state__open(&st, on == 1);
	if (err == -ENOENT && on != 1) {
		st = NULL;
	} else if (err) {
		nl_err("cannot open netlimit's state in bpffs: %s", strerror(-err));
		return nl_exit_for_errno(err);
	}
	status = NL_EXIT_OK;
	if (st)
		nl_state__lock(st);
	err = st ? nl_dp__open(st, on == 1, &dp) : -ENOENT;
	if (!err && on >= 0) {
		bool was = nl_dp__conf(dp)->meter;

		__atomic_store_n(&nl_dp__conf(dp)->meter, (__u32)on, __ATOMIC_SEQ_CST);
		if (on && !was)
			nl_meter_adopt(dp);
		if (!on) {
			nl_dp__free(dp);
			dp = NULL;
			nl_gc(st, false); /* unloads the dataplane if nothing else needs it */
		}
	} else if (on == 1 || err == -EEXIST) {
		status = err == -EEXIST ? NL_EXIT_UNSUPPORTED : NL_EXIT_FAIL;
	}
	if (on < 0 || json) {
		struct nl_conf *c = dp ? nl_dp__conf(dp) : NULL;
		bool is_on = c && c->meter;

		if (json) {
			struct nl_json j;

			nl_json_init(&j, stdout);
			nl_json_open(&j, NULL, '{');
			nl_json_bool(&j, "meter", is_on);
			nl_json_bool(&j, "meter_for_views", c && c->meter == NL_METER_VIEWS);
			nl_json_bool(&j, "dataplane", c);
			nl_json_u64(&j, "limits", c ? c->nlimits : 0);
			nl_json_u64(&j, "overflow_drops", c ? c->overflow : 0);
			nl_json_u64(&j, "storage_failures", c ? c->storage_fail : 0);
			nl_json_u64(&j, "audit_readers", c && c->audit ? 1 : 0);
			nl_json_u64(&j, "audit_pid", c ? c->audit : 0);
			nl_json_u64(&j, "audit_lost", c ? c->audit_lost : 0);
			nl_json_close(&j, '}');
		} else {
			const char *how =
				c && c->meter == NL_METER_VIEWS ? "on while views run" : "on";

			printf("meter %s; dataplane %s\n", is_on ? how : "off",
			       c ? "loaded" : "not loaded");
		}
	}
	nl_dp__free(dp);
	if (st)
		nl_state__unlock(st);
	nl_state__free(st);
	return status;
}

/* uid, gid and parent of a process from /proc/PID/status; false if it is gone. */
static bool proc_ids(pid_t pid, struct nl_sock *s)
{
	char path[64], line[256];
	unsigned a, b;
	FILE *f;
	int got = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "PPid: %u", &a) == 1) {
			s->ppid = a;
			got++;
		} else if (sscanf(line, "Uid: %*u %u", &a) == 1) {
			s->uid = a;
			got++;
		} else if (sscanf(line, "Gid: %*u %u", &b) == 1) {
			s->gid = b;
			got++;
		}
	}
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(s->comm, sizeof(s->comm), f))
			s->comm[strcspn(s->comm, "\n")] = '\0';
		fclose(f);
	}
	return got == 3;
}

/* Give one process's inet sockets an owner in the meter, unless they have one. */
static int adopt_process(int socks_fd, pid_t pid)
{
	char dir[64], path[320], link[64], cg[512];
	struct nl_sock owner = { .tgid = (__u32)pid };
	struct dirent *de;
	int pidfd, n = 0;
	DIR *d;

	if (!proc_ids(pid, &owner))
		return 0;
	if (!nl_cgroup_of(pid, cg, sizeof(cg)))
		nl_cgroup_id(cg, &owner.cgroup_id);
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (!d)
		return 0;
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	while (pidfd >= 0 && (de = readdir(d))) {
		int fd, dom = 0;
		socklen_t dl = sizeof(dom);
		ssize_t len;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (strncmp(link, "socket:", 7))
			continue;
		fd = (int)syscall(SYS_pidfd_getfd, pidfd, atoi(de->d_name), 0);
		if (fd < 0)
			continue;
		if (!getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &dl) &&
		    (dom == AF_INET || dom == AF_INET6) &&
		    !bpf_map_update_elem(socks_fd, &fd, &owner, BPF_NOEXIST))
			n++;
		close(fd);
	}
	if (pidfd >= 0)
		close(pidfd);
	closedir(d);
	return n;
}

int nl_meter_adopt(struct nl_dp *dp)
{
	int fd = nl_dp__map_fd(dp, NL_MAP_SOCKS), n = 0;
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		int pid = atoi(de->d_name);

		if (pid > 0 && pid != getpid())
			n += adopt_process(fd, (pid_t)pid);
	}
	closedir(d);
	nl_verbose("meter: %d sockets older than the meter got their owners", n);
	return n;
}

/*
 * The views' lock: a directory of the state, shared by every running view.
 * The last view removes it; one that locked it just then sees it is no
 * longer the directory of that name, and takes the next.
 */
static int views_lock(struct nl_state *st)
{
	struct stat a, b;
	int fd;

	for (;;) {
		if (mkdirat(nl_state__dirfd(st), "views", 0700) && errno != EEXIST)
			return -errno;
		fd = openat(nl_state__dirfd(st), "views", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0)
			return -errno;
		/* Blocks only while an ending view decides whether it was the last. */
		if (flock(fd, LOCK_SH) || fstat(fd, &a)) {
			int err = -errno;

			close(fd);
			return err;
		}
		if (!fstatat(nl_state__dirfd(st), "views", &b, 0) && a.st_ino == b.st_ino)
			return fd;
		close(fd);
	}
}

/* No view runs: none holds the lock, or its directory is gone. Removes it (caller holds the state lock). */
static bool no_views(struct nl_state *st, int hold)
{
	int fd = hold >= 0 ? hold
			   : openat(nl_state__dirfd(st), "views", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool none = fd < 0 ? errno == ENOENT : !flock(fd, LOCK_EX | LOCK_NB);

	if (fd >= 0 && none)
		unlinkat(nl_state__dirfd(st), "views", AT_REMOVEDIR);
	if (fd >= 0 && fd != hold)
		close(fd);
	return none;
}

bool nl_meter_views_gc(struct nl_state *st, struct nl_dp *dp)
{
	__u32 views = NL_METER_VIEWS;

	if (__atomic_load_n(&nl_dp__conf(dp)->meter, __ATOMIC_SEQ_CST) != NL_METER_VIEWS ||
	    !no_views(st, -1))
		return false;
	return __atomic_compare_exchange_n(&nl_dp__conf(dp)->meter, &views, NL_METER_OFF, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

int nl_meter_hold(const char *cmd, struct nl_state **stp, struct nl_dp **dpp, int *hold)
{
	struct nl_state *st = NULL;
	struct nl_dp *dp = NULL;
	int err;

	*hold = -1;
	*stp = NULL;
	*dpp = NULL;
	err = nl_state__open(&st, true);
	if (!err) {
		err = views_lock(st);
		*hold = err;
		err = err < 0 ? err : 0;
	}
	if (err) {
		nl_err("%s: cannot open netlimit's state in bpffs: %s", cmd, strerror(-err));
		nl_state__free(st);
		return nl_exit_for_errno(err);
	}
	nl_state__lock(st);
	err = nl_dp__open(st, true, &dp);
	if (!err && !nl_dp__conf(dp)->meter) {
		__atomic_store_n(&nl_dp__conf(dp)->meter, NL_METER_VIEWS, __ATOMIC_SEQ_CST);
		nl_meter_adopt(dp);
	}
	nl_state__unlock(st);
	if (err) {
		close(*hold);
		*hold = -1;
		nl_state__free(st);
		return err == -EEXIST ? NL_EXIT_UNSUPPORTED : NL_EXIT_FAIL;
	}
	*stp = st;
	*dpp = dp;
	return NL_EXIT_OK;
}

void nl_meter_unhold(struct nl_state *st, struct nl_dp *dp, int hold)
{
	__u32 views = NL_METER_VIEWS;

	/* The last view: no other holds the lock (a dead one's went with it). */
	if (hold >= 0 && st && dp && no_views(st, hold)) {
		nl_state__lock(st);
		if (__atomic_compare_exchange_n(&nl_dp__conf(dp)->meter, &views, NL_METER_OFF,
						false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
			nl_dp__free(dp);
			dp = NULL;
			nl_gc(st, false); /* unloads the dataplane if nothing else needs it */
		}
		nl_state__unlock(st);
	}
	if (hold >= 0)
		close(hold);
	nl_dp__free(dp);
	nl_state__free(st);
}

int nl_cmd_stat(int argc, char **argv)
{
	struct nl_state *st = NULL;
	struct nl_dp *dp = NULL;
	int status;

	if (!want_json(argc, argv, 1, "stat", &status))
		return status;
	if (geteuid() != 0) {
		nl_err("stat needs root: the meter lives in root-only bpffs pins; run it with "
		       "sudo");
		return NL_EXIT_NOPERM;
	}
	if (nl_state__open(&st, false) || nl_dp__open(st, false, &dp) || !nl_dp__conf(dp)->meter) {
		nl_err("the meter is off: turn it on with 'netlimit meter on'");
		nl_dp__free(dp);
		nl_state__free(st);
		return NL_EXIT_NOTARGET;
	}
	print_stat(dp, status == 1);
	nl_dp__free(dp);
	nl_state__free(st);
	return NL_EXIT_OK;
}
