// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* User side of the dataplane: see user/dataplane_user.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cgroup.h"
#include "dataplane.skel.h"
#include "dataplane_user.h"
#include "exitcode.h"
#include "iface.skel.h"
#include "log.h"
#include "state.h"

/* Pin names of the maps, in enum nl_dp_map order. */
static const char *const map_names[NL_MAP_COUNT] = {
	"limits",     "conf",	   "cgroups",	 "hosts",      "scopes",
	"socks",      "sock_tags", "tasks",	 "rings",      "cg_meter",
	"proc_meter", "sk_slots",  "sk_owners", "host_meter", "audit",
	"sock_exe",   "udp_peers", "periods",	 "sk_extra",
};
_Static_assert(sizeof(map_names) / sizeof(map_names[0]) == NL_MAP_COUNT, "a pin name per map");

/* Pin names of the links; the iterator program is pinned to be found again. */
enum { L_IN, L_OUT, L_CREATE, L_RELEASE, L_FORK, L_EXIT, L_STATE, L_TCP, L_CGNEW, L_COUNT };
static const char *const link_names[L_COUNT] = {
	"link_in",   "link_out",  "link_create", "link_release",   "link_fork",
	"link_exit", "link_state", "link_tcp",	  "link_cgroup_new",
};

struct nl_dp {
	struct dataplane_bpf *skel; /* set while loading, and for private instances */
	int fds[NL_MAP_COUNT];
	int prog_in, prog_out, prog_iter[2], prog_tasks; /* prog_iter: TCP, UDP sockets */
	int prog_period;
	int iface_fds[4]; /* nl_iface_slots, nl_ifaces, nl_tc_ingress, nl_tc_egress */
	/* The limits table, mapped a chunk at a time on first use (see nl_dp__limit). */
	struct nl_limit *chunks[NL_MAX_LIMITS / NL_LIMIT_CHUNK];
	struct nl_conf *conf;
	size_t conf_len;
	char base[256];
	char dir[512]; /* where it is pinned; empty for a private instance */
	int refs;
	ino_t pin_ino;	/* inode of the pinned limits map: tells a reloaded dataplane */
	bool owned_fds; /* fds are ours to close (opened from pins) */
};

/* One dataplane per process: every limit handle shares it. */
static struct nl_dp *shared_dp;

int nl_dp_base_path(char *buf, size_t len)
{
	const char *env = getenv("NETLIMIT_DATAPLANE_CGROUP");

	if (env && *env) {
		if ((size_t)snprintf(buf, len, "%s", env) >= len)
			return -ENAMETOOLONG;
		return 0;
	}
	return nl_cgroup_mount(buf, len);
}

static size_t page_round(size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (n + page - 1) / page * page;
}

/* Bytes of one chunk of the limits table: whole pages (checked in map_shared). */
#define CHUNK_LEN (sizeof(struct nl_limit) * NL_LIMIT_CHUNK)

/*
 * The kernel maps an mmapable array's pages when it is mapped, all of them:
 * 40 MB for the whole table, some milliseconds for every command. A command
 * maps the chunks it touches instead (one for ids below NL_LIMIT_CHUNK).
 */
static struct nl_limit *map_chunk(const struct nl_dp *dp, __u32 c)
{
	struct nl_dp *w = (struct nl_dp *)dp; /* a cache: the table is the same */
	void *p;

	if (w->chunks[c])
		return w->chunks[c];
	p = mmap(NULL, CHUNK_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, dp->fds[NL_MAP_LIMITS],
		 (off_t)(c * CHUNK_LEN));
	if (p == MAP_FAILED)
		return NULL;
	w->chunks[c] = p;
	return p;
}

void nl_dp__drop_pages(struct nl_dp *dp)
{
	/* Unmapped, not madvise()d: a BPF array's mapping has no pages to fault back in. */
	for (size_t i = 0; i < sizeof(dp->chunks) / sizeof(dp->chunks[0]); i++)
		if (dp->chunks[i]) {
			munmap(dp->chunks[i], CHUNK_LEN);
			dp->chunks[i] = NULL;
		}
}

