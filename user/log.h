/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Messages to stderr, the verbosity switch and libbpf's print hook. */
#ifndef NETLIMIT_LOG_H
#define NETLIMIT_LOG_H

enum nl_verbosity {
	NL_QUIET = 0,
	NL_NORMAL = 1,
	NL_VERBOSE = 2,
};

extern int nl_verbosity;

/* Errors are printed whatever the verbosity: one line, "netlimit: ...". */
void nl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void nl_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void nl_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void nl_log_init(void);

#endif
