/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * netlimit's own exit statuses (README "Exit status"). `run` otherwise exits
 * with the command's status, 128+N when signal N ended it.
 */
#ifndef NETLIMIT_EXITCODE_H
#define NETLIMIT_EXITCODE_H

enum nl_exit {
	NL_EXIT_OK = 0,
	NL_EXIT_GONE = 3,	  /* wait: the target ended before the cap */
	NL_EXIT_USAGE = 64,	  /* bad option, size, duration or argument */
	NL_EXIT_NOTARGET = 66,	  /* no such PID, cgroup, limit id or interface */
	NL_EXIT_UNSUPPORTED = 69, /* no cgroup2, no BTF, no cgroup BPF, no bpffs */
	NL_EXIT_INUSE = 75,	  /* serve: the address to listen on is in use */
	NL_EXIT_NOPERM = 77,	  /* not root */
	NL_EXIT_LIMIT = 120,	  /* run: netlimit ended the command at its cap */
	NL_EXIT_FAIL = 125,	  /* netlimit itself failed */
	NL_EXIT_NOEXEC = 126,	  /* the command cannot be executed */
	NL_EXIT_NOCMD = 127,	  /* the command was not found */
};

/* Map a -errno from a setup step to an exit status. */
int nl_exit_for_errno(int err);

#endif
