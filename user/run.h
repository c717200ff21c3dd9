/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* `netlimit run`: a command in a cgroup of its own under a kernel-enforced cap. */
#ifndef NETLIMIT_RUN_H
#define NETLIMIT_RUN_H

#include <stdbool.h>
#include <linux/types.h>
#include "rate.h"
#include "opts.h"

struct nl_run_opts {
	__u64 cap_in, cap_out, cap_total; /* NL_UNLIMITED when not given */
	struct nl_rates rates; /* and the throttle rate of --on-limit=throttle:RATE */
	struct nl_period_spec period; /* kind NL_PERIOD_NONE: none */
	int action;			  /* enum nl_action */
	__u64 grace_ns;			  /* SIGTERM to SIGKILL */
	__u64 drain_ns;			  /* how long leftover TCP sockets may finish */
	const char *user;
	const char *name;
	bool json;
	int verbosity;
	char **argv; /* the command, NULL-terminated */
	struct nl_scope_opts scope;
};

/*
 * Parse `run` options into o. Returns true when the command should go on;
 * false with *status set (0 after --help, NL_EXIT_USAGE after an error line).
 */
bool nl_run_parse(int argc, char **argv, struct nl_run_opts *o, int *status);

int nl_cmd_run(int argc, char **argv);

#endif
