// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* One limit in the dataplane: see user/limit.h. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cgroup.h"
#include "dataplane_user.h"
#include "limit.h"
#include "log.h"
#include "shaper.h"
#include "state.h"

struct nl_lim {
	struct nl_dp *dp;
	__u32 id;
	struct nl_limit *lim;
	int raw_links[2];	 /* tcx links (libbpf 1.1 has no bpf_link for them) */
	int nraw;
	int ring_fd;
	struct ring_buffer *rb;
	nl_event_fn fn;
	void *ctx;
};

static const char *const raw_names[2] = { "link_tc_in", "link_tc_out" };

void nl_prefix_key(const struct nl_prefix *p, __u8 *fam, __u8 addr[16], __u32 *bits)
{
	memset(addr, 0, 16);
	if (p->family == AF_INET) {
		*fam = NL_FAM_V4;
		memcpy(addr, p->addr + 12, 4);
	} else {
		*fam = NL_FAM_V6;
		memcpy(addr, p->addr, 16);
	}
	*bits = p->len;
}

static struct nl_lim *lim_alloc(struct nl_dp *dp, __u32 id)
{
	struct nl_lim *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->dp = dp;
	q->id = id;
	q->lim = nl_dp__limit(dp, id);
	q->ring_fd = -1;
	return q;
}

int nl_lim__new(struct nl_state *st, const struct nl_lim_opts *o, struct nl_lim **out)
{
	struct nl_dp *dp = NULL;
	int err;

	*out = NULL;
	err = nl_dp__open(st, true, &dp);
	if (err)
		return err;
	err = nl_lim__new_in(dp, o, out);
	nl_dp__free(dp);
	return err;
}