static int map_shared(struct nl_dp *dp)
{
	void *p;

	if (CHUNK_LEN % (size_t)sysconf(_SC_PAGESIZE))
		return -EINVAL; /* a page size this build does not know */
	if (!map_chunk(dp, 0))
		return -errno;
	dp->conf_len = page_round(sizeof(struct nl_conf));
	p = mmap(NULL, dp->conf_len, PROT_READ | PROT_WRITE, MAP_SHARED, dp->fds[NL_MAP_CONF], 0);
	if (p == MAP_FAILED)
		return -errno;
	dp->conf = p;
	return 0;
}

static struct nl_dp *dp_alloc(void)
{
	struct nl_dp *dp = calloc(1, sizeof(*dp));
	int i;

	if (!dp)
		return NULL;
	for (i = 0; i < NL_MAP_COUNT; i++)
		dp->fds[i] = -1;
	dp->prog_in = dp->prog_out = dp->prog_iter[0] = dp->prog_iter[1] = dp->prog_tasks = -1;
	dp->prog_period = -1;
	for (i = 0; i < 4; i++)
		dp->iface_fds[i] = -1;
	return dp;
}

/* The interface programs' fds (nl_dp__iface), closed. */
static void iface_close(struct nl_dp *dp)
{
	for (int i = 0; i < 4; i++) {
		if (dp->iface_fds[i] >= 0)
			close(dp->iface_fds[i]);
		dp->iface_fds[i] = -1;
	}
}

static void take_skel_fds(struct nl_dp *dp)
{
	struct dataplane_bpf *s = dp->skel;
	struct bpf_map *maps[NL_MAP_COUNT] = {
		s->maps.nl_limits,    s->maps.nl_conf,	     s->maps.nl_cgroups,
		s->maps.nl_hosts,     s->maps.nl_scopes,     s->maps.nl_socks,
		s->maps.nl_sock_tags, s->maps.nl_tasks,	     s->maps.nl_rings,
		s->maps.nl_cg_meter,  s->maps.nl_proc_meter, s->maps.nl_sk_slots,
		s->maps.nl_sk_owners, s->maps.nl_host_meter, s->maps.nl_audit, s->maps.nl_sock_exe,
		s->maps.nl_udp_peers, s->maps.nl_periods,    s->maps.nl_sk_extra,
	};

	for (int i = 0; i < NL_MAP_COUNT; i++)
		dp->fds[i] = bpf_map__fd(maps[i]);
	/* A private instance for tests runs the test programs (load_skel). */
	dp->prog_in = bpf_program__fd(bpf_program__autoload(s->progs.nl_ingress_test)
					      ? s->progs.nl_ingress_test
					      : s->progs.nl_ingress);
	dp->prog_out = bpf_program__fd(bpf_program__autoload(s->progs.nl_egress_test)
					       ? s->progs.nl_egress_test
					       : s->progs.nl_egress);
	dp->prog_iter[0] = bpf_program__fd(s->progs.nl_meter_tcp);
	dp->prog_iter[1] = bpf_program__fd(s->progs.nl_meter_udp);
	dp->prog_tasks = bpf_program__fd(s->progs.nl_task_iter);
	dp->prog_period = bpf_program__fd(s->progs.nl_period_arm);
}

/*
 * NETLIMIT_METER_SLOTS (a power of 2 up to NL_SK_SLOTS): fewer sockets
 * counted without a helper call. The tests use 1 to force the slow path.
 */
static __u32 meter_mask(void)
{
	const char *env = getenv("NETLIMIT_METER_SLOTS");
	unsigned long n;
	char *end;

	if (!env || !*env)
		return NL_SK_SLOTS - 1;
	n = strtoul(env, &end, 10);
	if (*end || !n || n > NL_SK_SLOTS || (n & (n - 1))) {
		nl_err("NETLIMIT_METER_SLOTS=%s is not a power of 2 up to %d: ignored", env,
		       NL_SK_SLOTS);
		return NL_SK_SLOTS - 1;
	}
	return (__u32)n - 1;
}

