// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cgroup v2 handling. Paths are absolute; every helper returns -errno. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <mntent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/types.h>
#include "cgroup.h"

/* Found once a process: a command asks for it several times on its way. */
static char mount_dir[PATH_MAX];

int nl_cgroup_mount(char *buf, size_t len)
{
	struct mntent *m;
	FILE *f;

	if (!mount_dir[0]) {
		f = setmntent("/proc/self/mounts", "r");
		if (!f)
			return -errno;
		while ((m = getmntent(f)) && strcmp(m->mnt_type, "cgroup2"))
			;
		if (m && strlen(m->mnt_dir) < sizeof(mount_dir))
			strcpy(mount_dir, m->mnt_dir);
		endmntent(f);
		if (!mount_dir[0])
			return m ? -ENAMETOOLONG : -ENOENT;
	}
	return (size_t)snprintf(buf, len, "%s", mount_dir) >= len ? -ENAMETOOLONG : 0;
}

int nl_cgroup_parent(char *buf, size_t len)
{
	const char *name = getenv("NETLIMIT_CGROUP");
	char mnt[256];
	int err;

	if (!name || !*name)
		name = "netlimit";
	err = nl_cgroup_mount(mnt, sizeof(mnt));
	if (err)
		return err;
	if ((size_t)snprintf(buf, len, "%s/%s", mnt, name) >= len)
		return -ENAMETOOLONG;
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int nl_cgroup_of(pid_t pid, char *buf, size_t len)
{
	char mnt[256], line[512], path[64];
	int err = -ENOENT;
	FILE *f;

	if (nl_cgroup_mount(mnt, sizeof(mnt)))
		return -ENOENT;
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/cgroup");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		if ((size_t)snprintf(buf, len, "%s%s", mnt, strcmp(line + 3, "/") ? line + 3 : "") <
		    len)
			err = 0;
	}
	fclose(f);
	return err;
}

int nl_cgroup_home(char *buf, size_t len)
{
	char parent[256], self[512];
	size_t pl;
	int err;

	err = nl_cgroup_parent(parent, sizeof(parent));
	if (err)
		return err;
	pl = strlen(parent);
	/* Inside a limit already: nest, so the outer limit keeps seeing it all. */
	if (!nl_cgroup_of(0, self, sizeof(self)) && !strncmp(self, parent, pl) && self[pl] == '/') {
		snprintf(buf, len, "%s", self);
		return 0;
	}
	snprintf(buf, len, "%s", parent);
	return 0;
}

int nl_cgroup_create(const char *path)
{
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int nl_cgroup_remove(const char *path)
{
	struct timespec ts = { 0, 2 * 1000 * 1000 };
	int i;

	/* Tasks that have exited can linger in the cgroup for a moment. */
	for (i = 0; i < 500; i++) {
		if (!rmdir(path) || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		nanosleep(&ts, NULL);
	}
	return -EBUSY;
}

static int write_file(const char *dir, const char *file, const char *val)
{
	char path[512];
	ssize_t n;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

int nl_cgroup_enter(const char *path, pid_t pid)
{
	char val[32];

	snprintf(val, sizeof(val), "%d\n", (int)pid);
	return write_file(path, "cgroup.procs", val);
}

int nl_cgroup_signal(const char *path, int sig)
{
	char file[768];
	struct dirent *de;
	int pid, n = 0, m;
	FILE *f;
	DIR *d;

	snprintf(file, sizeof(file), "%s/cgroup.procs", path);
	f = fopen(file, "re");
	if (!f)
		return -errno;
	while (fscanf(f, "%d", &pid) == 1) {
		if (pid > 0 && !kill(pid, sig))
			n++;
	}
	fclose(f);
	/* And the cgroups below: a nested netlimit run, say. */
	d = opendir(path);
	while (d && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		m = nl_cgroup_signal(file, sig);
		if (m > 0)
			n += m;
	}
	if (d)
		closedir(d);
	return n;
}

int nl_cgroup_kill(const char *path)
{
	int err = write_file(path, "cgroup.kill", "1");

	/* Kernels before 5.14 have no cgroup.kill: signal what is there. */
	if (err == -ENOENT)
		err = nl_cgroup_signal(path, SIGKILL) < 0 ? -errno : 0;
	return err;
}

int nl_cgroup_populated(const char *path)
{
	char file[512], line[128];
	int populated = -ENODATA;
	FILE *f;

	snprintf(file, sizeof(file), "%s/cgroup.events", path);
	f = fopen(file, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "populated ", 10))
			populated = atoi(line + 10) ? 1 : 0;
	}
	fclose(f);
	return populated;
}

int nl_cgroup_id(const char *path, __u64 *id)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	*id = st.st_ino;
	return 0;
}