int nl_lim__new_in(struct nl_dp *dp, const struct nl_lim_opts *o, struct nl_lim **out)
{
	struct nl_limit *l;
	struct timespec ts;
	struct nl_lim *q;
	__u32 gen;
	int err;

	*out = NULL;
	l = nl_dp__limit(dp, o->id);
	if (!l)
		return -ERANGE;
	if (__atomic_load_n(&l->kind, __ATOMIC_ACQUIRE))
		return -EBUSY;
	q = lim_alloc(nl_dp__ref(dp), o->id);
	if (!q) {
		nl_dp__free(dp);
		return -ENOMEM;
	}
	/* A slot is reused: its gen tells tags of the old limit from this one's. */
	gen = l->gen + 1;
	memset(l, 0, sizeof(*l));
	clock_gettime(CLOCK_REALTIME, &ts);
	l->gen = gen ? gen : 1;
	l->id = o->id;
	l->action = o->action;
	l->pid = o->pid;
	l->cap_in = o->cap_in;
	l->cap_out = o->cap_out;
	l->cap_total = o->cap_total;
	nl_rate_apply(l, &o->rates);
	l->cgroup_id = o->cgroup_id;
	l->cg_level = o->cg_level;
	l->scope = o->scope;
	l->wire = o->wire ? 1 : 0;
	l->link_hlen = o->link_hlen;
	l->ifindex = o->ifindex;
	l->netns = o->netns;
	l->created_ns = (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
	snprintf(l->name, sizeof(l->name), "%s", o->name ? o->name : "");
	snprintf(l->target, sizeof(l->target), "%s", o->target ? o->target : "");
	for (size_t i = 0; i < o->nprefixes; i++) {
		struct nl_scope_key k = { .id = htonl(o->id) };
		__u8 one = 1;

		nl_prefix_key(&o->prefixes[i], &k.fam, k.addr, &k.prefixlen);
		k.prefixlen += 32 + 8;
		if (bpf_map_update_elem(nl_dp__map_fd(dp, NL_MAP_SCOPES), &k, &one, BPF_ANY)) {
			err = -errno;
			nl_lim__free(q);
			return err;
		}
	}
	if (o->period.kind) {
		err = nl_period_set(dp, o->id, l->gen, &o->period);
		if (err) {
			struct nl_period_spec none = { 0 };

			nl_period_set(dp, o->id, l->gen, &none);
			nl_lim__free(q);
			return err;
		}
	}
	/* Last: from here on a packet that reaches the slot is charged. */
	__atomic_store_n(&l->kind, o->kind, __ATOMIC_RELEASE);
	nl_limit_gates(l);
	__atomic_fetch_add(&nl_dp__conf(dp)->nlimits, 1, __ATOMIC_SEQ_CST);
	if (o->kind == NL_KIND_PID)
		__atomic_fetch_add(&nl_dp__conf(dp)->npids, 1, __ATOMIC_SEQ_CST);
	nl_rate_count(nl_dp__conf(dp), l, 1);
	*out = q;
	return 0;
}

int nl_lim__alloc_id(struct nl_state *st, __u32 *id)
{
	struct nl_conf *c;
	struct nl_dp *dp;
	__u32 start, n, cand;
	int err;

	err = nl_dp__open(st, true, &dp);
	if (err)
		return err;
	c = nl_dp__conf(dp);
	start = c->next_id;
	if (!start || start >= NL_MAX_LIMITS)
		start = 1;
	/* Round the slots: an id comes back only after every other one was used. */
	for (n = 0; n < NL_MAX_LIMITS - 1; n++) {
		cand = (start - 1 + n) % (NL_MAX_LIMITS - 1) + 1;
		if (nl_dp__limit(dp, cand)->kind)
			continue;
		err = nl_state__reserve_id(st, cand);
		if (err == -EEXIST)
			continue;
		if (err) {
			nl_dp__free(dp);
			return err; /* not a full table: say what it is */
		}
		c->next_id = cand + 1;
		if (cand > c->max_id)
			c->max_id = cand;
		*id = cand;
		nl_dp__free(dp);
		return 0;
	}
	nl_dp__free(dp);
	return -EUSERS; /* the table is full: distinct from any error of the state directory */
}

int nl_lim__open(struct nl_state *st, __u32 id, struct nl_lim **out)
{
	struct nl_dp *dp;
	struct nl_lim *q;
	int err;

	*out = NULL;
	err = nl_dp__open(st, false, &dp);
	if (err)
		return err;
	if (!nl_dp__limit(dp, id) ||
	    !__atomic_load_n(&nl_dp__limit(dp, id)->kind, __ATOMIC_ACQUIRE)) {
		nl_dp__free(dp);
		return -ENOENT;
	}
	q = lim_alloc(dp, id);
	if (!q) {
		nl_dp__free(dp);
		return -ENOMEM;
	}
	*out = q;
	return 0;
}

static int cg_add(struct nl_dp *dp, __u64 cgid, __u32 id)
{
	int fd = nl_dp__map_fd(dp, NL_MAP_CGROUPS), i;
	struct nl_cg_limits v = { 0 };

	bpf_map_lookup_elem(fd, &cgid, &v);
	for (i = 0; i < NL_CG_LIMITS && v.ids[i] && v.ids[i] != id; i++)
		;
	if (i == NL_CG_LIMITS)
		return -E2BIG;
	v.ids[i] = id;
	return bpf_map_update_elem(fd, &cgid, &v, BPF_ANY) ? -errno : 0;
}

static void cg_del(struct nl_dp *dp, __u64 cgid, __u32 id)
{
	int fd = nl_dp__map_fd(dp, NL_MAP_CGROUPS), i, n = 0;
	struct nl_cg_limits v = { 0 }, w = { 0 };

	if (bpf_map_lookup_elem(fd, &cgid, &v))
		return;
	for (i = 0; i < NL_CG_LIMITS; i++)
		if (v.ids[i] && v.ids[i] != id)
			w.ids[n++] = v.ids[i];
	if (n)
		bpf_map_update_elem(fd, &cgid, &w, BPF_ANY);
	else
		bpf_map_delete_elem(fd, &cgid);
}

int nl_lim__attach_cgroup(struct nl_lim *q, const char *path)
{
	__u64 cgid;
	int err;

	if (!nl_dp__covers(q->dp, path))
		return -EXDEV;
	err = nl_cgroup_id(path, &cgid);
	if (err)
		return err;
	return nl_lim__attach_cgroup_id(q, cgid);
}

int nl_lim__attach_cgroup_id(struct nl_lim *q, __u64 cgid)
{
	int err;

	q->lim->cgroup_id = cgid;
	err = cg_add(q->dp, cgid, q->id);
	if (!err)
		nl_dp__bump(q->dp);
	return err;
}

/* The highest id handed out: scans of the slots stop there. */
static __u32 max_id(struct nl_dp *dp)
{
	__u32 m = nl_dp__conf(dp)->max_id;

	return m < NL_MAX_LIMITS ? m : NL_MAX_LIMITS - 1;
}

/* Whether prefix a (bits, fam, addr) contains b. */
static bool contains(const struct nl_host_key *a, const struct nl_host_key *b)
{
	__u32 i;

	if (a->fam != b->fam || a->prefixlen > b->prefixlen)
		return false;
	for (i = 0; i + 8 < a->prefixlen; i++) {
		__u8 m = (__u8)(0x80 >> (i % 8));

		if ((a->addr[i / 8] & m) != (b->addr[i / 8] & m))
			return false;
	}
	return true;
}

/*
 * (Re)write the trie entry of prefix k: every live host limit whose prefix
 * contains it, so the longest match also charges the shorter ones around it.
 */
static int host_entry(struct nl_dp *dp, const struct nl_host_key *k)
{
	int fd = nl_dp__map_fd(dp, NL_MAP_HOSTS), n = 0;
	struct nl_ids c = { 0 };
	__u32 id;

	for (id = 1; id <= max_id(dp); id++) {
		struct nl_limit *l = nl_dp__limit(dp, id);

		if (l->kind != NL_KIND_HOST || !contains(&l->host, k))
			continue;
		if (n == NL_HOST_CHAIN)
			return -E2BIG;
		c.ids[n++] = id;
	}
	if (!n)
		return bpf_map_delete_elem(fd, k) && errno != ENOENT ? -errno : 0;
	return bpf_map_update_elem(fd, k, &c, BPF_ANY) ? -errno : 0;
}

static int cmp_id(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/*
 * The entry of a full-length prefix k (one address) without a walk of the
 * slots: every live host limit around k is in the chain of the longest
 * entry that holds k (each limit's prefix has an entry, and the prefixes
 * around one address nest), so that chain, checked slot by slot, and id.
 * The same ids, in the same order, as host_entry's walk.
 */
static int host_entry_address(struct nl_dp *dp, const struct nl_host_key *k, __u32 id)
{
	int fd = nl_dp__map_fd(dp, NL_MAP_HOSTS), n = 0, i;
	struct nl_ids old = { 0 }, c = { 0 };

	if (bpf_map_lookup_elem(fd, k, &old) && errno != ENOENT)
		return -errno;
	for (i = 0; i < NL_HOST_CHAIN && old.ids[i]; i++) {
		const struct nl_limit *l = nl_dp__limit(dp, old.ids[i]);

		if (l && old.ids[i] != id && l->kind == NL_KIND_HOST && contains(&l->host, k))
			c.ids[n++] = old.ids[i];
	}
	if (id && nl_dp__limit(dp, id)->kind == NL_KIND_HOST) {
		if (n == NL_HOST_CHAIN)
			return -E2BIG;
		c.ids[n++] = id;
	}
	qsort(c.ids, (size_t)n, sizeof(c.ids[0]), cmp_id);
	if (!n)
		return bpf_map_delete_elem(fd, k) && errno != ENOENT ? -errno : 0;
	return bpf_map_update_elem(fd, k, &c, BPF_ANY) ? -errno : 0;
}

static bool full_length(const struct nl_host_key *k)
{
	return k->prefixlen == 8 + (k->fam == NL_FAM_V4 ? 32 : 128);
}

/*
 * Rewrite the entries of k and of every host prefix inside it, for limit
 * id (0: k lost a limit). One address has nothing inside it: no walk.
 */
static int host_rewrite(struct nl_dp *dp, const struct nl_host_key *k, __u32 id)
{
	int err, e2;

	if (full_length(k))
		return host_entry_address(dp, k, id);
	err = host_entry(dp, k);
	for (id = 1; id <= max_id(dp); id++) {
		struct nl_limit *l = nl_dp__limit(dp, id);

		if (l->kind != NL_KIND_HOST || !contains(k, &l->host) ||
		    l->host.prefixlen == k->prefixlen)
			continue;
		e2 = host_entry(dp, &l->host);
		if (!err)
			err = e2;
	}
	return err;
}

/* nl_conf.nhosts: whether any host limit is live (the walk stops at the first). */
static void count_hosts(struct nl_dp *dp)
{
	__u32 id, n = 0;

	for (id = 1; id <= max_id(dp) && !n; id++)
		n = nl_dp__limit(dp, id)->kind == NL_KIND_HOST;
	__atomic_store_n(&nl_dp__conf(dp)->nhosts, n, __ATOMIC_SEQ_CST);
	/* The CPUs' memos of host chains (bpf/dataplane.bpf.c) are stale now. */
	nl_dp__bump(dp);
}

int nl_lim__attach_host(struct nl_lim *q, const struct nl_prefix *p)
{
	struct nl_host_key *k = &q->lim->host;
	int err;

	nl_prefix_key(p, &k->fam, k->addr, &k->prefixlen);
	k->prefixlen += 8;
	/* The scope trie holds the same prefix: a host limit counts only its traffic. */
	err = host_rewrite(q->dp, k, q->id);
	if (err) {
		/* Too many nested around one address: take this one out again. */
		__atomic_store_n(&q->lim->kind, 0, __ATOMIC_SEQ_CST);
		nl_limit_gates(q->lim);
		host_rewrite(q->dp, k, 0);
		nl_dp__bump(q->dp);
		q->lim->kind = NL_KIND_HOST;
		nl_limit_gates(q->lim);
		return err;
	}
	/* nhosts only says whether any exists (bpf/dataplane.bpf.c): this one does. */
	__atomic_store_n(&nl_dp__conf(q->dp)->nhosts, 1, __ATOMIC_SEQ_CST);
	nl_dp__bump(q->dp);
	return 0;
}

/* BPF_TCX_INGRESS / BPF_TCX_EGRESS, missing from libbpf 1.1's headers. */
#define NL_TCX_INGRESS 46
#define NL_TCX_EGRESS  47

/* Whether slot s holds interface k. */
static bool slot_holds(const struct nl_iface_slot *s, const struct nl_iface_key *k)
{
	return s->id && s->ifindex == k->ifindex && s->netns == k->netns;
}

/*
 * Interface k counts into r->id: in its slot when that is free or its own,
 * else in nl_ifaces (kept there while it has an entry there), the slot
 * told so first (an entry without it would not be looked for).
 */
static int iface_put(const struct nl_iface_fds *f, const struct nl_iface_key *k,
		     const struct nl_iface_ref *r)
{
	__u32 idx = nl_iface_fold(k->ifindex, k->netns);
	struct nl_iface_slot s;
	struct nl_iface_ref old;

	if (bpf_map_lookup_elem(f->slots, &idx, &s))
		return -errno;
	if (!bpf_map_lookup_elem(f->more, k, &old))
		return bpf_map_update_elem(f->more, k, r, BPF_EXIST) ? -errno : 0;
	if (!s.id || slot_holds(&s, k)) {
		s.ifindex = k->ifindex;
		s.netns = k->netns;
		s.id = r->id;
		s.link_hlen = (__u16)r->link_hlen;
		return bpf_map_update_elem(f->slots, &idx, &s, BPF_ANY) ? -errno : 0;
	}
	if (s.more == 0xffff)
		return -ENOSPC;
	s.more++;
	if (bpf_map_update_elem(f->slots, &idx, &s, BPF_ANY))
		return -errno;
	if (bpf_map_update_elem(f->more, k, r, BPF_NOEXIST)) {
		int err = errno == E2BIG ? -ENOSPC : -errno;

		s.more--;
		bpf_map_update_elem(f->slots, &idx, &s, BPF_ANY);
		return err;
	}
	return 0;
}

/* Interface k's entry out, if it is limit id's. */
static void iface_take(const struct nl_iface_fds *f, const struct nl_iface_key *k, __u32 id)
{
	__u32 idx = nl_iface_fold(k->ifindex, k->netns);
	struct nl_iface_slot s;
	struct nl_iface_ref r;

	if (bpf_map_lookup_elem(f->slots, &idx, &s))
		return;
	if (s.id == id && slot_holds(&s, k)) {
		s.id = s.ifindex = s.netns = s.link_hlen = 0; /* its `more` stays */
		bpf_map_update_elem(f->slots, &idx, &s, BPF_ANY);
	} else if (!bpf_map_lookup_elem(f->more, k, &r) && r.id == id &&
		   !bpf_map_delete_elem(f->more, k) && s.more) {
		s.more--;
		bpf_map_update_elem(f->slots, &idx, &s, BPF_ANY);
	}
}

int nl_lim__enter_iface(struct nl_lim *q, int *in, int *out)
{
	struct nl_iface_key k = { .ifindex = q->lim->ifindex, .netns = (__u32)q->lim->netns };
	struct nl_iface_ref r = { .id = q->id, .link_hlen = q->lim->link_hlen };
	struct nl_iface_fds f;
	int err;

	err = nl_dp__iface(q->dp, true, &f);
	if (!err)
		err = iface_put(&f, &k, &r);
	if (err)
		return err;
	*in = f.in;
	*out = f.out;
	return 0;
}

int nl_lim__attach_iface(struct nl_lim *q)
{
	int types[2] = { NL_TCX_INGRESS, NL_TCX_EGRESS }, progs[2], err;
	int ifindex = (int)q->lim->ifindex;

	/* The entry before the links: no packet crosses them uncounted. */
	err = nl_lim__enter_iface(q, &progs[0], &progs[1]);
	if (err)
		return err;
	for (int i = 0; i < 2; i++) {
		int fd = bpf_link_create(progs[i], ifindex, (enum bpf_attach_type)types[i], NULL);

		if (fd < 0)
			return -errno;
		q->raw_links[q->nraw++] = fd;
	}
	return 0;
}

/* The limit id whose entry interface k has, 0 if none. */
static __u32 iface_entry(const struct nl_iface_fds *f, const struct nl_iface_key *k)
{
	__u32 idx = nl_iface_fold(k->ifindex, k->netns);
	struct nl_iface_slot s;
	struct nl_iface_ref r;

	if (bpf_map_lookup_elem(f->slots, &idx, &s))
		return 0;
	if (slot_holds(&s, k))
		return s.id;
	return s.more && !bpf_map_lookup_elem(f->more, k, &r) ? r.id : 0;
}

int nl_lim__iface_owner(struct nl_state *st, int ifindex, __u64 netns)
{
	struct nl_iface_key k = { .ifindex = (__u32)ifindex, .netns = (__u32)netns };
	struct nl_iface_fds f;
	struct nl_limit *l;
	struct nl_dp *dp;
	__u32 id = 0;

	if (nl_dp__open(st, false, &dp))
		return 0;
	if (!nl_dp__iface(dp, false, &f))
		id = iface_entry(&f, &k);
	l = id ? nl_dp__limit(dp, id) : NULL;
	if (!l || __atomic_load_n(&l->kind, __ATOMIC_ACQUIRE) != NL_KIND_IFACE ||
	    l->ifindex != k.ifindex || l->netns != netns)
		id = 0;
	nl_dp__free(dp);
	return (int)id;
}

/* An interface limit's entry out, if it is still this limit's. */
static void iface_del(struct nl_dp *dp, const struct nl_limit *l, __u32 id)
{
	struct nl_iface_key k = { .ifindex = l->ifindex, .netns = (__u32)l->netns };
	struct nl_iface_fds f;

	/* None pinned: a limit of an older netlimit, with programs of its own. */
	if (!nl_dp__iface(dp, false, &f))
		iface_take(&f, &k, id);
}

/* The limit a socket's tag is of, if it still is (the BPF side's tag_limit). */
static struct nl_limit *tag_limit(struct nl_dp *dp, const struct nl_tag *t)
{
	struct nl_limit *l = t->id ? nl_dp__limit(dp, t->id) : NULL;

	return l && l->kind == NL_KIND_PID && l->gen == t->gen ? l : NULL;
}

/* Add tag {id, gen} to tags; false if there is no room. */
static bool add_tag(struct nl_tags *t, __u32 id, __u32 gen, struct nl_dp *dp)
{
	int i, free_slot = -1;

	for (i = 0; i < NL_TASK_TAGS; i++) {
		if (t->t[i].id == id && t->t[i].gen == gen)
			return true;
		/* A tag of a limit that is gone is room too. */
		if (free_slot < 0 && !tag_limit(dp, &t->t[i]))
			free_slot = i;
	}
	if (free_slot < 0)
		return false;
	t->t[free_slot].id = id;
	t->t[free_slot].gen = gen;
	return true;
}

/* Add n to socks of the limits of t's tags: all of them, or only the one of id. */
static void count_socket(struct nl_dp *dp, const struct nl_tags *t, __u32 id, int n)
{
	struct nl_limit *l;
	int i;

	for (i = 0; i < NL_TASK_TAGS; i++)
		if ((!id || t->t[i].id == id) && (l = tag_limit(dp, &t->t[i])))
			__atomic_fetch_add(&l->socks, n, __ATOMIC_RELAXED);
}

static int tcp_state(int fd)
{
	struct tcp_info ti = { 0 };
	socklen_t tl = sizeof(ti);

	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) ? -1 : ti.tcpi_state;
}

/*
 * Tag one socket (fd, ours by pidfd_getfd) with q's limit. A TCP one is
 * counted in socks until its CLOSE, which the BPF side (tcp_closed) sees
 * from the moment the tags hold its cookie as live: set first, then the
 * state read; closed already, and not taken off by BPF since, it is taken
 * off here.
 */
static bool tag_socket(struct nl_lim *q, int fd, int tags_fd)
{
	struct nl_tags t = { 0 };
	__u64 cookie = 0;
	socklen_t len = sizeof(cookie);
	int proto = 0;
	socklen_t pl = sizeof(proto);
	bool tcp, fresh;

	bpf_map_lookup_elem(tags_fd, &fd, &t);
	/* Not every socket can carry storage (unix, netlink): only inet counts. */
	if (!add_tag(&t, q->id, q->lim->gen, q->dp))
		return false;
	tcp = !getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &pl) && proto == IPPROTO_TCP &&
	      !getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len) && cookie;
	/* Not counted yet: by every tag it has, from now on. */
	fresh = tcp && t.live != cookie;
	if (tcp)
		t.live = cookie;
	if (bpf_map_update_elem(tags_fd, &fd, &t, BPF_ANY))
		return false;
	if (!tcp)
		return true;
	count_socket(q->dp, &t, fresh ? 0 : q->id, 1);
	if (tcp_state(fd) == TCP_CLOSE && !bpf_map_lookup_elem(tags_fd, &fd, &t) &&
	    t.live == cookie) {
		t.live = 0;
		bpf_map_update_elem(tags_fd, &fd, &t, BPF_ANY);
		count_socket(q->dp, &t, fresh ? 0 : q->id, -1);
	}
	return true;
}