static int load_skel(struct nl_dp *dp, __u64 test_cgroup)
{
	int err, ncpu;

	dp->skel = dataplane_bpf__open();
	if (!dp->skel)
		return -errno;
	dp->skel->rodata->nl_test_cgroup = test_cgroup;
	bpf_program__set_autoload(dp->skel->progs.nl_ingress_test, test_cgroup != 0);
	bpf_program__set_autoload(dp->skel->progs.nl_egress_test, test_cgroup != 0);
	dp->skel->rodata->nl_sk_mask = meter_mask();
	ncpu = libbpf_num_possible_cpus();
	if (ncpu < 1)
		return ncpu < 0 ? ncpu : -EINVAL;
	/* A chain cache of NL_CG_CACHE slots per CPU (bpf/dataplane.bpf.c cache_slot). */
	err = bpf_map__set_max_entries(dp->skel->maps.nl_cg_cache, (__u32)ncpu * NL_CG_CACHE);
	if (!err)
		err = dataplane_bpf__load(dp->skel);
	if (err)
		return err;
	take_skel_fds(dp);
	err = map_shared(dp);
	if (!err)
		dp->conf->layout = NL_LAYOUT;
	return err;
}

int nl_dp__load_private(__u64 test_cgroup, struct nl_dp **out)
{
	struct nl_dp *dp = dp_alloc();
	int err;

	*out = NULL;
	if (!dp)
		return -ENOMEM;
	dp->refs = 1;
	err = load_skel(dp, test_cgroup);
	if (err) {
		nl_dp__free(dp);
		return err;
	}
	*out = dp;
	return 0;
}

static int dp_dir(struct nl_state *st, const char *name, char *buf, size_t len)
{
	return (size_t)snprintf(buf, len, "%s/%s", nl_state__root(st), name) >= len ? -ENAMETOOLONG
										    : 0;
}

static int pin_all(struct nl_dp *dp, struct bpf_link **links, const char *dir)
{
	char path[640];
	int i, err;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	for (i = 0; i < NL_MAP_COUNT; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, map_names[i]);
		if (bpf_obj_pin(dp->fds[i], path))
			return -errno;
	}
	snprintf(path, sizeof(path), "%s/prog_in", dir);
	if (bpf_obj_pin(dp->prog_in, path))
		return -errno;
	snprintf(path, sizeof(path), "%s/prog_out", dir);
	if (bpf_obj_pin(dp->prog_out, path))
		return -errno;
	snprintf(path, sizeof(path), "%s/prog_iter_tcp", dir);
	if (bpf_obj_pin(dp->prog_iter[0], path))
		return -errno;
	snprintf(path, sizeof(path), "%s/prog_iter_udp", dir);
	if (bpf_obj_pin(dp->prog_iter[1], path))
		return -errno;
	snprintf(path, sizeof(path), "%s/prog_tasks", dir);
	if (bpf_obj_pin(dp->prog_tasks, path))
		return -errno;
	snprintf(path, sizeof(path), "%s/prog_period", dir);
	if (bpf_obj_pin(dp->prog_period, path))
		return -errno;
	for (i = 0; i < L_COUNT; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, link_names[i]);
		err = bpf_link__pin(links[i], path);
		if (err)
			return err;
	}
	return 0;
}

/* Limits pinned by a netlimit from before the dataplane: each had its own programs. */
static bool legacy_state(struct nl_state *st)
{
	__u32 *ids;
	size_t n, i;
	bool found = false;

	if (nl_state__ids(st, &ids, &n))
		return false;
	for (i = 0; i < n && !found; i++) {
		char path[512];

		nl_state__path(st, ids[i], "limit", path, sizeof(path));
		found = !access(path, F_OK);
	}
	free(ids);
	return found;
}

