// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Unit tests: sizes and durations, accepted and refused. */
#include "harness.h"
#include "dataplane.h"
#include "rate.h"
#include "size.h"

void test_size_accepted(void)
{
	static const struct {
		const char *in;
		unsigned long long want;
	} cases[] = {
		{ "1", 1 },
		{ "100B", 100 },
		{ "1K", 1024 },
		{ "1k", 1024 },
		{ "1KB", 1000 },
		{ "1KiB", 1024 },
		{ "25M", 25ULL << 20 },
		{ "25MB", 25000000 },
		{ "25MiB", 25ULL << 20 },
		{ "1.5G", 3ULL << 29 },
		{ "1.5GB", 1500000000 },
		{ "2T", 2ULL << 40 },
		{ "2TB", 2000000000000ULL },
		{ "0.5K", 512 },
		{ "1.1K", 1126 }, /* 1126.4 rounds down */
		{ "15E", 15ULL << 60 },
		{ "18446744073709551614", 18446744073709551614ULL },
		{ "007", 7 },
	};
	const char *why;
	__u64 v;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 0;
		if (!ASSERT_OK(nl_parse_size(cases[i].in, &v, &why), cases[i].in))
			continue;
		ASSERT_EQ(v, cases[i].want, cases[i].in);
	}
}

void test_size_refused(void)
{
	static const struct {
		const char *in, *why;
	} cases[] = {
		{ "0", "greater than zero" },
		{ "0K", "greater than zero" },
		{ "0.0001", "whole number" },
		{ "1.0000000000000000001", "whole number" }, /* a 19th digit still counts */
		{ "-1", "negative" },
		{ "-5M", "negative" },
		{ "", "empty" },
		{ "abc", "not a number" },
		{ "M", "not a number" },
		{ "12X", "unknown unit" },
		{ "12Mb", "unknown unit" },
		{ "12 M", "unknown unit" },
		{ " 12M", "not a number" },
		{ "1.5", "whole number" },
		{ "1..5M", "unknown unit" },
		{ "18446744073709551616", "too large" },
		{ "18446744073709551615", "too large" }, /* reserved for "no cap" */
		{ "16E", "too large" },
		{ "99999999999T", "too large" },
		{ "5MBs", "unknown unit" },
	};
	const char *why;
	__u64 v;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = NULL;
		if (!ASSERT_ERR(nl_parse_size(cases[i].in, &v, &why), cases[i].in))
			continue;
		ASSERT_HAS(why, cases[i].why, cases[i].in);
	}
	ASSERT_ERR(nl_parse_size(NULL, &v, &why), "NULL");
}

void test_duration(void)
{
	static const struct {
		const char *in;
		unsigned long long want;
	} ok[] = {
		{ "2", 2000000000ULL },
		{ "2s", 2000000000ULL },
		{ "500ms", 500000000ULL },
		{ "1.5s", 1500000000ULL },
		{ "0", 0 },
		{ "1m", 60000000000ULL },
		{ "10us", 10000 },
		{ "1h", 3600000000000ULL },
	};
	static const char *bad[] = { "", "x", "-1s", "2 s", "5d", "1.5.5s" };
	const char *why;
	__u64 v;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (ASSERT_OK(nl_parse_duration(ok[i].in, &v, &why), ok[i].in))
			ASSERT_EQ(v, ok[i].want, ok[i].in);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_ERR(nl_parse_duration(bad[i], &v, &why), bad[i]);
}

void test_size_format(void)
{
	char buf[32];

	ASSERT_STREQ(nl_format_size(100, buf, sizeof(buf)), "100 B", "100");
	ASSERT_STREQ(nl_format_size(25ULL << 20, buf, sizeof(buf)), "25.0 MiB", "25M");
	ASSERT_STREQ(nl_format_size(NL_UNLIMITED, buf, sizeof(buf)), "unlimited", "none");
}

/* Rates (user/rate.c): bits with SI units, bytes as sizes, "/s" optional. */
void test_rate_parse(void)
{
	static const struct {
		const char *in;
		unsigned long long bits; /* 0: refused */
	} cases[] = {
		{ "10mbit", 10000000 },
		{ "10Mbit", 10000000 },
		{ "1.5Mbit/s", 1500000 },
		{ "1gbit", 1000000000 },
		{ "100kbps", 100000 },
		{ "1bit", 1 },
		{ "500KB/s", 4000000 },
		{ "2MiB/s", 16777216 },
		{ "2M", 16777216 },
		{ "1000", 8000 },
		{ "1000/s", 8000 },
		{ "0.5kbit", 500 },
		{ "0", 0 },
		{ "0mbit", 0 },
		{ "-1mbit", 0 },
		{ "fast", 0 },
		{ "mbit", 0 },
		{ "1.2.3mbit", 0 },
		{ "10 mbit", 0 },
		{ "10furlongs", 0 },
		{ "", 0 },
		{ "99999999999999999999bit", 0 },
		{ "3000000000000000000B", 0 },
		{ "0.0001bit", 0 },
	};
	const char *why;
	__u64 v;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 0;
		why = NULL;
		if (cases[i].bits) {
			if (ASSERT_OK(nl_parse_rate(cases[i].in, &v, &why), cases[i].in))
				ASSERT_EQ(v, cases[i].bits, cases[i].in);
		} else {
			ASSERT_ERR(nl_parse_rate(cases[i].in, &v, &why), cases[i].in);
			ASSERT_TRUE(why && *why, "says why");
		}
	}
}