/* Tag every socket the process holds now, so running transfers are counted. */
static int tag_sockets(struct nl_lim *q, int pidfd, pid_t pid)
{
	char dir[64], link[64], path[340];
	int tags_fd = nl_dp__map_fd(q->dp, NL_MAP_SOCK_TAGS);
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		ssize_t len;
		int fd;

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
		n += tag_socket(q, fd, tags_fd);
		close(fd);
	}
	closedir(d);
	return n;
}

/* Whether a process has exited (zombie or gone), from /proc/PID/stat. */
static bool process_dead(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return true;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	return !p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X';
}

int nl_lim__tag_pid(struct nl_lim *q, pid_t pid)
{
	int fd = nl_dp__map_fd(q->dp, NL_MAP_TASKS), pidfd, err;
	struct nl_tags t = { 0 };

	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	bpf_map_lookup_elem(fd, &pidfd, &t);
	for (int i = 0; i < NL_TASK_TAGS; i++) {
		if (t.t[i].id == q->id && t.t[i].gen == q->lim->gen) {
			close(pidfd);
			return 0; /* already */
		}
	}
	if (!add_tag(&t, q->id, q->lim->gen, q->dp)) {
		close(pidfd);
		return -E2BIG;
	}
	if (bpf_map_update_elem(fd, &pidfd, &t, BPF_ANY)) {
		err = -errno;
		close(pidfd);
		return err;
	}
	__atomic_fetch_add(&q->lim->tasks, 1, __ATOMIC_RELAXED);
	/*
	 * A process that had already exited (a zombie not yet reaped) will see
	 * no exit tracepoint after this: take its tag back, or the limit would
	 * count it alive for ever. One that exits from now on is seen by BPF.
	 */
	if (process_dead(pid)) {
		bpf_map_delete_elem(fd, &pidfd);
		__atomic_fetch_sub(&q->lim->tasks, 1, __ATOMIC_RELAXED);
		close(pidfd);
		return -ESRCH;
	}
	err = tag_sockets(q, pidfd, pid);
	close(pidfd);
	nl_dp__bump(q->dp);
	if (err >= 0)
		nl_verbose("pid %d: %d open socket(s) tagged", (int)pid, err);
	return err < 0 ? err : 0;
}

