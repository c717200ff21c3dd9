// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The help of every command against what the command accepts: each option
 * that --help names is taken (not "unknown option"), each help shows
 * examples, and an option help does not name is refused as unknown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "helpers.h"

static const char *const commands[] = { "run",	"attach", "host",  "iface", "down",  "up",
					"list", "show",	  "top",   "set",   "reset", "detach",
					"wait", "gc",	  "meter", "stat", "watch", "inspect", "audit", "serve",
					"save", "restore" };

/*
 * Run `netlimit CMD OPT x x`: true if OPT was not refused as unknown. "x"
 * is no valid value, id or command anywhere, and where OPT takes any text
 * (top --filter) the second is an argument no command takes: nothing is
 * made or run.
 */
static bool accepted(const char *cmd, const char *opt)
{
	static struct proc p;

	netlimit(&p, cmd, opt, "x", "x", NULL);
	return !strstr(p.err, "unknown option");
}

void test_help_matches_options(void)
{
	static struct proc h;
	size_t i;

	if (!require_root())
		return;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const char *cmd = commands[i], *c;
		char opt[48];
		int n = 0;

		netlimit(&h, cmd, "--help", NULL);
		if (!ASSERT_EQ(h.status, 0, cmd))
			continue;
		ASSERT_HAS(h.out, "Usage", cmd);
		ASSERT_HAS(h.out, "Example", cmd);
		/* Every "--word" the help names, once; examples' own options aside. */
		char seen[2048] = "";
		const char *ex = strstr(h.out, "Example");

		for (c = h.out; (c = strstr(c, "--")) && (!ex || c < ex); c += 2) {
			size_t k = 2;

			while ((c[k] >= 'a' && c[k] <= 'z') || c[k] == '-')
				k++;
			if (k < 4 || k >= sizeof(opt) || c[-1] == '-')
				continue;
			memcpy(opt, c, k);
			opt[k] = '\0';
			if (!strcmp(opt, "--help"))
				continue;
			if (strstr(seen, opt) || strlen(seen) + k + 2 >= sizeof(seen))
				continue;
			strcat(seen, opt);
			strcat(seen, " ");
			if (!accepted(cmd, opt))
				test_fail_at(__FILE__, __LINE__,
					     "netlimit %s: --help names %s, "
					     "which it refuses as unknown",
					     cmd, opt);
			n++;
		}
		/* Commands with options name them (down, up, wait and reset have none but -q/-v).
		 */
		if (!strcmp(cmd, "run") || !strcmp(cmd, "attach") || !strcmp(cmd, "list") ||
		    !strcmp(cmd, "top") || !strcmp(cmd, "gc"))
			ASSERT_GT(n, 0, cmd);
		/* And the contrary: an option no help names. */
		netlimit(&h, cmd, "--frobnicate", NULL);
		ASSERT_EQ(h.status, 64, "unknown option: usage status");
	}
	netlimit(&h, "--help", NULL);
	ASSERT_EQ(h.status, 0, "netlimit --help");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		ASSERT_HAS(h.out, commands[i], "the top-level help names every command");
}
