// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* What uses the network, round by round: see user/usage.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pwd.h>
#include <net/if.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include "cgroup.h"
#include "dataplane_user.h"
#include "json.h"
#include "limit.h"
#include "meter.h"
#include "report.h"
#include "text.h"
#include "usage.h"

static const char *const view_names[NL_USE_VIEWS] = {
	"processes", "cgroups", "hosts", "interfaces", "limits",
};

const char *nl_use_view_name(enum nl_use_view v)
{
	return v < NL_USE_VIEWS ? view_names[v] : "?";
}

int nl_use_view_parse(const char *s)
{
	for (int v = 0; v < NL_USE_VIEWS; v++)
		if (!strcmp(s, view_names[v]) || (s[0] && !s[1] && s[0] == view_names[v][0]))
			return v;
	return -1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A growable array of rows. */
struct rowv {
	struct nl_use_row *v;
	size_t n, cap;
};

static struct nl_use_row *row_new(struct rowv *r)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		struct nl_use_row *v = realloc(r->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		r->v = v;
		r->cap = cap;
	}
	memset(&r->v[r->n], 0, sizeof(r->v[0]));
	return &r->v[r->n++];
}

static void add_meter(struct nl_meter *to, const struct nl_meter *m)
{
	to->in_bytes += m->in_bytes;
	to->in_packets += m->in_packets;
	to->out_bytes += m->out_bytes;
	to->out_packets += m->out_packets;
}

/* Sockets (pointers to them) by remote address, family first. */
static int cmp_peer(const void *a, const void *b)
{
	const struct nl_meter_rec *x = *(const struct nl_meter_rec *const *)a;
	const struct nl_meter_rec *y = *(const struct nl_meter_rec *const *)b;

	if (x->fam != y->fam)
		return x->fam < y->fam ? -1 : 1;
	return memcmp(x->raddr, y->raddr, 16);
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(((const struct nl_use_row *)a)->key, ((const struct nl_use_row *)b)->key);
}

static const struct nl_use_row *find(const struct nl_use *u, int v, const char *key)
{
	struct nl_use_row k;

	if (!u || !u->n[v])
		return NULL;
	snprintf(k.key, sizeof(k.key), "%s", key);
	return bsearch(&k, u->rows[v], u->n[v], sizeof(k), cmp_key);
}

/* Sort a view by key, fold rows of one key, and take rates against prev. */
static void finish_view(struct nl_use *now, const struct nl_use *prev, int v, struct rowv *r)
{
	size_t i, n = 0;

	if (r->n)
		qsort(r->v, r->n, sizeof(r->v[0]), cmp_key);
	for (i = 0; i < r->n; i++) {
		if (n && !strcmp(r->v[n - 1].key, r->v[i].key)) {
			add_meter(&r->v[n - 1].m, &r->v[i].m);
			if (strlen(r->v[i].who) > strlen(r->v[n - 1].who))
				memcpy(r->v[n - 1].who, r->v[i].who, sizeof(r->v[0].who));
			continue;
		}
		r->v[n++] = r->v[i];
	}
	r->n = n;
	for (i = 0; i < n; i++) {
		struct nl_use_row *row = &r->v[i];
		const struct nl_use_row *p = find(prev, v, row->key);
		double dt = prev ? now->t - prev->t : 0;

		if (!p || dt <= 0 || row->m.in_bytes < p->m.in_bytes ||
		    row->m.out_bytes < p->m.out_bytes)
			continue; /* new, or counters that went back (a reset) */
		row->has_rate = true;
		row->rate_in = (double)(row->m.in_bytes - p->m.in_bytes) / dt;
		row->rate_out = (double)(row->m.out_bytes - p->m.out_bytes) / dt;
		if (p->ended > 0)
			row->ended = p->ended;
	}
	now->rows[v] = r->v;
	now->n[v] = n;
}

/*
 * Reverse names of hosts, resolved by one background thread so a slow
 * resolver never stalls a round: a name shows from the round after.
 */
#define DNS_CACHE 1024
static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool started;
	size_t n, next; /* entries; next to resolve */
	struct dns_entry {
		__u8 fam, addr[16];
		bool done;
		char name[256];
	} e[DNS_CACHE];
} dns = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