int nl_lim__pid_tagged(struct nl_lim *q, pid_t pid)
{
	struct nl_tags t = { 0 };
	int pidfd, r = 0;

	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	if (!bpf_map_lookup_elem(nl_dp__map_fd(q->dp, NL_MAP_TASKS), &pidfd, &t))
		for (int i = 0; i < NL_TASK_TAGS; i++)
			r |= t.t[i].id == q->id && t.t[i].gen == q->lim->gen;
	close(pidfd);
	return r;
}

int nl_lim__pin(struct nl_lim *q, const char *dir)
{
	char path[512];

	for (int i = 0; i < q->nraw; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, raw_names[i]);
		if (bpf_obj_pin(q->raw_links[i], path))
			return -errno;
	}
	return 0;
}

/* Detach an interface limit's links for real: a live owner may hold them open too. */
static int detach_links(const char *dir)
{
	char path[600];
	int fd, err = 0;

	for (int i = 0; i < 2 && dir; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, raw_names[i]);
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		if (bpf_link_detach(fd) && errno != ENOLINK && !err)
			err = -errno;
		close(fd);
	}
	return err;
}

/* Every prefix of the limit's scope out of the shared trie. */
static void scope_clear(struct nl_dp *dp, __u32 id)
{
	int fd = nl_dp__map_fd(dp, NL_MAP_SCOPES);
	struct nl_scope_key k, next, *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		if (ntohl(k.id) == id) {
			bpf_map_delete_elem(fd, &k);
			prev = NULL; /* the walk restarts: deleting moves it */
			continue;
		}
		prev = &k;
	}
}

