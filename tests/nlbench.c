// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Per-packet cost for `make bench`: attach either the baseline programs
 * (bpf/empty.bpf.c: empty, or the floor that adds each packet's length to one
 * or two counters) or a private dataplane with one limit (bpf/dataplane.bpf.c)
 * to a fresh cgroup, run a command inside it with kernel BPF stats on, and
 * print the programs' run count and nanoseconds per run.
 *
 *   nlbench empty|count1|count2|limit|scoped|rated -- CMD [ARGS...]
 *   (scoped: a limit with --only=127.0.0.0/8,::1, so every packet takes the LPM lookup;
 *   rated: a limit with rates of 1 Tbit/s out and in plus out, which every packet pays
 *   for and none reaches)
 *   -> "runs 123456 ns_per_run 41.2"
 * With NLBENCH_NOSTATS=1 stats stay off and only the command's output shows.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cgroup.h"
#include "empty.skel.h"
#include "dataplane_user.h"
#include "limit.h"

static int prog_stats(int fd, __u64 *ns, __u64 *cnt)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*ns += info.run_time_ns;
	*cnt += info.run_cnt;
	return 0;
}

static bool known_mode(const char *m)
{
	static const char *const modes[] = { "empty", "count1", "count2", "limit", "scoped", "rated" };
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(m, modes[i]))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	struct bpf_link *l1 = NULL, *l2 = NULL;
	struct empty_bpf *e = NULL;
	struct nl_lim *q = NULL;
	struct nl_dp *dp = NULL;
	bool attached = false;
	char parent[256], cg[300];
	int cg_fd = -1, stats_fd = -1, fd_in, fd_out, st, ret = 1;
	__u64 ns = 0, cnt = 0;
	pid_t pid;

	if (argc < 4 || strcmp(argv[2], "--") || !known_mode(argv[1])) {
		fprintf(stderr,
			"usage: nlbench empty|count1|count2|limit|scoped|rated -- CMD [ARGS...]\n");
		return 2;
	}
	setenv("NETLIMIT_CGROUP", "netlimit-bench", 0);
	if (nl_cgroup_parent(parent, sizeof(parent)))
		return 1;
	snprintf(cg, sizeof(cg), "%s/%d", parent, (int)getpid());
	if (nl_cgroup_create(cg))
		return 1;
	cg_fd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg_fd < 0)
		goto out;
	if (!strcmp(argv[1], "empty") || !strcmp(argv[1], "count1") || !strcmp(argv[1], "count2")) {
		/* The pair named after the mode: nl_empty_in and nl_empty_out, ... */
		struct bpf_program *in, *out;
		char name[32];

		e = empty_bpf__open_and_load();
		if (!e)
			goto out;
		snprintf(name, sizeof(name), "nl_%s_in", argv[1]);
		in = bpf_object__find_program_by_name(e->obj, name);
		snprintf(name, sizeof(name), "nl_%s_out", argv[1]);
		out = bpf_object__find_program_by_name(e->obj, name);
		if (!in || !out)
			goto out;
		l1 = bpf_program__attach_cgroup(in, cg_fd);
		l2 = bpf_program__attach_cgroup(out, cg_fd);
		fd_in = bpf_program__fd(in);
		fd_out = bpf_program__fd(out);
	} else {
		struct nl_lim_opts o = { .sz = sizeof(o), .id = 1, .kind = NL_KIND_RUN };
		static struct nl_prefix pv[2];
		const char *why;

		o.cap_in = o.cap_out = o.cap_total = 1ULL << 50; /* never reached */
		if (!strcmp(argv[1], "rated"))
			o.rates.bits[NL_B_OUT] = o.rates.bits[NL_B_TOTAL] = NL_RATE_MAX;
		if (!strcmp(argv[1], "scoped")) {
			if (nl_parse_prefix("127.0.0.0/8", &pv[0], &why) ||
			    nl_parse_prefix("::1", &pv[1], &why))
				goto out;
			o.scope = NL_SCOPE_ONLY;
			o.prefixes = pv;
			o.nprefixes = 2;
		}
		__u64 cgid;

		/* A private dataplane on the bench cgroup: nothing pinned, nothing shared. */
		if (nl_cgroup_id(cg, &cgid) || nl_dp__load_private(0, &dp) ||
		    nl_lim__new_in(dp, &o, &q) || nl_lim__attach_cgroup_id(q, cgid))
			goto out;
		nl_dp__prog_fds(dp, &fd_in, &fd_out);
		if (bpf_prog_attach(fd_in, cg_fd, BPF_CGROUP_INET_INGRESS, BPF_F_ALLOW_MULTI) ||
		    bpf_prog_attach(fd_out, cg_fd, BPF_CGROUP_INET_EGRESS, BPF_F_ALLOW_MULTI))
			goto out;
		attached = true;
	}
	if (e && (!l1 || !l2))
		goto out;
	/* Without stats (NLBENCH_NOSTATS=1) it measures throughput, not cost. */
	if (!getenv("NLBENCH_NOSTATS")) {
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (stats_fd < 0)
			goto out;
	}
	pid = fork();
	if (pid == 0) {
		if (nl_cgroup_enter(cg, getpid()))
			_exit(125);
		execvp(argv[3], argv + 3);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	if (prog_stats(fd_in, &ns, &cnt) || prog_stats(fd_out, &ns, &cnt))
		goto out;
	if (stats_fd >= 0)
		printf("runs %llu ns_per_run %.1f\n", (unsigned long long)cnt,
		       cnt ? (double)ns / (double)cnt : 0.0);
	ret = WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : 1;
out:
	if (stats_fd >= 0)
		close(stats_fd);
	bpf_link__destroy(l1);
	bpf_link__destroy(l2);
	empty_bpf__destroy(e);
	if (attached) {
		bpf_prog_detach2(fd_in, cg_fd, BPF_CGROUP_INET_INGRESS);
		bpf_prog_detach2(fd_out, cg_fd, BPF_CGROUP_INET_EGRESS);
	}
	nl_lim__free(q);
	nl_dp__free(dp);
	if (cg_fd >= 0)
		close(cg_fd);
	nl_cgroup_remove(cg);
	rmdir(parent);
	return ret;
}