static void *dns_thread(void *arg)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&dns.lock);
	for (;;) {
		struct sockaddr_storage ss = { 0 };
		struct dns_entry q;
		char host[256];
		socklen_t len;

		while (dns.next >= dns.n)
			pthread_cond_wait(&dns.wake, &dns.lock);
		q = dns.e[dns.next];
		pthread_mutex_unlock(&dns.lock);
		if (q.fam == NL_FAM_V4) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			s4->sin_family = AF_INET;
			memcpy(&s4->sin_addr, q.addr, 4);
			len = sizeof(*s4);
		} else {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			s6->sin6_family = AF_INET6;
			memcpy(&s6->sin6_addr, q.addr, 16);
			len = sizeof(*s6);
		}
		if (getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), NULL, 0,
				NI_NAMEREQD))
			host[0] = '\0';
		pthread_mutex_lock(&dns.lock);
		nl_printable(host, dns.e[dns.next].name, sizeof(dns.e[0].name));
		dns.e[dns.next].done = true;
		dns.next++;
	}
	return NULL;
}

/* The name of an address if known yet ("" if none), asking for it otherwise. */
static void dns_name(__u8 fam, const __u8 *addr, char *buf, size_t len)
{
	size_t i;

	buf[0] = '\0';
	pthread_mutex_lock(&dns.lock);
	for (i = 0; i < dns.n; i++) {
		if (dns.e[i].fam == fam && !memcmp(dns.e[i].addr, addr, 16)) {
			if (dns.e[i].done)
				snprintf(buf, len, "%s", dns.e[i].name);
			pthread_mutex_unlock(&dns.lock);
			return;
		}
	}
	if (!dns.started) {
		pthread_t t;

		dns.started = !pthread_create(&t, NULL, dns_thread, NULL);
		if (dns.started)
			pthread_detach(t);
	}
	if (dns.started && dns.n < DNS_CACHE) {
		dns.e[dns.n].fam = fam;
		memcpy(dns.e[dns.n].addr, addr, 16);
		dns.e[dns.n].done = false;
		dns.n++;
		pthread_cond_signal(&dns.wake);
	}
	pthread_mutex_unlock(&dns.lock);
}

