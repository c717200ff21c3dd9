/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A small test_progs: every `void test_<name>(void)` in tests/test_*.c is run
 * in a child process of its own, in a network namespace of its own, and
 * checked for leftovers afterwards. ASSERT_* print what differed and return
 * whether the check held: if (!ASSERT_OK(err, "attach")) goto cleanup;
 */
#ifndef NETLIMIT_HARNESS_H
#define NETLIMIT_HARNESS_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

extern int test_failures; /* of the running test */
extern bool test_skipped;

void test_fail_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Loaded programs whose name starts with nl_ (the leftover check uses it too). */
int count_nl_progs(void);

/* Tests that need root call this first; in CI (CI=true) a missing privilege fails. */
bool require_root(void);

#define ASSERT_TRUE(cond, name)                                                                    \
	({                                                                                         \
		bool ___ok = (cond);                                                               \
		if (!___ok)                                                                        \
			test_fail_at(__FILE__, __LINE__, "%s: expected true: %s", (name), #cond);  \
		___ok;                                                                             \
	})

#define ASSERT_FALSE(cond, name) ASSERT_TRUE(!(cond), name)

#define ASSERT_OK(res, name)                                                                       \
	({                                                                                         \
		long long ___r = (long long)(res);                                                 \
		bool ___ok = ___r == 0;                                                            \
		if (!___ok)                                                                        \
			test_fail_at(__FILE__, __LINE__, "%s: unexpected error %lld (%s)", (name), \
				     ___r, strerror(___r < 0 ? (int)-___r : (int)___r));           \
		___ok;                                                                             \
	})

#define ASSERT_ERR(res, name)                                                                      \
	({                                                                                         \
		long long ___r = (long long)(res);                                                 \
		bool ___ok = ___r != 0;                                                            \
		if (!___ok)                                                                        \
			test_fail_at(__FILE__, __LINE__, "%s: expected an error", (name));         \
		___ok;                                                                             \
	})

#define ASSERT_CMP(a, op, b, name)                                                                 \
	({                                                                                         \
		unsigned long long ___a = (unsigned long long)(a);                                 \
		unsigned long long ___b = (unsigned long long)(b);                                 \
		bool ___ok = ___a op ___b;                                                         \
		if (!___ok)                                                                        \
			test_fail_at(__FILE__, __LINE__,                                           \
				     "%s: expected %s %s %s, got %llu %s %llu", (name), #a, #op,   \
				     #b, ___a, #op, ___b);                                         \
		___ok;                                                                             \
	})

#define ASSERT_EQ(a, b, name)  ASSERT_CMP(a, ==, b, name)
#define ASSERT_NEQ(a, b, name) ASSERT_CMP(a, !=, b, name)
#define ASSERT_LE(a, b, name)  ASSERT_CMP(a, <=, b, name)
#define ASSERT_LT(a, b, name)  ASSERT_CMP(a, <, b, name)
#define ASSERT_GE(a, b, name)  ASSERT_CMP(a, >=, b, name)
#define ASSERT_GT(a, b, name)  ASSERT_CMP(a, >, b, name)

#define ASSERT_STREQ(a, b, name)                                                                   \
	({                                                                                         \
		const char *___a = (a), *___b = (b);                                               \
		bool ___ok = ___a && ___b && !strcmp(___a, ___b);                                  \
		if (!___ok)                                                                        \
			test_fail_at(__FILE__, __LINE__, "%s: expected \"%s\", got \"%s\"",        \
				     (name), ___b ? ___b : "(null)", ___a ? ___a : "(null)");      \
		___ok;                                                                             \
	})

#define ASSERT_HAS(haystack, needle, name)                                                         \
	({                                                                                         \
		const char *___h = (haystack), *___n = (needle);                                   \
		bool ___ok = ___h && strstr(___h, ___n);                                           \
		if (!___ok)                                                                        \
			test_fail_at(__FILE__, __LINE__, "%s: \"%s\" not found in:\n%s", (name),   \
				     ___n, ___h ? ___h : "(null)");                                \
		___ok;                                                                             \
	})

/* Every test's prototype, generated from the sources. */
#define DEFINE_TEST(name) void name(void);
#include "tests.inc"
#undef DEFINE_TEST

#endif