/* Load, attach to the base cgroup, pin into new-dp, then rename to dp. */
static int create(struct nl_state *st, struct nl_dp *dp)
{
	struct bpf_link *links[L_COUNT] = { 0 };
	char tmp[512], final[512];
	int cg_fd = -1, err, i;

	if (legacy_state(st)) {
		nl_err("%s holds limits of an older netlimit (one set of programs per limit); "
		       "remove them with 'netlimit gc --legacy' (their caps are lifted), then "
		       "retry",
		       nl_state__root(st));
		return -EEXIST;
	}
	dp_dir(st, "new-dp", tmp, sizeof(tmp));
	dp_dir(st, "dp", final, sizeof(final));
	/* A loader killed half-way left this; the state lock says none is at work now. */
	nl_state__remove_dir(tmp);
	err = load_skel(dp, 0);
	if (err) {
		nl_err("cannot load the dataplane's BPF programs: %s (run with -v for the "
		       "verifier's "
		       "log)",
		       strerror(-err));
		goto out;
	}
	cg_fd = open(dp->base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg_fd < 0) {
		err = -errno;
		nl_err("cannot open the dataplane's cgroup %s: %s", dp->base, strerror(errno));
		goto out;
	}
	links[L_IN] = bpf_program__attach_cgroup(dp->skel->progs.nl_ingress, cg_fd);
	links[L_OUT] = bpf_program__attach_cgroup(dp->skel->progs.nl_egress, cg_fd);
	links[L_CREATE] = bpf_program__attach_cgroup(dp->skel->progs.nl_sock_create, cg_fd);
	links[L_RELEASE] = bpf_program__attach_cgroup(dp->skel->progs.nl_sock_release, cg_fd);
	links[L_FORK] = bpf_program__attach(dp->skel->progs.nl_fork);
	links[L_EXIT] = bpf_program__attach(dp->skel->progs.nl_exit);
	links[L_STATE] = bpf_program__attach(dp->skel->progs.nl_sock_state);
	links[L_TCP] = bpf_program__attach_cgroup(dp->skel->progs.nl_tcp, cg_fd);
	links[L_CGNEW] = bpf_program__attach(dp->skel->progs.nl_cgroup_new);
	for (i = 0; i < L_COUNT; i++) {
		if (!links[i]) {
			err = -errno;
			nl_err("cannot attach the dataplane (%s) to %s: %s", link_names[i],
			       dp->base, strerror(errno));
			goto out;
		}
	}
	err = pin_all(dp, links, tmp);
	if (!err && rename(tmp, final))
		err = -errno;
	if (err)
		nl_err("cannot pin the dataplane in %s: %s", tmp, strerror(-err));
	else
		nl_verbose("dataplane loaded on %s, pinned in %s", dp->base, final);
out:
	/* Pinned links hold the programs; an error unpins all, which detaches. */
	for (i = 0; i < L_COUNT; i++)
		bpf_link__destroy(links[i]);
	if (cg_fd >= 0)
		close(cg_fd);
	if (err)
		nl_state__remove_dir(tmp);
	return err;
}

/*
 * Whether the map pinned as dir/name holds values of size bytes, and entries
 * of them unless 0 (true when it cannot tell).
 */
static bool map_shape_is(const char *dir, const char *name, __u32 size, __u32 entries)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	char path[600];
	bool ok;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno != ENOENT; /* cannot tell: let the open say why */
	ok = !bpf_obj_get_info_by_fd(fd, &info, &len) && info.value_size == size &&
	     (!entries || info.max_entries == entries);
	close(fd);
	return ok;
}

/* The layout the pinned dataplane's loader wrote into its configuration. */
static bool layout_is(const char *dir)
{
	struct nl_conf c = { 0 };
	char path[600];
	__u32 zero = 0;
	int fd, err;

	snprintf(path, sizeof(path), "%s/conf", dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno != ENOENT;
	err = bpf_map_lookup_elem(fd, &zero, &c);
	close(fd);
	return err || c.layout == NL_LAYOUT;
}

bool nl_dp_pinned_compatible(const char *dir)
{
	char path[600];
	int i;

	for (i = 0; i < NL_MAP_COUNT; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, map_names[i]);
		if (access(path, F_OK))
			return false;
	}
	return map_shape_is(dir, "limits", sizeof(struct nl_limit), NL_MAX_LIMITS) &&
	       map_shape_is(dir, "conf", sizeof(struct nl_conf), 0) &&
	       map_shape_is(dir, "sock_tags", sizeof(struct nl_tags), 0) && layout_is(dir);
}