int nl_lim__detach(struct nl_state *st, __u32 id, const char *dir)
{
	struct nl_limit *l;
	struct nl_dp *dp;
	__u32 kind;
	int err;

	err = detach_links(dir);
	if (nl_dp__open(st, false, &dp))
		return err;
	l = nl_dp__limit(dp, id);
	if (!l) {
		nl_dp__free(dp);
		return err;
	}
	/* The fast charge first: it does not look at kind. */
	__atomic_store_n(&l->in.gate, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&l->out.gate, 0, __ATOMIC_SEQ_CST);
	kind = __atomic_exchange_n(&l->kind, 0, __ATOMIC_SEQ_CST);
	if (kind) {
		if (kind == NL_KIND_RUN || kind == NL_KIND_CGROUP)
			cg_del(dp, l->cgroup_id, id);
		if (kind == NL_KIND_HOST) {
			host_rewrite(dp, &l->host, 0);
			count_hosts(dp);
		}
		if (kind == NL_KIND_IFACE)
			iface_del(dp, l, id);
		if (l->scope != NL_SCOPE_ALL)
			scope_clear(dp, id);
		bpf_map_delete_elem(nl_dp__map_fd(dp, NL_MAP_RINGS), &id);
		/* Its period's timer goes with the entry. */
		bpf_map_delete_elem(nl_dp__map_fd(dp, NL_MAP_PERIODS), &id);
		__atomic_fetch_sub(&nl_dp__conf(dp)->nlimits, 1, __ATOMIC_SEQ_CST);
		if (kind == NL_KIND_PID)
			__atomic_fetch_sub(&nl_dp__conf(dp)->npids, 1, __ATOMIC_SEQ_CST);
		nl_rate_count(nl_dp__conf(dp), l, -1);
		nl_dp__bump(dp);
		/* Its shaper class goes, and the shaper with the last one. */
		if (l->rate[NL_B_IN])
			nl_shaper_sync(st, dp);
	}
	nl_dp__free(dp);
	return err;
}

