/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Sizes ("25M", "1.5GB"), durations ("2s", "500ms") and their printing. */
#ifndef NETLIMIT_SIZE_H
#define NETLIMIT_SIZE_H

#include <stddef.h>
#include <linux/types.h>

/*
 * Parse a size in bytes. K M G T P E are powers of 1024, KB MB GB TB PB EB
 * powers of 1000, KiB..EiB powers of 1024, a trailing B alone means bytes; a
 * fraction (1.5G) is allowed and rounded down to whole bytes. Returns 0, or
 * -EINVAL with *why saying what is wrong (zero, negative, garbage, overflow).
 */
int nl_parse_size(const char *s, __u64 *out, const char **why);

/* Parse a duration: a number with ns, us, ms, s (default), m or h. */
int nl_parse_duration(const char *s, __u64 *ns, const char **why);

/* "25.0 MiB"; "unlimited" for NL_UNLIMITED. */
char *nl_format_size(__u64 bytes, char *buf, size_t len);

#endif