static int open_pins(struct nl_state *st, struct nl_dp *dp)
{
	char dir[512], path[600];
	struct stat sb;
	int i;

	dp_dir(st, "dp", dir, sizeof(dir));
	snprintf(dp->dir, sizeof(dp->dir), "%s", dir);
	dp->owned_fds = true;
	if (!nl_dp_usable(st))
		return -EEXIST;
	for (i = 0; i < NL_MAP_COUNT; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, map_names[i]);
		dp->fds[i] = bpf_obj_get(path);
		if (dp->fds[i] < 0)
			return -errno;
	}
	snprintf(path, sizeof(path), "%s/limits", dir);
	if (!stat(path, &sb))
		dp->pin_ino = sb.st_ino;
	snprintf(path, sizeof(path), "%s/prog_in", dir);
	dp->prog_in = bpf_obj_get(path);
	snprintf(path, sizeof(path), "%s/prog_out", dir);
	dp->prog_out = bpf_obj_get(path);
	snprintf(path, sizeof(path), "%s/prog_iter_tcp", dir);
	dp->prog_iter[0] = bpf_obj_get(path);
	snprintf(path, sizeof(path), "%s/prog_iter_udp", dir);
	dp->prog_iter[1] = bpf_obj_get(path);
	snprintf(path, sizeof(path), "%s/prog_tasks", dir);
	dp->prog_tasks = bpf_obj_get(path);
	snprintf(path, sizeof(path), "%s/prog_period", dir);
	dp->prog_period = bpf_obj_get(path);
	return map_shared(dp);
}

bool nl_dp_usable(struct nl_state *st)
{
	char dir[512];

	dp_dir(st, "dp", dir, sizeof(dir));
	if (access(dir, F_OK) || nl_dp_pinned_compatible(dir))
		return true;
	nl_err("the dataplane pinned in %s was loaded by another netlimit version (its maps "
	       "differ); remove it with 'netlimit gc --legacy' (its limits' caps are lifted), "
	       "then retry",
	       dir);
	return false;
}

int nl_dp__open(struct nl_state *st, bool create_it, struct nl_dp **out)
{
	char dir[512];
	struct nl_dp *dp;
	int err;

	*out = NULL;
	dp_dir(st, "dp", dir, sizeof(dir));
	if (shared_dp) {
		char pin[600];
		struct stat sb;

		/* The cached one, unless it was unloaded (and maybe loaded anew) since. */
		snprintf(pin, sizeof(pin), "%s/limits", dir);
		if (!stat(pin, &sb) && sb.st_ino == shared_dp->pin_ino) {
			shared_dp->refs++;
			*out = shared_dp;
			return 0;
		}
		dp = shared_dp;
		shared_dp = NULL;
		nl_dp__free(dp); /* the cache's reference; holders keep theirs */
	}
	dp = dp_alloc();
	if (!dp)
		return -ENOMEM;
	dp->refs = 1;
	err = nl_dp_base_path(dp->base, sizeof(dp->base));
	if (err) {
		nl_dp__free(dp);
		return err;
	}
	if (access(dir, F_OK)) {
		if (!create_it) {
			nl_dp__free(dp);
			return -ENOENT;
		}
		err = create(st, dp);
		if (!err) {
			/* Keep only the pins' references from here, as any other opener. */
			nl_dp__free(dp);
			return nl_dp__open(st, false, out);
		}
	} else {
		err = open_pins(st, dp);
	}
	if (err) {
		nl_dp__free(dp);
		return err;
	}
	if (!shared_dp) {
		shared_dp = dp;
		dp->refs++; /* the cache's own reference, dropped by nl_dp__unload */
	}
	*out = dp;
	return 0;
}

int nl_dp__unload(struct nl_state *st)
{
	char dir[512];
	int err;

	dp_dir(st, "dp", dir, sizeof(dir));
	/* Unpinning the links drops their last reference: the programs detach. */
	err = nl_state__remove_dir(dir);
	if (!err)
		nl_verbose("dataplane unloaded: no limit left and the meter is off");
	if (shared_dp) {
		struct nl_dp *dp = shared_dp;

		shared_dp = NULL;
		nl_dp__free(dp);
	}
	return err;
}