int nl_lim__each(struct nl_state *st, nl_each_fn fn, void *ctx)
{
	struct nl_dp *dp;
	size_t n, i;
	__u32 *ids;
	int r = 0;

	if (nl_dp__open(st, false, &dp))
		return 0;
	if (nl_state__ids(st, &ids, &n)) {
		nl_dp__free(dp);
		return 0;
	}
	for (i = 0; i < n && !r; i++) {
		struct nl_lim *q;

		if (nl_lim__open(st, ids[i], &q))
			continue; /* removed meanwhile */
		r = fn(q, ctx);
		nl_lim__free(q);
	}
	free(ids);
	nl_dp__free(dp);
	return r;
}

void nl_limit_gates(struct nl_limit *l)
{
	bool common = __atomic_load_n(&l->kind, __ATOMIC_ACQUIRE) && l->scope == NL_SCOPE_ALL &&
		      !l->wire && !l->cg_level && !__atomic_load_n(&l->rated, __ATOMIC_ACQUIRE);
	__u64 total = __atomic_load_n(&l->cap_total, __ATOMIC_RELAXED);

	/* Totals before gates: a packet that sees a gate sees the total with it. */
	__atomic_store_n(&l->in.total, total, __ATOMIC_RELEASE);
	__atomic_store_n(&l->out.total, total, __ATOMIC_RELEASE);
	__atomic_store_n(&l->in.gate, common ? __atomic_load_n(&l->cap_in, __ATOMIC_RELAXED) : 0,
			 __ATOMIC_RELEASE);
	__atomic_store_n(&l->out.gate, common ? __atomic_load_n(&l->cap_out, __ATOMIC_RELAXED) : 0,
			 __ATOMIC_RELEASE);
}

