// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* User side of a limit: see user/quota.h. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "quota.skel.h"
#include "quota_user.h"
#include "state.h"

#define NL_MAX_LINKS 64

struct nl_quota {
	struct quota_bpf *skel; /* NULL for a limit opened from its pins */
	struct bpf_link *links[NL_MAX_LINKS];
	char link_names[NL_MAX_LINKS][24];
	int nlinks;
	int raw_links[4]; /* tcx links (libbpf 1.1 has no bpf_link for them) */
	char raw_names[4][24];
	int nraw;
	int limit_fd, events_fd, tasks_fd, socks_fd; /* owned only when skel is NULL */
	struct nl_limit *lim;
	size_t lim_len;
	struct ring_buffer *rb;
	nl_event_fn fn;
	void *ctx;
};

static int map_limit(struct nl_quota *q)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	q->lim_len = (sizeof(struct nl_limit) + page - 1) / page * page;
	p = mmap(NULL, q->lim_len, PROT_READ | PROT_WRITE, MAP_SHARED, q->limit_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	q->lim = p;
	return 0;
}

int nl_quota__new(const struct nl_quota_opts *o, struct nl_quota **out)
{
	struct nl_quota *q;
	struct nl_limit *l;
	struct timespec ts;
	int err;

	*out = NULL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->limit_fd = q->events_fd = -1;
	q->skel = quota_bpf__open();
	if (!q->skel) {
		err = -errno;
		goto fail;
	}
	q->skel->rodata->nl_scope_mode = o->scope;
	q->skel->rodata->nl_wire = o->wire ? 1 : 0;
	q->skel->rodata->nl_link_hlen = o->link_hlen ? o->link_hlen : 14;
	if (o->nprefixes)
		bpf_map__set_max_entries(q->skel->maps.nl_scope, (__u32)o->nprefixes);
	err = quota_bpf__load(q->skel);
	if (err)
		goto fail;
	for (size_t i = 0; i < o->nprefixes; i++) {
		struct nl_scope_key k = { .prefixlen = nl_prefix_keylen(&o->prefixes[i]) };
		__u8 one = 1;

		memcpy(k.addr, o->prefixes[i].addr, sizeof(k.addr));
		if (bpf_map_update_elem(bpf_map__fd(q->skel->maps.nl_scope), &k, &one, BPF_ANY)) {
			err = -errno;
			goto fail;
		}
	}
	q->limit_fd = bpf_map__fd(q->skel->maps.nl_limit);
	q->events_fd = bpf_map__fd(q->skel->maps.nl_events);
	err = map_limit(q);
	if (err)
		goto fail;
	l = q->lim;
	clock_gettime(CLOCK_REALTIME, &ts);
	l->id = o->id;
	l->kind = o->kind;
	l->action = o->action;
	l->pid = o->pid;
	l->cap_in = o->cap_in;
	l->cap_out = o->cap_out;
	l->cap_total = o->cap_total;
	l->cgroup_id = o->cgroup_id;
	l->scope = o->scope;
	l->wire = o->wire ? 1 : 0;
	l->ifindex = o->ifindex;
	l->netns = o->netns;
	l->created_ns = (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
	snprintf(l->name, sizeof(l->name), "%s", o->name ? o->name : "");
	snprintf(l->target, sizeof(l->target), "%s", o->target ? o->target : "");
	*out = q;
	return 0;
fail:
	nl_quota__free(q);
	return err;
}

static int add_link(struct nl_quota *q, struct bpf_link *link, const char *name)
{
	if (!link)
		return -errno;
	if (q->nlinks == NL_MAX_LINKS) {
		bpf_link__destroy(link);
		return -E2BIG;
	}
	q->links[q->nlinks] = link;
	snprintf(q->link_names[q->nlinks], sizeof(q->link_names[0]), "%s", name);
	q->nlinks++;
	return 0;
}

int nl_quota__attach_cgroup(struct nl_quota *q, int cgroup_fd)
{
	char name[24];
	int err, n = q->nlinks / 2;

	snprintf(name, sizeof(name), n ? "link_in_%d" : "link_in", n);
	err = add_link(q, bpf_program__attach_cgroup(q->skel->progs.nl_ingress, cgroup_fd), name);
	if (err)
		return err;
	snprintf(name, sizeof(name), n ? "link_out_%d" : "link_out", n);
	return add_link(q, bpf_program__attach_cgroup(q->skel->progs.nl_egress, cgroup_fd), name);
}

/* BPF_TCX_INGRESS / BPF_TCX_EGRESS, missing from libbpf 1.1's headers. */
#define NL_TCX_INGRESS 46
#define NL_TCX_EGRESS  47

int nl_quota__attach_iface(struct nl_quota *q, int ifindex)
{
	static const char *names[2] = { "link_tc_in", "link_tc_out" };
	int progs[2] = { bpf_program__fd(q->skel->progs.nl_tc_ingress),
			 bpf_program__fd(q->skel->progs.nl_tc_egress) };
	int types[2] = { NL_TCX_INGRESS, NL_TCX_EGRESS };

	for (int i = 0; i < 2; i++) {
		int fd = bpf_link_create(progs[i], ifindex, (enum bpf_attach_type)types[i], NULL);

		if (fd < 0)
			return -errno;
		q->raw_links[q->nraw] = fd;
		snprintf(q->raw_names[q->nraw], sizeof(q->raw_names[0]), "%s", names[i]);
		q->nraw++;
	}
	return 0;
}

int nl_quota__attach_tasks(struct nl_quota *q)
{
	int err;

	err = add_link(q, bpf_program__attach(q->skel->progs.nl_fork), "link_fork");
	if (err)
		return err;
	err = add_link(q, bpf_program__attach(q->skel->progs.nl_sock_state), "link_state");
	if (err)
		return err;
	return add_link(q, bpf_program__attach(q->skel->progs.nl_exit), "link_exit");
}

int nl_quota__attach_sockets(struct nl_quota *q, int cgroup_fd)
{
	char name[24];
	int err, n = q->nlinks;

	snprintf(name, sizeof(name), "link_sock_%d", n);
	err = add_link(q, bpf_program__attach_cgroup(q->skel->progs.nl_sock_create, cgroup_fd),
		       name);
	if (err)
		return err;
	snprintf(name, sizeof(name), "link_in_%d", n);
	err = add_link(q, bpf_program__attach_cgroup(q->skel->progs.nl_pid_ingress, cgroup_fd),
		       name);
	if (err)
		return err;
	snprintf(name, sizeof(name), "link_out_%d", n);
	return add_link(q, bpf_program__attach_cgroup(q->skel->progs.nl_pid_egress, cgroup_fd),
			name);
}

static int tasks_fd(struct nl_quota *q)
{
	return q->skel ? bpf_map__fd(q->skel->maps.nl_tasks) : q->tasks_fd;
}

static int socks_fd(struct nl_quota *q)
{
	return q->skel ? bpf_map__fd(q->skel->maps.nl_socks) : q->socks_fd;
}

/* Tag every socket the process holds now, so running transfers are counted. */
static int tag_sockets(struct nl_quota *q, int pidfd, pid_t pid)
{
	char dir[64], link[64], path[340];
	struct dirent *de;
	__u32 zero = 0;
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
		/* Not every socket can carry storage (unix, netlink): only inet counts. */
		if (!bpf_map_update_elem(socks_fd(q), &fd, &zero, BPF_ANY)) {
			struct tcp_info ti = { 0 };
			socklen_t tl = sizeof(ti);
			int proto = 0;
			socklen_t pl = sizeof(proto);

			/* Tagged first, then read: a close from now on is seen by BPF. */
			if (!getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &pl) &&
			    proto == IPPROTO_TCP &&
			    !getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) &&
			    ti.tcpi_state != TCP_CLOSE)
				__atomic_fetch_add(&q->lim->socks, 1, __ATOMIC_RELAXED);
			n++;
		}
		close(fd);
	}
	closedir(d);
	return n;
}

