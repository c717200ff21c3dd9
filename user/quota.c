// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* User side of a limit: see user/quota.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "quota.skel.h"
#include "quota_user.h"

struct nl_quota {
	struct quota_bpf *skel; /* NULL for a limit opened from its pins */
	struct bpf_link *link_in, *link_out;
	int limit_fd, events_fd; /* owned only when skel is NULL */
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
	q->skel = quota_bpf__open_and_load();
	if (!q->skel) {
		err = -errno;
		goto fail;
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
	l->created_ns = (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
	snprintf(l->name, sizeof(l->name), "%s", o->name ? o->name : "");
	snprintf(l->target, sizeof(l->target), "%s", o->target ? o->target : "");
	*out = q;
	return 0;
fail:
	nl_quota__free(q);
	return err;
}

int nl_quota__attach_cgroup(struct nl_quota *q, int cgroup_fd)
{
	q->link_in = bpf_program__attach_cgroup(q->skel->progs.nl_ingress, cgroup_fd);
	if (!q->link_in)
		return -errno;
	q->link_out = bpf_program__attach_cgroup(q->skel->progs.nl_egress, cgroup_fd);
	if (!q->link_out)
		return -errno;
	return 0;
}

int nl_quota__pin(struct nl_quota *q, const char *dir)
{
	char path[512];
	int err;

	snprintf(path, sizeof(path), "%s/limit", dir);
	err = bpf_map__pin(q->skel->maps.nl_limit, path);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/events", dir);
	err = bpf_map__pin(q->skel->maps.nl_events, path);
	if (err)
		return err;
	if (q->link_in) {
		snprintf(path, sizeof(path), "%s/link_in", dir);
		err = bpf_link__pin(q->link_in, path);
		if (err)
			return err;
	}
	if (q->link_out) {
		snprintf(path, sizeof(path), "%s/link_out", dir);
		err = bpf_link__pin(q->link_out, path);
		if (err)
			return err;
	}
	return 0;
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
	q->events_fd = -1;
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
	err = map_limit(q);
	if (err)
		goto fail;
	*out = q;
	return 0;
fail:
	nl_quota__free(q);
	return err;
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
	bpf_link__destroy(q->link_in);
	bpf_link__destroy(q->link_out);
	if (q->skel) {
		quota_bpf__destroy(q->skel);
	} else {
		if (q->limit_fd >= 0)
			close(q->limit_fd);
		if (q->events_fd >= 0)
			close(q->events_fd);
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