struct nl_limit *nl_lim__limit(struct nl_lim *q)
{
	return q->lim;
}

struct nl_dp *nl_lim__dp(struct nl_lim *q)
{
	return q->dp;
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct nl_lim *q = ctx;
	const struct nl_event *e = data;

	if (len >= sizeof(*e) && e->id == q->id)
		q->fn(q->ctx, e);
	return 0;
}

int nl_lim__events(struct nl_lim *q, nl_event_fn fn, void *ctx)
{
	int outer = nl_dp__map_fd(q->dp, NL_MAP_RINGS);

	q->fn = fn;
	q->ctx = ctx;
	q->ring_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "nl_ring", 0, 0, NL_RING_SIZE, NULL);
	if (q->ring_fd < 0)
		return -errno;
	if (bpf_map_update_elem(outer, &q->id, &q->ring_fd, BPF_ANY))
		return -errno;
	q->rb = ring_buffer__new(q->ring_fd, on_event, q, NULL);
	if (!q->rb)
		return -errno;
	return ring_buffer__epoll_fd(q->rb);
}

int nl_lim__consume(struct nl_lim *q)
{
	return q->rb ? ring_buffer__consume(q->rb) : 0;
}

void nl_lim__free(struct nl_lim *q)
{
	if (!q)
		return;
	ring_buffer__free(q->rb);
	if (q->ring_fd >= 0)
		close(q->ring_fd);
	for (int i = 0; i < q->nraw; i++)
		close(q->raw_links[i]);
	nl_dp__free(q->dp);
	free(q);
}