void nl_dp__free(struct nl_dp *dp)
{
	int i;

	if (!dp || --dp->refs > 0)
		return;
	if (dp == shared_dp)
		shared_dp = NULL;
	for (i = 0; i < NL_MAX_LIMITS / NL_LIMIT_CHUNK; i++)
		if (dp->chunks[i])
			munmap(dp->chunks[i], CHUNK_LEN);
	if (dp->conf)
		munmap(dp->conf, dp->conf_len);
	if (dp->owned_fds) {
		for (i = 0; i < NL_MAP_COUNT; i++)
			if (dp->fds[i] >= 0)
				close(dp->fds[i]);
		if (dp->prog_in >= 0)
			close(dp->prog_in);
		if (dp->prog_out >= 0)
			close(dp->prog_out);
		for (i = 0; i < 2; i++)
			if (dp->prog_iter[i] >= 0)
				close(dp->prog_iter[i]);
		if (dp->prog_tasks >= 0)
			close(dp->prog_tasks);
		if (dp->prog_period >= 0)
			close(dp->prog_period);
	}
	/* Opened from pins or loaded here: ours either way. */
	iface_close(dp);
	dataplane_bpf__destroy(dp->skel);
	free(dp);
}

struct nl_dp *nl_dp__ref(struct nl_dp *dp)
{
	dp->refs++;
	return dp;
}

int nl_dp__map_fd(const struct nl_dp *dp, enum nl_dp_map m)
{
	return dp->fds[m];
}

struct nl_limit *nl_dp__limit(const struct nl_dp *dp, __u32 id)
{
	struct nl_limit *c;

	if (!id || id >= NL_MAX_LIMITS)
		return NULL;
	c = map_chunk(dp, id / NL_LIMIT_CHUNK);
	if (!c) {
		/*
		 * Out of address space for a few MB of a map that exists: end as
		 * a crash would (every change is crash-safe), not with a NULL.
		 */
		nl_err("cannot map netlimit's limits table: %s", strerror(errno));
		_exit(NL_EXIT_FAIL);
	}
	return &c[id % NL_LIMIT_CHUNK];
}

struct nl_conf *nl_dp__conf(const struct nl_dp *dp)
{
	return dp->conf;
}

void nl_dp__bump(struct nl_dp *dp)
{
	__atomic_fetch_add(&dp->conf->gen, 1, __ATOMIC_SEQ_CST);
}

int nl_dp__prog_fds(const struct nl_dp *dp, int *in, int *out)
{
	*in = dp->prog_in;
	*out = dp->prog_out;
	return 0;
}

/* Pin names of the interface programs' maps and programs, in iface_fds order. */
static const char *const iface_pins[4] = { "iface_slots", "ifaces", "prog_tc_in", "prog_tc_out" };

static void iface_unpin(const struct nl_dp *dp)
{
	char path[600];

	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dp->dir, iface_pins[i]);
		unlink(path);
	}
}

/* Load bpf/iface.bpf.c on the dataplane's maps; its fds into dp->iface_fds. */
static int iface_load(struct nl_dp *dp)
{
	struct iface_bpf *s = iface_bpf__open();
	int err, fds[4];

	if (!s)
		return -errno;
	if ((err = bpf_map__reuse_fd(s->maps.nl_limits, dp->fds[NL_MAP_LIMITS])) ||
	    (err = bpf_map__reuse_fd(s->maps.nl_scopes, dp->fds[NL_MAP_SCOPES])) ||
	    (err = bpf_map__reuse_fd(s->maps.nl_rings, dp->fds[NL_MAP_RINGS])) ||
	    (err = bpf_map__reuse_fd(s->maps.nl_socks, dp->fds[NL_MAP_SOCKS])) ||
	    (err = iface_bpf__load(s)))
		goto out;
	fds[0] = bpf_map__fd(s->maps.nl_iface_slots);
	fds[1] = bpf_map__fd(s->maps.nl_ifaces);
	fds[2] = bpf_program__fd(s->progs.nl_tc_ingress);
	fds[3] = bpf_program__fd(s->progs.nl_tc_egress);
	/* Kept past the skeleton, which closes its own. */
	for (int i = 0; i < 4 && !err; i++) {
		dp->iface_fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
		if (dp->iface_fds[i] < 0)
			err = -errno;
	}
out:
	iface_bpf__destroy(s);
	return err;
}