int nl_quota__tag_pid(struct nl_quota *q, pid_t pid)
{
	__u32 zero = 0;
	int pidfd, err;

	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	err = bpf_map_update_elem(tasks_fd(q), &pidfd, &zero, BPF_NOEXIST);
	if (err) {
		err = -errno;
		close(pidfd);
		return err == -EEXIST ? 0 : err;
	}
	__atomic_fetch_add(&q->lim->tasks, 1, __ATOMIC_RELAXED);
	err = tag_sockets(q, pidfd, pid);
	close(pidfd);
	if (err >= 0)
		nl_debug("pid %d: %d open socket(s) tagged", (int)pid, err);
	return err < 0 ? err : 0;
}

int nl_quota__pid_tagged(struct nl_quota *q, pid_t pid)
{
	__u32 v;
	int pidfd, r;

	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	r = bpf_map_lookup_elem(tasks_fd(q), &pidfd, &v) ? 0 : 1;
	close(pidfd);
	return r;
}

int nl_quota__pin(struct nl_quota *q, const char *dir)
{
	char path[512];
	int err, i;

	snprintf(path, sizeof(path), "%s/limit", dir);
	err = bpf_map__pin(q->skel->maps.nl_limit, path);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/events", dir);
	err = bpf_map__pin(q->skel->maps.nl_events, path);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/tasks", dir);
	err = bpf_map__pin(q->skel->maps.nl_tasks, path);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/socks", dir);
	err = bpf_map__pin(q->skel->maps.nl_socks, path);
	if (err)
		return err;
	for (i = 0; i < q->nlinks; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, q->link_names[i]);
		err = bpf_link__pin(q->links[i], path);
		if (err)
			return err;
	}
	for (i = 0; i < q->nraw; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, q->raw_names[i]);
		if (bpf_obj_pin(q->raw_links[i], path))
			return -errno;
	}
	snprintf(path, sizeof(path), "%s/scope", dir);
	return bpf_map__pin(q->skel->maps.nl_scope, path);
}