static void addr_text(__u8 fam, const __u8 *addr, char *buf, size_t len)
{
	if (!inet_ntop(fam == NL_FAM_V6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

/* Limits on cgroups, for the processes view: id and cgroup path. */
struct cg_limit {
	__u32 id;
	char path[NL_TARGET_LEN];
};

struct lim_ctx {
	struct rowv *rows; /* the limits view; NULL: left empty (nl_use_opts.no_limit_rows) */
	struct cg_limit *cgl;
	size_t ncgl, capcgl;
	struct nl_use_row *ifaces;
	size_t nifaces;
};

static void append(char *buf, size_t len, const char *fmt, __u32 v)
{
	size_t used = strlen(buf);

	if (used + 12 < len)
		snprintf(buf + used, len - used, fmt, used ? "," : "", v);
}

void nl_use_limit_row(const struct nl_limit *l, struct nl_use_row *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->key, sizeof(r->key), "%010u", l->id);
	r->id = l->id;
	nl_printable(l->name[0] ? l->name : "-", r->name, sizeof(r->name));
	snprintf(r->who, sizeof(r->who), "%s %.100s", nl_kind_name(l->kind), l->target);
	nl_printable(r->who, r->who, sizeof(r->who));
	memcpy(r->set_rate, l->rate, sizeof(r->set_rate));
	r->held_in = l->in.held_bytes;
	r->held_out = l->out.held_bytes;
	r->m.in_bytes = l->in.bytes;
	r->m.in_packets = l->in.packets;
	r->m.out_bytes = l->out.bytes;
	r->m.out_packets = l->out.packets;
	r->cgroup_id = l->cgroup_id;
}

static int one_limit(struct nl_lim *q, void *arg)
{
	struct lim_ctx *c = arg;
	struct nl_limit l;

	nl_limit_snapshot(nl_lim__limit(q), &l);
	if (c->rows) {
		struct nl_use_row *r = row_new(c->rows);

		if (!r)
			return -ENOMEM;
		nl_use_limit_row(&l, r);
		snprintf(r->state, sizeof(r->state), "%s", nl_state_name(&l));
	}
	if ((l.kind == NL_KIND_RUN || l.kind == NL_KIND_CGROUP) && c->ncgl < 4096) {
		const char *p = nl_cgnames_get(l.cgroup_id);

		if (c->ncgl == c->capcgl) {
			size_t cap = c->capcgl ? 2 * c->capcgl : 64;
			struct cg_limit *v = realloc(c->cgl, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			c->cgl = v;
			c->capcgl = cap;
		}
		if (p) {
			c->cgl[c->ncgl].id = l.id;
			snprintf(c->cgl[c->ncgl].path, sizeof(c->cgl[0].path), "%s", p);
			c->ncgl++;
		}
	}
	if (l.kind == NL_KIND_IFACE)
		for (size_t i = 0; i < c->nifaces; i++)
			if (c->ifaces[i].id == l.ifindex)
				append(c->ifaces[i].who, sizeof(c->ifaces[i].who), "%slimit %u", l.id);
	return 0;
}

/* Interfaces of this network namespace, from /proc/net/dev. */
static int read_ifaces(struct rowv *r)
{
	char line[512];
	FILE *f = fopen("/proc/net/dev", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long rb, rp, tb, tp;
		char name[64], *colon = strchr(line, ':');
		struct nl_use_row *row;

		if (!colon)
			continue;
		*colon = ' ';
		if (sscanf(line, " %63s %llu %llu %*u %*u %*u %*u %*u %*u %llu %llu", name, &rb, &rp,
			   &tb, &tp) != 5)
			continue;
		row = row_new(r);
		if (!row)
			break;
		nl_printable(name, row->name, sizeof(row->name));
		snprintf(row->key, sizeof(row->key), "%.63s", row->name);
		row->id = if_nametoindex(name);
		row->m.in_bytes = rb;
		row->m.in_packets = rp;
		row->m.out_bytes = tb;
		row->m.out_packets = tp;
	}
	fclose(f);
	return 0;
}

/* The limits a process is under: its cgroup's and ancestors', and its pid limits. */
static void proc_limits(struct nl_dp *dp, struct nl_use_row *r, const struct lim_ctx *c)
{
	const char *path = nl_cgnames_get(r->cgroup_id);
	struct nl_tags t;
	int pidfd;

	for (size_t i = 0; path && i < c->ncgl; i++) {
		size_t n = strlen(c->cgl[i].path);

		if (!strncmp(path, c->cgl[i].path, n) &&
		    (path[n] == '\0' || path[n] == '/' || !strcmp(c->cgl[i].path, "/")))
			append(r->who, sizeof(r->who), "%s%u", c->cgl[i].id);
	}
	if (!r->id || r->ended > 0 || !nl_dp__conf(dp)->npids)
		return;
	pidfd = (int)syscall(SYS_pidfd_open, (pid_t)r->id, 0);
	if (pidfd < 0)
		return;
	if (!bpf_map_lookup_elem(nl_dp__map_fd(dp, NL_MAP_TASKS), &pidfd, &t))
		for (int k = 0; k < NL_TASK_TAGS; k++) {
			struct nl_limit *l = nl_dp__limit(dp, t.t[k].id);

			if (l && l->kind == NL_KIND_PID && l->gen == t.t[k].gen)
				append(r->who, sizeof(r->who), "%s%u", t.t[k].id);
		}
	close(pidfd);
}

int nl_use__collect(struct nl_dp *dp, struct nl_state *st, const struct nl_use *prev,
		    struct nl_use *now, const struct nl_use_opts *o)
{
	struct nl_meter_row *cg = NULL, *proc = NULL;
	struct nl_meter_rec *socks = NULL;
	const struct nl_meter_rec **by = NULL;
	size_t ncg = 0, nproc = 0, nsock = 0, i;
	struct rowv v[NL_USE_VIEWS] = { 0 };
	struct lim_ctx lc = { 0 };
	struct nl_peer_key pk, *ppk = NULL;
	struct nl_meter m;
	int err, fd;

	memset(now, 0, sizeof(*now));
	now->t = now_s();
	err = nl_meter_read_all(dp, &cg, &ncg, &proc, &nproc, &socks, &nsock);
	if (err)
		goto out;
	/* Cgroup names: walked once, again only when an id is new. */
	for (i = 0; i < ncg; i++)
		if (!nl_cgnames_get(cg[i].cgroup_id)) {
			nl_cgnames_load(nl_dp__base(dp));
			break;
		}
	/* Cgroups: they split all the meter saw, so they also make the total. */
	for (i = 0; i < ncg; i++) {
		struct nl_use_row *r = row_new(&v[NL_USE_CGROUPS]);
		const char *path = nl_cgnames_get(cg[i].cgroup_id);

		if (!r)
			goto nomem;
		snprintf(r->key, sizeof(r->key), "%020llu", (unsigned long long)cg[i].cgroup_id);
		r->id = r->cgroup_id = cg[i].cgroup_id;
		if (path)
			nl_printable(path, r->name, sizeof(r->name));
		else
			snprintf(r->name, sizeof(r->name), "(cgroup %llu, gone)",
				 (unsigned long long)cg[i].cgroup_id);
		r->m = cg[i].m;
		add_meter(&now->total, &cg[i].m);
	}
	/* Interfaces and limits (the processes view names the limits over each). */
	read_ifaces(&v[NL_USE_IFACES]);
	lc.rows = o && o->no_limit_rows ? NULL : &v[NL_USE_LIMITS];
	lc.ifaces = v[NL_USE_IFACES].v;
	lc.nifaces = v[NL_USE_IFACES].n;
	if (st)
		nl_lim__each(st, one_limit, &lc);
	for (i = 0; i < nproc; i++) {
		struct nl_use_row *r = row_new(&v[NL_USE_PROCS]);
		char comm[17];
		const struct nl_use_row *p;

		if (!r)
			goto nomem;
		snprintf(comm, sizeof(comm), "%.16s", proc[i].comm);
		snprintf(r->key, sizeof(r->key), "%010u/%u/%s/%llu", proc[i].tgid, proc[i].uid,
			 proc[i].comm, (unsigned long long)proc[i].cgroup_id);
		r->id = proc[i].tgid;
		r->uid = proc[i].uid;
		r->cgroup_id = proc[i].cgroup_id;
		nl_printable(proc[i].tgid ? comm : "(sockets older than netlimit)", r->name,
			     sizeof(r->name));
		r->m = proc[i].m;
		p = find(prev, NL_USE_PROCS, r->key);
		if (p && p->ended > 0)
			r->ended = p->ended;
		else if (r->id && kill((pid_t)r->id, 0) && errno == ESRCH)
			r->ended = now->t;
	}
	for (i = 0; i < v[NL_USE_PROCS].n; i++)
		proc_limits(dp, &v[NL_USE_PROCS].v[i], &lc);
	/* Hosts: closed connected sockets' totals, then the live ones. */
	fd = nl_dp__map_fd(dp, NL_MAP_HOST_METER);
	while (!bpf_map_get_next_key(fd, ppk, &pk)) {
		struct nl_use_row *r;

		ppk = &pk;
		if (bpf_map_lookup_elem(fd, &pk, &m))
			continue;
		r = row_new(&v[NL_USE_HOSTS]);
		if (!r)
			goto nomem;
		r->fam = (__u8)pk.fam;
		memcpy(r->addr, pk.addr, 16);
		r->m = m;
	}
	/* Live sockets by remote address: one row per address, not per socket. */
	if (nsock && !(by = malloc(nsock * sizeof(*by))))
		goto nomem;
	for (i = 0; i < nsock; i++)
		by[i] = &socks[i];
	if (nsock)
		qsort(by, nsock, sizeof(*by), cmp_peer);
	for (i = 0; i < nsock; i++) {
		const struct nl_meter_rec *sk = by[i];
		struct nl_use_row *r;
		char who[32], comm[17];
		size_t lw, lr;

		if (!i || cmp_peer(&by[i - 1], &by[i])) {
			r = row_new(&v[NL_USE_HOSTS]);
			if (!r)
				goto nomem;
			r->fam = (__u8)sk->fam;
			memcpy(r->addr, sk->raddr, 16);
		}
		r = &v[NL_USE_HOSTS].v[v[NL_USE_HOSTS].n - 1];
		add_meter(&r->m, &sk->m);
		/* The same process as the socket before: named once already. */
		if (i && !cmp_peer(&by[i - 1], &by[i]) && by[i - 1]->tgid == sk->tgid &&
		    !memcmp(by[i - 1]->comm, sk->comm, sizeof(sk->comm)))
			continue;
		snprintf(comm, sizeof(comm), "%.16s", sk->comm);
		snprintf(who, sizeof(who), "%s(%u)", comm, sk->tgid);
		lw = strlen(who);
		lr = strlen(r->who);
		if (!strstr(r->who, who) && lr + lw + 2 < sizeof(r->who)) {
			if (lr)
				r->who[lr++] = ',';
			memcpy(r->who + lr, who, lw + 1);
		}
	}
	for (i = 0; i < v[NL_USE_HOSTS].n; i++) {
		struct nl_use_row *r = &v[NL_USE_HOSTS].v[i];
		char a[INET6_ADDRSTRLEN], name[256] = "";

		addr_text(r->fam, r->addr, a, sizeof(a));
		snprintf(r->key, sizeof(r->key), "%u/%s", r->fam, a);
		if (o && o->resolve)
			dns_name(r->fam, r->addr, name, sizeof(name));
		snprintf(r->name, sizeof(r->name), "%s%s%s%s", a, name[0] ? " (" : "", name,
			 name[0] ? ")" : "");
	}
	/* Which processes talk to a host: the names of a key's rows, on its first row. */
	if (v[NL_USE_HOSTS].n)
		qsort(v[NL_USE_HOSTS].v, v[NL_USE_HOSTS].n, sizeof(v[0].v[0]), cmp_key);
	for (size_t first = 0, k = 1; k < v[NL_USE_HOSTS].n; k++) {
		struct nl_use_row *a = &v[NL_USE_HOSTS].v[first], *b = &v[NL_USE_HOSTS].v[k];

		if (strcmp(a->key, b->key)) {
			first = k;
			continue;
		}
		if (!b->who[0] || strstr(a->who, b->who))
			continue;
		{
			size_t la = strlen(a->who), lb = strlen(b->who);

			if (la + lb + 2 < sizeof(a->who)) {
				if (la)
					a->who[la++] = ',';
				memcpy(a->who + la, b->who, lb + 1);
			}
		}
	}
	for (int k = 0; k < NL_USE_VIEWS; k++)
		finish_view(now, prev, k, &v[k]);
	if (prev && now->t > prev->t && now->total.in_bytes >= prev->total.in_bytes &&
	    now->total.out_bytes >= prev->total.out_bytes) {
		now->rate_in = (double)(now->total.in_bytes - prev->total.in_bytes) /
			       (now->t - prev->t);
		now->rate_out = (double)(now->total.out_bytes - prev->total.out_bytes) /
				(now->t - prev->t);
	}
	err = 0;
	goto out;
nomem:
	err = -ENOMEM;
	for (int k = 0; k < NL_USE_VIEWS; k++)
		free(v[k].v);
	memset(now, 0, sizeof(*now));
out:
	free(lc.cgl);
	free(cg);
	free(proc);
	free(by);
	free(socks);
	return err;
}

void nl_use__free(struct nl_use *u)
{
	for (int k = 0; k < NL_USE_VIEWS; k++)
		free(u->rows[k]);
	memset(u, 0, sizeof(*u));
}

const char *nl_user_name(__u32 uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw)
		nl_printable(pw->pw_name, buf, len);
	else
		snprintf(buf, len, "%u", uid);
	return buf;
}

void nl_use_row_json(struct nl_json *j, const struct nl_use_row *r, int v)
{
	char user[64], a[64];

	nl_json_open(j, NULL, '{');
	switch (v) {
	case NL_USE_PROCS:
		nl_json_u64(j, "pid", r->id);
		nl_json_u64(j, "uid", r->uid);
		nl_json_str(j, "user", nl_user_name(r->uid, user, sizeof(user)));
		nl_json_str(j, "comm", r->name);
		nl_json_u64(j, "cgroup_id", r->cgroup_id);
		nl_json_str(j, "limits", r->who);
		nl_json_bool(j, "ended", r->ended > 0);
		break;
	case NL_USE_CGROUPS:
		nl_json_u64(j, "cgroup_id", r->id);
		nl_json_str(j, "path", r->name);
		break;
	case NL_USE_HOSTS:
		snprintf(a, sizeof(a), "%s", r->key + 2);
		nl_json_str(j, "address", a);
		nl_json_str(j, "name", r->name);
		nl_json_str(j, "processes", r->who);
		break;
	case NL_USE_IFACES:
		nl_json_str(j, "interface", r->name);
		nl_json_u64(j, "ifindex", r->id);
		nl_json_str(j, "limits", r->who);
		break;
	default:
		nl_json_u64(j, "id", r->id);
		nl_json_str(j, "name", r->name);
		nl_json_str(j, "target", r->who);
		nl_json_str(j, "state", r->state);
		nl_json_u64(j, "rate_in_bps", r->set_rate[NL_B_IN]);
		nl_json_u64(j, "rate_out_bps", r->set_rate[NL_B_OUT]);
		nl_json_u64(j, "rate_total_bps", r->set_rate[NL_B_TOTAL]);
		nl_json_u64(j, "throttle_bps", r->set_rate[NL_B_THROTTLE]);
		nl_json_u64(j, "in_held_bytes", r->held_in);
		nl_json_u64(j, "out_held_bytes", r->held_out);
	}
	nl_json_u64(j, "in_bytes", r->m.in_bytes);
	nl_json_u64(j, "in_packets", r->m.in_packets);
	nl_json_u64(j, "out_bytes", r->m.out_bytes);
	nl_json_u64(j, "out_packets", r->m.out_packets);
	if (r->has_rate) {
		nl_json_double(j, "in_rate", r->rate_in);
		nl_json_double(j, "out_rate", r->rate_out);
	} else {
		nl_json_null(j, "in_rate");
		nl_json_null(j, "out_rate");
	}
	nl_json_close(j, '}');
}
