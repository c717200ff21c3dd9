// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The guard: a small process left behind by `attach --on-limit=kill` and
 * `iface --on-limit=down`. It owns the limit (holds its lock), acts at the
 * cap (ends the targets, or brings the interface down), and removes the
 * limit once its target is gone. If it is killed, the cap still holds.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <net/if.h>
#include <sys/epoll.h>
#include "cgroup.h"
#include "gc.h"
#include "link.h"
#include "limit.h"
#include "state.h"
#include "guard.h"

/* The watcher left behind by --on-limit=kill. */
struct watch {
	struct nl_state *st;
	__u32 id;
	__u64 stamp;
	struct nl_lim *q;
	__u64 grace_ns;
	int killing;
	struct timespec kill_at;
};

static void signal_targets(struct watch *w, int sig)
{
	struct nl_limit *l = nl_lim__limit(w->q);
	struct dirent *de;
	DIR *d;

	if (l->kind == NL_KIND_IFACE) {
		char name[IF_NAMESIZE];

		/* "down": the first signal brings the link down; nothing else to do. */
		if (sig == SIGTERM && if_indextoname(l->ifindex, name))
			nl_link_set_up(name, false);
		return;
	}
	if (l->kind == NL_KIND_CGROUP) {
		char path[PATH_MAX];

		/* Found by its id: never by the text a person reads. */
		if (nl_cgroup_path_of_id(l->cgroup_id, path, sizeof(path)))
			return;
		if (sig == SIGKILL)
			nl_cgroup_kill(path);
		else
			nl_cgroup_signal(path, sig);
		return;
	}
	/* Tagged processes: every PID whose task storage holds our tag. */
	d = opendir("/proc");
	if (!d)
		return;
	while ((de = readdir(d))) {
		pid_t pid = (pid_t)atoi(de->d_name);

		if (pid > 0 && nl_lim__pid_tagged(w->q, pid) == 1)
			kill(pid, sig);
	}
	closedir(d);
}

static void watch_event(void *ctx, const struct nl_event *e)
{
	struct watch *w = ctx;

	if (w->killing)
		return;
	w->killing = 1;
	signal_targets(w, SIGTERM);
	clock_gettime(CLOCK_MONOTONIC, &w->kill_at);
	w->kill_at.tv_sec += (time_t)(w->grace_ns / 1000000000ULL);
	w->kill_at.tv_nsec += (long)(w->grace_ns % 1000000000ULL);
	if (w->kill_at.tv_nsec >= 1000000000L) {
		w->kill_at.tv_sec++;
		w->kill_at.tv_nsec -= 1000000000L;
	}
}

static void watch_loop(struct watch *w, int events_fd)
{
	char dir[512];
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	nl_state__path(w->st, w->id, NULL, dir, sizeof(dir));
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, events_fd, &ev))
		return;
	for (;;) {
		struct timespec now;

		epoll_wait(ep, &ev, 1, 100);
		nl_lim__consume(w->q);
		/* A cap reached before our ring was in place sent no event. */
		if (!w->killing && __atomic_load_n(&nl_lim__limit(w->q)->hit, __ATOMIC_RELAXED))
			watch_event(w, NULL);
		if (w->killing == 1) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec > w->kill_at.tv_sec || (now.tv_sec == w->kill_at.tv_sec &&
							       now.tv_nsec >= w->kill_at.tv_nsec)) {
				signal_targets(w, SIGKILL);
				w->killing = 2;
			}
		}
		if (access(dir, F_OK))
			break; /* detached */
		if (nl_limit_target_gone(nl_lim__limit(w->q))) {
			/*
			 * A limit made for a user is removed by the service once it has
			 * reported on it (user/daemon.c), or by the next collection.
			 */
			if (!__atomic_load_n(&nl_lim__limit(w->q)->owner_uid, __ATOMIC_RELAXED)) {
				nl_state__lock(w->st);
				nl_limit_remove(w->st, w->id, w->stamp);
				nl_state__unlock(w->st);
			}
			break;
		}
	}
	close(ep);
}

int nl_guard_start(struct nl_state *st, __u32 id, int own_fd, __u64 grace_ns)
{
	struct watch w = { .st = st, .id = id, .grace_ns = grace_ns };
	pid_t pid;
	int fd;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		return 0;
	setsid();
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	signal(SIGHUP, SIG_IGN);
	if (!nl_lim__open(st, id, &w.q)) {
		int efd = nl_lim__events(w.q, watch_event, &w);

		w.stamp = nl_lim__limit(w.q)->created_ns;
		if (efd >= 0)
			watch_loop(&w, efd);
		nl_lim__free(w.q);
	}
	close(own_fd);
	_exit(0);
}