/* The pinned ones; -ENOENT when any is missing. */
static int iface_open(struct nl_dp *dp)
{
	char path[600];

	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dp->dir, iface_pins[i]);
		dp->iface_fds[i] = bpf_obj_get(path);
		if (dp->iface_fds[i] < 0)
			return -errno;
	}
	return 0;
}

/* Pin what iface_load made, prog_tc_out last. */
static int iface_pin(const struct nl_dp *dp)
{
	char path[600];

	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dp->dir, iface_pins[i]);
		if (bpf_obj_pin(dp->iface_fds[i], path))
			return -errno;
	}
	return 0;
}

/*
 * Load them anew, pinned unless dp is a private instance. What pins there
 * are, a loader that died between pins left: no limit used those (entries
 * are written after the last pin).
 */
static int iface_reload(struct nl_dp *dp)
{
	bool pinned = dp->dir[0];
	int err;

	if (pinned)
		iface_unpin(dp);
	err = iface_load(dp);
	if (!err && pinned)
		err = iface_pin(dp);
	if (err) {
		if (pinned)
			iface_unpin(dp);
		iface_close(dp);
	}
	return err;
}

int nl_dp__iface(struct nl_dp *dp, bool load, struct nl_iface_fds *out)
{
	/* A private instance has nothing pinned. */
	int err = dp->iface_fds[0] >= 0 ? 0 : dp->dir[0] ? iface_open(dp) : -ENOENT;

	if (err) {
		iface_close(dp);
		if (!load || (err = iface_reload(dp)))
			return err;
	}
	out->slots = dp->iface_fds[0];
	out->more = dp->iface_fds[1];
	out->in = dp->iface_fds[2];
	out->out = dp->iface_fds[3];
	return 0;
}

int nl_dp__iter_fd(const struct nl_dp *dp, int which)
{
	return dp->prog_iter[which & 1];
}

int nl_dp__period_fd(const struct nl_dp *dp)
{
	return dp->prog_period;
}

const char *nl_dp__base(const struct nl_dp *dp)
{
	return dp->base;
}

bool nl_dp__covers(const struct nl_dp *dp, const char *path)
{
	size_t n = strlen(dp->base);

	if (!dp->base[0])
		return false;
	while (n > 1 && dp->base[n - 1] == '/')
		n--;
	return !strncmp(path, dp->base, n) && (path[n] == '\0' || path[n] == '/');
}

int nl_dp__tasks(const struct nl_dp *dp, struct nl_task_rec **out, size_t *n)
{
	size_t cap = 1024, got = 0;
	struct nl_task_rec *v;
	int link, it, err = 0;
	ssize_t r;

	*out = NULL;
	*n = 0;
	if (dp->prog_tasks < 0)
		return -ENOENT;
	link = bpf_link_create(dp->prog_tasks, 0, BPF_TRACE_ITER, NULL);
	if (link < 0)
		return -errno;
	it = bpf_iter_create(link);
	if (it < 0) {
		err = -errno;
		close(link);
		return err;
	}
	v = malloc(cap * sizeof(*v));
	while (v) {
		if (got == cap * sizeof(*v)) {
			struct nl_task_rec *t = realloc(v, 2 * cap * sizeof(*v));

			if (!t) {
				free(v);
				v = NULL;
				break;
			}
			v = t;
			cap *= 2;
		}
		r = read(it, (char *)v + got, cap * sizeof(*v) - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r < 0)
				err = -errno;
			break;
		}
		got += (size_t)r;
	}
	close(it);
	close(link);
	if (!v)
		return -ENOMEM;
	if (err) {
		free(v);
		return err;
	}
	*out = v;
	*n = got / sizeof(*v);
	return 0;
}
