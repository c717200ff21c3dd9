// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Messages to stderr; libbpf's own messages only with -v. */
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "text.h"

int nl_verbosity = NL_NORMAL;

/* One line, always: a newline or escape from the input must not end or steer it. */
static void vlog(const char *fmt, va_list ap)
{
	char msg[1024], safe[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "netlimit: %s\n", nl_printable(msg, safe, sizeof(safe)));
}

void nl_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void nl_info(const char *fmt, ...)
{
	va_list ap;

	if (nl_verbosity < NL_NORMAL)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void nl_verbose(const char *fmt, ...)
{
	va_list ap;

	if (nl_verbosity < NL_VERBOSE)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (nl_verbosity < NL_VERBOSE)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void nl_log_init(void)
{
	libbpf_set_print(libbpf_print);
}
