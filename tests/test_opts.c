// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Unit tests: `netlimit run` option parsing, accepted and refused. */
#include "exitcode.h"
#include "harness.h"
#include "dataplane.h"
#include "run.h"

/* The argv array lives in the test's frame: o->argv points into it. */
static char *args[64];
static int set_args(int n, char **v)
{
	int i;

	args[0] = "run";
	for (i = 0; i < n && i < 62; i++)
		args[i + 1] = v[i];
	args[i + 1] = NULL;
	return i + 1;
}
#define NARGS(...) ((int)(sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(o, st, ...)                                                                          \
	nl_run_parse(set_args(NARGS(__VA_ARGS__), (char *[]){ __VA_ARGS__ }), args, (o), (st))

void test_run_opts_accepted(void)
{
	struct nl_run_opts o;
	int st;

	if (ASSERT_TRUE(PARSE(&o, &st, "--limit=25M", "--", "curl", "-O", "x"), "limit")) {
		ASSERT_EQ(o.cap_total, 25ULL << 20, "total cap");
		ASSERT_EQ(o.cap_in, NL_UNLIMITED, "no in cap");
		ASSERT_EQ(o.cap_out, NL_UNLIMITED, "no out cap");
		ASSERT_EQ(o.action, NL_ACT_KILL, "kill is the default");
		ASSERT_EQ(o.grace_ns, 2000000000ULL, "grace default");
		ASSERT_STREQ(o.argv[0], "curl", "command");
		ASSERT_STREQ(o.argv[1], "-O", "command args kept");
	}
	if (ASSERT_TRUE(PARSE(&o, &st, "--in=1G", "--out", "100MB", "--on-limit=block",
			      "--grace=500ms", "-u", "nobody", "--name=job", "--json", "-q", "sh",
			      "-c", "true"),
			"all options")) {
		ASSERT_EQ(o.cap_in, 1ULL << 30, "in");
		ASSERT_EQ(o.cap_out, 100000000ULL, "out");
		ASSERT_EQ(o.action, NL_ACT_BLOCK, "block");
		ASSERT_EQ(o.grace_ns, 500000000ULL, "grace");
		ASSERT_STREQ(o.user, "nobody", "user");
		ASSERT_STREQ(o.name, "job", "name");
		ASSERT_TRUE(o.json, "json");
		ASSERT_STREQ(o.argv[0], "sh", "command without --");
		ASSERT_STREQ(o.argv[1], "-c", "command's own options are not netlimit's");
	}
	/* Options after the command belong to the command. */
	if (ASSERT_TRUE(PARSE(&o, &st, "-l", "1K", "--", "prog", "--limit=5"), "after --"))
		ASSERT_EQ(o.cap_total, 1024, "netlimit's cap");
}

void test_run_opts_refused(void)
{
	struct nl_run_opts o;
	int st;

	ASSERT_FALSE(PARSE(&o, &st, "--", "cmd"), "no cap");
	ASSERT_EQ(st, NL_EXIT_USAGE, "no cap status");
	ASSERT_FALSE(PARSE(&o, &st, "--limit=1M"), "no command");
	ASSERT_EQ(st, NL_EXIT_USAGE, "no command status");
	ASSERT_FALSE(PARSE(&o, &st, "--limit=0", "--", "cmd"), "zero");
	ASSERT_FALSE(PARSE(&o, &st, "--limit=-1", "--", "cmd"), "negative");
	ASSERT_FALSE(PARSE(&o, &st, "--in=lots", "--", "cmd"), "garbage");
	ASSERT_FALSE(PARSE(&o, &st, "--out=99999999999999999999", "--", "cmd"), "overflow");
	ASSERT_FALSE(PARSE(&o, &st, "--limit=1M", "--on-limit=pause", "--", "cmd"), "action");
	ASSERT_FALSE(PARSE(&o, &st, "--limit=1M", "--grace=soon", "--", "cmd"), "grace");
	ASSERT_FALSE(PARSE(&o, &st, "--limit=1M", "--bogus", "--", "cmd"), "unknown long");
	ASSERT_FALSE(PARSE(&o, &st, "--limit=1M", "-Z", "--", "cmd"), "unknown short");
	ASSERT_FALSE(PARSE(&o, &st, "--limit"), "missing value");
	ASSERT_FALSE(PARSE(&o, &st, "--limit=1M", "--name=0123456789012345678901234567890123", "--",
			   "cmd"),
		     "name too long");
	ASSERT_EQ(st, NL_EXIT_USAGE, "usage status");
	/* --help prints to stdout: keep it out of the test log. */
	if (!freopen("/dev/null", "w", stdout))
		return;
	ASSERT_FALSE(PARSE(&o, &st, "--help"), "help stops");
	ASSERT_EQ(st, NL_EXIT_OK, "help status");
}
