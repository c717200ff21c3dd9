// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Rates: see user/rate.h. Exact integer arithmetic, as for sizes. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "dataplane.h"
#include "rate.h"
#include "size.h"

static const struct {
	const char *unit;
	__u64 mult; /* bits per second per unit */
} bit_units[] = {
	{ "bit", 1ULL },
	{ "kbit", 1000ULL },
	{ "mbit", 1000000ULL },
	{ "gbit", 1000000000ULL },
	{ "tbit", 1000000000000ULL },
	{ "bps", 1ULL },
	{ "kbps", 1000ULL },
	{ "mbps", 1000000ULL },
	{ "gbps", 1000000000ULL },
	{ "tbps", 1000000000000ULL },
};

/* The number in [s, end) times mult bits, exact (a fraction of a bit rounds down). */
static int bits_of(const char *s, const char *end, __u64 mult, __u64 *bits, const char **why)
{
	unsigned __int128 v = 0, frac = 0, div = 1;
	bool dot = false, digits = false;

	for (; s < end; s++) {
		if (*s == '.') {
			if (dot) {
				*why = "is not a number";
				return -EINVAL;
			}
			dot = true;
			continue;
		}
		digits = true;
		if (!dot) {
			v = v * 10 + (unsigned)(*s - '0');
			if (v * mult > (unsigned __int128)~0ULL) {
				*why = "is too large for 64 bits";
				return -EINVAL;
			}
		} else if (div < 1000000000000000000ULL) {
			frac = frac * 10 + (unsigned)(*s - '0');
			div *= 10;
		}
	}
	if (!digits) {
		*why = "is not a number";
		return -EINVAL;
	}
	v = v * mult + frac * mult / div;
	if (v > (unsigned __int128)~0ULL) {
		*why = "is too large for 64 bits";
		return -EINVAL;
	}
	if (!v) {
		*why = "must be greater than zero";
		return -EINVAL;
	}
	*bits = (__u64)v;
	return 0;
}

int nl_parse_rate(const char *s, __u64 *bits, const char **why)
{
	char num[64], *p;
	size_t len, i;
	__u64 bytes;
	int err;

	*why = NULL;
	if (!s || !*s) {
		*why = "is empty";
		return -EINVAL;
	}
	len = strlen(s);
	if (len >= sizeof(num)) {
		*why = "is too long";
		return -EINVAL;
	}
	memcpy(num, s, len + 1);
	/* "/s" may follow any unit: "1.5Mbit/s", "500KB/s". */
	if (len > 2 && !strcmp(num + len - 2, "/s"))
		num[len -= 2] = '\0';
	for (p = num; (*p >= '0' && *p <= '9') || *p == '.'; p++)
		;
	for (i = 0; i < sizeof(bit_units) / sizeof(bit_units[0]); i++)
		if (p != num && !strcasecmp(p, bit_units[i].unit))
			return bits_of(num, p, bit_units[i].mult, bits, why);
	err = nl_parse_size(num, &bytes, why);
	if (err) {
		if (*why && strstr(*why, "unknown unit"))
			*why = "has an unknown unit (use bit, kbit, mbit, gbit, or bytes: K, KB, KiB, "
			       "M, MB, MiB ..., with or without /s)";
		return err;
	}
	if (__builtin_mul_overflow(bytes, 8, bits)) {
		*why = "is too large for 64 bits";
		return -EINVAL;
	}
	return 0;
}

char *nl_format_rate(double bytes_per_s, char *buf, size_t len)
{
	char h[32];

	nl_format_size(bytes_per_s > 0 ? (__u64)bytes_per_s : 0, h, sizeof(h));
	snprintf(buf, len, "%.24s/s", h);
	return buf;
}

int nl_rate_check(__u64 bits, const char **why)
{
	if (bits < NL_RATE_MIN) {
		*why = "is below the smallest rate netlimit keeps, 1kbit";
		return -ERANGE;
	}
	if (bits > NL_RATE_MAX) {
		*why = "is above the largest rate netlimit keeps, 1tbit";
		return -ERANGE;
	}
	return 0;
}

/* Whether TCP under l is paced (an out, total or throttle rate). */
static bool paces(const struct nl_limit *l)
{
	return (l->rate_mult[NL_B_OUT] | l->rate_mult[NL_B_TOTAL] | l->rate_mult[NL_B_THROTTLE]) != 0;
}

/* Whether one of l's rates is under NL_SLOW_RATE_BITS: its TCP sockets get smaller segments. */
static bool slow(const struct nl_limit *l)
{
	int b;

	for (b = 0; b < NL_BUCKETS; b++)
		if (l->rate[b] && l->rate[b] < NL_SLOW_RATE_BITS)
			return true;
	return false;
}

void nl_rate_count(struct nl_conf *c, const struct nl_limit *l, int n)
{
	if (paces(l))
		__atomic_fetch_add(&c->npaced, n, __ATOMIC_SEQ_CST);
	if (slow(l))
		__atomic_fetch_add(&c->nslow, n, __ATOMIC_SEQ_CST);
}

void nl_rate_apply(struct nl_limit *l, const struct nl_rates *r)
{
	const __u64 *bits = r->bits, burst = r->burst;
	__u32 rated = 0;
	int b;

	for (b = 0; b < NL_BUCKETS; b++) {
		__u64 mult = 0, ns = 0, size = 0, debt = 0;

		if (bits[b]) {
			/* ns per byte << NL_RATE_SHIFT; bytes/s = bits / 8. */
			mult = (__u64)(((unsigned __int128)1000000000ULL << NL_RATE_SHIFT) * 8 /
				       bits[b]);
			size = burst ? burst : bits[b] / 8 * NL_BURST_MS / 1000;
			if (size < NL_BURST_DEFAULT_MIN && !burst)
				size = NL_BURST_DEFAULT_MIN;
			ns = (__u64)((unsigned __int128)size * 8 * 1000000000ULL / bits[b]);
			/* TCP's debt: 50 ms, or two 64 KiB packets at the rate. */
			debt = (__u64)((unsigned __int128)2 * 65536 * 8 * 1000000000ULL / bits[b]);
			if (debt < NL_TCP_DEBT_MS * 1000000ULL)
				debt = NL_TCP_DEBT_MS * 1000000ULL;
			if (b != NL_B_THROTTLE)
				rated |= NL_RATED;
		}
		__atomic_store_n(&l->rate_mult[b], mult, __ATOMIC_RELAXED);
		__atomic_store_n(&l->rate_burst_ns[b], ns, __ATOMIC_RELAXED);
		__atomic_store_n(&l->rate_debt_ns[b], debt, __ATOMIC_RELAXED);
		l->rate[b] = bits[b];
		l->burst[b] = size;
	}
	l->burst_opt = burst;
	if (l->action == NL_ACT_THROTTLE)
		rated |= NL_THROTTLED;
	__atomic_store_n(&l->rated, rated, __ATOMIC_RELEASE);
}

char *nl_format_bits(__u64 bits, char *buf, size_t len)
{
	static const char *const unit[] = { "bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s" };
	double v = (double)bits;
	int i = 0;

	while (v >= 1000 && i < 4) {
		v /= 1000;
		i++;
	}
	snprintf(buf, len, "%.4g %s", v, unit[i]);
	return buf;
}