int nl_cgroup_path_of_id(__u64 id, char *buf, size_t len)
{
	struct {
		struct file_handle fh;
		unsigned char bytes[64];
	} h = { .fh.handle_bytes = 64 };
	char mnt[256], link[64];
	int mfd, fd, mount_id, err = 0;
	ssize_t n;

	if (nl_cgroup_mount(mnt, sizeof(mnt)))
		return -ENOENT;
	mfd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return -errno;
	/* The root's own handle tells the handle type cgroupfs uses; its id is ours to put in. */
	if (name_to_handle_at(mfd, "", &h.fh, &mount_id, AT_EMPTY_PATH) ||
	    h.fh.handle_bytes != sizeof(id)) {
		err = -EOPNOTSUPP;
		goto out;
	}
	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(mfd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = errno == ESTALE ? -ENOENT : -errno;
		goto out;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, len - 1);
	if (n < 0)
		err = -errno;
	else if ((size_t)n >= len - 1)
		err = -ENAMETOOLONG;
	else
		buf[n] = '\0';
	close(fd);
out:
	close(mfd);
	return err;
}

/* Cgroup ids to paths, below one cgroup: for tables that name cgroups. */
static struct {
	__u64 *ids;
	char **paths;
	size_t n, cap;
	size_t skip; /* length of the cgroup2 mount: paths print from the hierarchy's root */
} cgnames;

static int note_cgroup(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	if (type != FTW_D)
		return 0;
	if (cgnames.n == cgnames.cap) {
		size_t cap = cgnames.cap ? 2 * cgnames.cap : 256;
		__u64 *ids = realloc(cgnames.ids, cap * sizeof(*ids));
		char **paths;

		if (!ids)
			return 1;
		cgnames.ids = ids;
		paths = realloc(cgnames.paths, cap * sizeof(*paths));
		if (!paths)
			return 1;
		cgnames.paths = paths;
		cgnames.cap = cap;
	}
	cgnames.ids[cgnames.n] = sb->st_ino;
	cgnames.paths[cgnames.n] = strdup(path);
	if (cgnames.paths[cgnames.n])
		cgnames.n++;
	return 0;
}

void nl_cgnames_load(const char *base)
{
	char mnt[256];

	nl_cgnames_free();
	if (nl_cgroup_mount(mnt, sizeof(mnt)))
		return;
	cgnames.skip = strlen(mnt);
	nftw(base, note_cgroup, 16, FTW_PHYS);
}

const char *nl_cgnames_get(__u64 id)
{
	for (size_t i = 0; i < cgnames.n; i++)
		if (cgnames.ids[i] == id)
			return cgnames.paths[i][cgnames.skip] ? cgnames.paths[i] + cgnames.skip
							      : "/";
	return NULL;
}

void nl_cgnames_free(void)
{
	for (size_t i = 0; i < cgnames.n; i++)
		free(cgnames.paths[i]);
	free(cgnames.ids);
	free(cgnames.paths);
	memset(&cgnames, 0, sizeof(cgnames));
}
