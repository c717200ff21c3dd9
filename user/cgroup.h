/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* cgroup v2: finding the mount, netlimit's cgroups, moving and ending processes. */
#ifndef NETLIMIT_CGROUP_H
#define NETLIMIT_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

/* Where cgroup2 is mounted (from /proc/self/mounts); -ENOENT if nowhere. */
int nl_cgroup_mount(char *buf, size_t len);

/*
 * The parent of every cgroup netlimit creates: <cgroup2>/netlimit, or
 * <cgroup2>/$NETLIMIT_CGROUP. Created when missing.
 */
int nl_cgroup_parent(char *buf, size_t len);

/* A process's cgroup (0: this one), as a path under the cgroup2 mount. */
int nl_cgroup_of(pid_t pid, char *buf, size_t len);
/*
 * Where `run` makes its cgroups: the parent above, or, when netlimit itself
 * runs inside a netlimit cgroup, that cgroup, so nested limits stay inside
 * the outer one.
 */
int nl_cgroup_home(char *buf, size_t len);
int nl_cgroup_create(const char *path);
/* rmdir, waiting briefly for exiting tasks to leave. */
int nl_cgroup_remove(const char *path);
int nl_cgroup_enter(const char *path, pid_t pid);
/* Send sig to every process in the cgroup and below; returns how many got it. */
int nl_cgroup_signal(const char *path, int sig);
/* SIGKILL everything in the cgroup and its children (cgroup.kill). */
int nl_cgroup_kill(const char *path);
/* 1 if any process is in the cgroup or below, 0 if none, -errno. */
int nl_cgroup_populated(const char *path);
/*
 * The path of the cgroup with this id, found from the id (a cgroupfs file
 * handle), never from text; -ENOENT once the cgroup is gone.
 */
int nl_cgroup_path_of_id(__u64 id, char *buf, size_t len);
/* The cgroup id BPF sees (the cgroup directory's inode number). */
int nl_cgroup_id(const char *path, __u64 *id);
/*
 * Paths of every cgroup below base by id, for tables: load walks the tree
 * once, get returns the path from the hierarchy's root (NULL: unknown).
 */
void nl_cgnames_load(const char *base);
const char *nl_cgnames_get(__u64 id);
void nl_cgnames_free(void);

#endif
