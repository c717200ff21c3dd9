/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* `netlimit attach`: a limit on processes or a cgroup that already run. */
#ifndef NETLIMIT_ATTACH_H
#define NETLIMIT_ATTACH_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>
#include "rate.h"
#include "opts.h"

#define NL_MAX_PIDS 64

struct nl_attach_opts {
	__u64 cap_in, cap_out, cap_total;
	struct nl_rates rates; /* and the throttle rate of --on-limit=throttle:RATE */
	struct nl_period_spec period;
	int action; /* default NL_ACT_BLOCK: nobody stays behind unless asked */
	__u64 grace_ns;
	pid_t pids[NL_MAX_PIDS];
	int npids;
	bool no_children; /* leave out the children the processes already have */
	const char *cgroup;
	const char *name;
	bool json;
	int verbosity;
	struct nl_scope_opts scope;
};

bool nl_attach_parse(int argc, char **argv, struct nl_attach_opts *o, int *status);
int nl_cmd_attach(int argc, char **argv);
int nl_cmd_host(int argc, char **argv);
/* Create the limit o describes; kind 0 = from the target, what = target text. */
int nl_attach_run(struct nl_attach_opts *o, __u32 kind, const char *what);

#endif
