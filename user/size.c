// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Parsing and printing of sizes and durations, in exact integer arithmetic. */
#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include "dataplane.h"
#include "size.h"

static const char unknown_unit[] = "has an unknown unit (use K, M, G, T, KB, MB, GB, TB, KiB, ...)";

/* Digits before and after an optional '.', exact; *end past them. */
static int parse_decimal(const char *s, __u64 *ipart, __u64 *frac, __u64 *scale, bool *fraction,
			 const char **end, const char **why)
{
	const char *p = s;
	int digits = 0;

	*fraction = false;
	*ipart = 0;
	*frac = 0;
	*scale = 1;
	if (*p == '-') {
		*why = "must not be negative";
		return -EINVAL;
	}
	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		if (__builtin_mul_overflow(*ipart, 10, ipart) ||
		    __builtin_add_overflow(*ipart, (__u64)(*p - '0'), ipart)) {
			*why = "is too large for 64 bits";
			return -EINVAL;
		}
	}
	if (*p == '.') {
		p++;
		for (; *p >= '0' && *p <= '9'; p++, digits++) {
			/* Any non-zero digit makes it a fraction, however far it stands. */
			*fraction |= *p != '0';
			/* Digits past the 18th cannot change a whole byte count. */
			if (*scale < 1000000000000000000ULL) {
				*frac = *frac * 10 + (__u64)(*p - '0');
				*scale *= 10;
			}
		}
	}
	if (!digits) {
		*why = "is not a number";
		return -EINVAL;
	}
	*end = p;
	return 0;
}

/* ipart * mult + frac / scale * mult, rounded down, without overflow. */
static int scale_value(__u64 ipart, __u64 frac, __u64 scale, __u64 mult, __u64 *out,
		       const char **why)
{
	unsigned __int128 v = (unsigned __int128)ipart * mult;

	v += (unsigned __int128)frac * mult / scale;
	if (v > (unsigned __int128)~0ULL) {
		*why = "is too large for 64 bits";
		return -EINVAL;
	}
	*out = (__u64)v;
	return 0;
}

int nl_parse_size(const char *s, __u64 *out, const char **why)
{
	static const char units[] = "KMGTPE";
	__u64 ipart, frac, scale, mult = 1;
	const char *p, *u;
	bool fraction;
	int err, i;

	*why = NULL;
	if (!s || !*s) {
		*why = "is empty";
		return -EINVAL;
	}
	err = parse_decimal(s, &ipart, &frac, &scale, &fraction, &p, why);
	if (err)
		return err;
	if (*p) {
		u = strchr(units, *p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
		if (*p == 'B' && !p[1]) {
			p++;
		} else if (!u || !*u) {
			*why = unknown_unit;
			return -EINVAL;
		} else {
			int power = (int)(u - units) + 1;
			__u64 base = 1024;

			p++;
			if (!strcmp(p, "B"))
				base = 1000, p++;
			else if (!strcmp(p, "iB"))
				p += 2;
			if (*p) {
				*why = unknown_unit;
				return -EINVAL;
			}
			for (i = 0; i < power; i++)
				mult *= base;
		}
	}
	if (fraction && mult == 1) {
		*why = "is not a whole number of bytes";
		return -EINVAL;
	}
	err = scale_value(ipart, frac, scale, mult, out, why);
	if (err)
		return err;
	if (*out == 0) {
		*why = "must be greater than zero";
		return -EINVAL;
	}
	if (*out == NL_UNLIMITED) {
		*why = "is too large for 64 bits";
		return -EINVAL;
	}
	return 0;
}

int nl_parse_duration(const char *s, __u64 *ns, const char **why)
{
	static const struct {
		const char *unit;
		__u64 ns;
	} units[] = {
		{ "", 1000000000ULL },	   { "s", 1000000000ULL }, { "ms", 1000000ULL },
		{ "us", 1000ULL },	   { "ns", 1ULL },	   { "m", 60000000000ULL },
		{ "h", 3600000000000ULL },
	};
	__u64 ipart, frac, scale;
	const char *p;
	bool fraction;
	size_t i;
	int err;

	*why = NULL;
	if (!s || !*s) {
		*why = "is empty";
		return -EINVAL;
	}
	err = parse_decimal(s, &ipart, &frac, &scale, &fraction, &p, why);
	if (err)
		return err;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcmp(p, units[i].unit))
			return scale_value(ipart, frac, scale, units[i].ns, ns, why);
	}
	*why = "has an unknown unit (use ms, s, m or h)";
	return -EINVAL;
}

char *nl_format_size(__u64 bytes, char *buf, size_t len)
{
	static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	int i = 0;

	if (bytes == NL_UNLIMITED) {
		snprintf(buf, len, "unlimited");
		return buf;
	}
	if (bytes < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
		return buf;
	}
	while (v >= 1024 && i < 6) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, "%.1f %s", v, units[i]);
	return buf;
}