int nl_quota__open(const char *dir, struct nl_quota **out)
{
	struct nl_quota *q;
	char path[512];
	int err;

	*out = NULL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->events_fd = q->tasks_fd = q->socks_fd = -1;
	snprintf(path, sizeof(path), "%s/limit", dir);
	q->limit_fd = bpf_obj_get(path);
	if (q->limit_fd < 0) {
		err = -errno;
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/events", dir);
	q->events_fd = bpf_obj_get(path);
	if (q->events_fd < 0) {
		err = -errno;
		goto fail;
	}
	/* Limits made before the PID maps existed have none: not an error. */
	snprintf(path, sizeof(path), "%s/tasks", dir);
	q->tasks_fd = bpf_obj_get(path);
	snprintf(path, sizeof(path), "%s/socks", dir);
	q->socks_fd = bpf_obj_get(path);
	err = map_limit(q);
	if (err)
		goto fail;
	*out = q;
	return 0;
fail:
	nl_quota__free(q);
	return err;
}

int nl_quota__detach_pinned(const char *dir)
{
	char path[600];
	struct dirent *de;
	int fd, err = 0;
	DIR *d = opendir(dir);

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	/* Detach for real: a live `run` may still hold the same links open. */
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "link_", 5))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		/* Tracing links cannot be detached: unpinning drops their last reference. */
		if (bpf_link_detach(fd) && errno != ENOLINK && errno != EOPNOTSUPP &&
		    errno != 524 /* ENOTSUPP */ && !err)
			err = -errno;
		close(fd);
	}
	closedir(d);
	return err;
}

int nl_quota__each(struct nl_state *st, nl_each_fn fn, void *ctx)
{
	char dir[512];
	size_t n, i;
	__u32 *ids;
	int r = 0;

	if (nl_state__ids(st, &ids, &n))
		return 0;
	for (i = 0; i < n && !r; i++) {
		struct nl_quota *q;

		nl_state__path(st, ids[i], NULL, dir, sizeof(dir));
		if (nl_quota__open(dir, &q))
			continue; /* removed meanwhile */
		r = fn(q, ctx);
		nl_quota__free(q);
	}
	free(ids);
	return r;
}

struct nl_limit *nl_quota__limit(struct nl_quota *q)
{
	return q->lim;
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct nl_quota *q = ctx;

	if (len >= sizeof(struct nl_event))
		q->fn(q->ctx, data);
	return 0;
}

int nl_quota__events(struct nl_quota *q, nl_event_fn fn, void *ctx)
{
	q->fn = fn;
	q->ctx = ctx;
	q->rb = ring_buffer__new(q->events_fd, on_event, q, NULL);
	if (!q->rb)
		return -errno;
	return ring_buffer__epoll_fd(q->rb);
}

int nl_quota__consume(struct nl_quota *q)
{
	return q->rb ? ring_buffer__consume(q->rb) : 0;
}

void nl_quota__free(struct nl_quota *q)
{
	if (!q)
		return;
	ring_buffer__free(q->rb);
	if (q->lim)
		munmap(q->lim, q->lim_len);
	for (int i = 0; i < q->nlinks; i++)
		bpf_link__destroy(q->links[i]);
	for (int i = 0; i < q->nraw; i++)
		close(q->raw_links[i]);
	if (q->skel) {
		quota_bpf__destroy(q->skel);
	} else {
		if (q->limit_fd >= 0)
			close(q->limit_fd);
		if (q->events_fd >= 0)
			close(q->events_fd);
		if (q->tasks_fd >= 0)
			close(q->tasks_fd);
		if (q->socks_fd >= 0)
			close(q->socks_fd);
	}
	free(q);
}

int nl_quota__prog_fds(struct nl_quota *q, int *in, int *out)
{
	if (!q->skel)
		return -EINVAL;
	*in = bpf_program__fd(q->skel->progs.nl_ingress);
	*out = bpf_program__fd(q->skel->progs.nl_egress);
	return 0;
}
