// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* netlimit's directory in bpffs: ids, pins, locks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include "log.h"
#include "state.h"

#define BPFFS "/sys/fs/bpf"

struct nl_state {
	char root[256];
	int dirfd;
};

const char *nl_state__root(const struct nl_state *st)
{
	return st->root;
}

int nl_state__dirfd(const struct nl_state *st)
{
	return st->dirfd;
}

static bool is_bpffs(const char *path)
{
	struct statfs sfs;

	return !statfs(path, &sfs) && sfs.f_type == BPF_FS_MAGIC;
}

/* The parent of <root> must be bpffs; mount the standard one if it is not. */
static int ensure_bpffs(const char *root)
{
	char parent[256], *slash;

	snprintf(parent, sizeof(parent), "%s", root);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return -EINVAL;
	*slash = '\0';
	if (is_bpffs(parent))
		return 0;
	if (strcmp(parent, BPFFS))
		return -ENODEV;
	if (mkdir(BPFFS, 0700) && errno != EEXIST)
		return -errno;
	if (mount("bpf", BPFFS, "bpf", 0, "mode=0700"))
		return -errno;
	nl_verbose("mounted bpffs at %s", BPFFS);
	return 0;
}

const char *nl_state_root_path(void)
{
	const char *root = getenv("NETLIMIT_STATE");

	return root && *root ? root : BPFFS "/netlimit";
}

int nl_state__open(struct nl_state **out, bool create)
{
	const char *root = nl_state_root_path();
	struct nl_state *st;
	int err;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->dirfd = -1;
	snprintf(st->root, sizeof(st->root), "%s", root);
	if (create) {
		err = ensure_bpffs(st->root);
		if (err)
			goto fail;
		if (mkdir(st->root, 0700) && errno != EEXIST) {
			err = -errno;
			goto fail;
		}
	}
	st->dirfd = open(st->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dirfd < 0) {
		err = -errno;
		goto fail;
	}
	/* Pinned maps hold every limit's counters: root only. */
	if (create && fchmod(st->dirfd, 0700)) {
		err = -errno;
		goto fail;
	}
	*out = st;
	return 0;
fail:
	nl_state__free(st);
	return err;
}

void nl_state__free(struct nl_state *st)
{
	if (!st)
		return;
	if (st->dirfd >= 0)
		close(st->dirfd);
	free(st);
}

int nl_state__lock(struct nl_state *st)
{
	return flock(st->dirfd, LOCK_EX) ? -errno : 0;
}

void nl_state__unlock(struct nl_state *st)
{
	flock(st->dirfd, LOCK_UN);
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

int nl_state__ids(struct nl_state *st, __u32 **ids, size_t *n)
{
	size_t cap = 16, cnt = 0;
	struct dirent *de;
	__u32 *v, *tmp;
	DIR *d;
	int fd;

	*ids = NULL;
	*n = 0;
	fd = openat(st->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	v = malloc(cap * sizeof(*v));
	if (!v) {
		closedir(d);
		return -ENOMEM;
	}
	while ((de = readdir(d))) {
		char *end;
		unsigned long id = strtoul(de->d_name, &end, 10);

		if (*end || !id || id > 0xffffffffUL || de->d_name[0] == '0')
			continue;
		if (cnt == cap) {
			tmp = realloc(v, 2 * cap * sizeof(*v));
			if (!tmp) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = tmp;
			cap *= 2;
		}
		v[cnt++] = (__u32)id;
	}
	closedir(d);
	qsort(v, cnt, sizeof(*v), cmp_u32);
	*ids = v;
	*n = cnt;
	return 0;
}

int nl_state__reserve_id(struct nl_state *st, __u32 id)
{
	char name[32];
	struct stat sb;

	snprintf(name, sizeof(name), "%u", id);
	if (!fstatat(st->dirfd, name, &sb, 0))
		return -EEXIST;
	snprintf(name, sizeof(name), "new-%u", id);
	return mkdirat(st->dirfd, name, 0700) ? -errno : 0;
}

int nl_state__commit(struct nl_state *st, __u32 id)
{
	char from[32], to[16];

	snprintf(from, sizeof(from), "new-%u", id);
	snprintf(to, sizeof(to), "%u", id);
	return renameat(st->dirfd, from, st->dirfd, to) ? -errno : 0;
}

void nl_state__gc_new(struct nl_state *st)
{
	struct dirent *de;
	DIR *d;
	int fd = openat(st->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		char path[600];
		int lfd;

		if (strncmp(de->d_name, "new-", 4))
			continue;
		lfd = openat(st->dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (lfd < 0)
			continue;
		/* Still being built by a live netlimit. */
		if (flock(lfd, LOCK_EX | LOCK_NB)) {
			close(lfd);
			continue;
		}
		close(lfd);
		snprintf(path, sizeof(path), "%s/%s", st->root, de->d_name);
		nl_state__remove_dir(path);
	}
	closedir(d);
}

int nl_state__path(const struct nl_state *st, __u32 id, const char *file, char *buf, size_t len)
{
	int n;

	if (file)
		n = snprintf(buf, len, "%s/%u/%s", st->root, id, file);
	else
		n = snprintf(buf, len, "%s/%u", st->root, id);
	return (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int nl_state__new_path(const struct nl_state *st, __u32 id, char *buf, size_t len)
{
	return (size_t)snprintf(buf, len, "%s/new-%u", st->root, id) >= len ? -ENAMETOOLONG : 0;
}

int nl_state__remove(struct nl_state *st, __u32 id)
{
	char path[512];
	int err;

	/* Either name: a limit that was never committed goes the same way. */
	snprintf(path, sizeof(path), "%s/new-%u", st->root, id);
	err = nl_state__remove_dir(path);
	snprintf(path, sizeof(path), "%s/%u", st->root, id);
	return nl_state__remove_dir(path) ?: err;
}

int nl_state__remove_dir(const char *path)
{
	struct dirent *de;
	int fd, err = 0;
	DIR *d;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	/* Unpinning a link drops its last reference: the program detaches. */
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) && errno != ENOENT)
			err = -errno;
	}
	closedir(d);
	if (rmdir(path) && errno != ENOENT && !err)
		err = -errno;
	return err;
}

static int open_limit_dir(struct nl_state *st, __u32 id)
{
	char name[32];
	int fd;

	snprintf(name, sizeof(name), "%u", id);
	fd = openat(st->dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		snprintf(name, sizeof(name), "new-%u", id);
		fd = openat(st->dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	return fd < 0 ? -errno : fd;
}

int nl_state__own(struct nl_state *st, __u32 id)
{
	int fd = open_limit_dir(st, id);

	if (fd < 0)
		return fd;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

bool nl_state__owned(struct nl_state *st, __u32 id)
{
	int fd = open_limit_dir(st, id);
	bool owned;

	if (fd < 0)
		return false;
	owned = flock(fd, LOCK_EX | LOCK_NB) && errno == EWOULDBLOCK;
	close(fd);
	return owned;
}
