/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Rates ("10mbit", "1.5Mbit/s", "500KB/s", "2MiB/s") and their printing. */
#ifndef NETLIMIT_RATE_H
#define NETLIMIT_RATE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "dataplane.h"

/* Rates of one limit (include/dataplane.h: enum nl_bucket). */
struct nl_rates {
	__u64 bits[NL_BUCKETS]; /* bits per second; 0: none */
	__u64 burst;		/* bytes; 0: each bucket's default */
};

/*
 * Parse a rate into bits per second. Bits: bit, kbit, mbit, gbit, tbit (and
 * bps, kbps, mbps, gbps, tbps), powers of 1000, any case. Bytes: a size as
 * nl_parse_size takes it (K M G T: powers of 1024, KB MB GB TB: of 1000,
 * KiB MiB GiB TiB: of 1024, B: bytes), optionally followed by "/s"; a bare
 * number is bytes per second. Returns 0, or -EINVAL with *why saying what is
 * wrong (zero, negative, garbage, overflow).
 */
int nl_parse_rate(const char *s, __u64 *bits_per_s, const char **why);

/* 0 if netlimit can keep this rate (NL_RATE_MIN..NL_RATE_MAX), else -ERANGE and *why. */
int nl_rate_check(__u64 bits_per_s, const char **why);

/* The smallest --burst: one full-size Ethernet packet. */
#define NL_BURST_MIN 1514U
/* A bucket's default burst: this long at its rate, and at least NL_BURST_DEFAULT_MIN bytes. */
#define NL_BURST_MS 10
#define NL_BURST_DEFAULT_MIN 16384ULL
/* What TCP may run past a bucket's burst, at least (bpf/charge.h). */
#define NL_TCP_DEBT_MS 50ULL

struct nl_limit;
struct nl_conf;
/*
 * Set the buckets of a limit from bits[NL_BUCKETS] (0: no rate) and burst
 * (0: each bucket's default): what BPF reads first, its rated bits last.
 */
void nl_rate_apply(struct nl_limit *l, const struct nl_rates *r);
/*
 * Add n (1 or -1) to what c counts of l's rates: npaced if TCP under l is
 * paced (an out, total or throttle rate), nslow if a rate is under
 * NL_SLOW_RATE_BITS (its TCP sockets get smaller segments). A limit is
 * counted when made, uncounted when removed, and around a change of rates.
 */
void nl_rate_count(struct nl_conf *c, const struct nl_limit *l, int n);

/* "12.5 MiB/s" from bytes per second. */
char *nl_format_rate(double bytes_per_s, char *buf, size_t len);
/* "10 Mbit/s" from bits per second (how rates are given). */
char *nl_format_bits(__u64 bits_per_s, char *buf, size_t len);

#endif
