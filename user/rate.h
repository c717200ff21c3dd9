/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Rates ("10mbit", "1.5Mbit/s", "500KB/s", "2MiB/s") and their printing. */
#ifndef NETLIMIT_RATE_H
#define NETLIMIT_RATE_H

#include <stddef.h>
#include <linux/types.h>

/*
 * Parse a rate into bits per second. Bits: bit, kbit, mbit, gbit, tbit (and
 * bps, kbps, mbps, gbps, tbps), powers of 1000, any case. Bytes: a size as
 * nl_parse_size takes it (K M G T: powers of 1024, KB MB GB TB: of 1000,
 * KiB MiB GiB TiB: of 1024, B: bytes), optionally followed by "/s"; a bare
 * number is bytes per second. Returns 0, or -EINVAL with *why saying what is
 * wrong (zero, negative, garbage, overflow).
 */
int nl_parse_rate(const char *s, __u64 *bits_per_s, const char **why);

/* "12.5 MiB/s" from bytes per second. */
char *nl_format_rate(double bytes_per_s, char *buf, size_t len);

#endif
