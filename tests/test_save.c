// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * save and restore: limits made again as they were (counts too), twice
 * changing nothing, a broken file refused whole with its line number, a
 * limit whose target is gone skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "harness.h"
#include "helpers.h"

/* `list --json` without what a new limit changes: ids, creation times, live rates. */
static void list_norm(char *buf, size_t len)
{
	struct proc p;
	char *o = buf, *s;

	netlimit(&p, "list", "--json", NULL);
	for (s = p.out; *s && (size_t)(o - buf) < len - 1; s++) {
		static const char *const drop[] = { "\"id\":", "\"created_ns\":",
						    "\"in_achieved_bps\":", "\"out_achieved_bps\":" };
		bool skipped = false;

		for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++) {
			if (!strncmp(s, drop[i], strlen(drop[i]))) {
				s += strlen(drop[i]);
				while (*s && *s != ',' && *s != '}')
					s++;
				if (*s == ',')
					; /* the comma goes too */
				else
					s--;
				skipped = true;
				break;
			}
		}
		if (!skipped)
			*o++ = *s;
	}
	*o = '\0';
}

struct three {
	char cg1[512], cg2[512];
};

static bool make_three(struct three *t)
{
	char rel[64];
	struct proc p;
	struct server *sink;
	int port;

	snprintf(rel, sizeof(rel), "save-a-%d", (int)getpid());
	/* A space and a percent sign: the file escapes them. */
	snprintf(rel, sizeof(rel), "save a%%-%d", (int)getpid());
	if (!test_make_cgroup(rel, t->cg1, sizeof(t->cg1)))
		return false;
	snprintf(rel, sizeof(rel), "save-b-%d", (int)getpid());
	if (!test_make_cgroup(rel, t->cg2, sizeof(t->cg2)))
		return false;
	netlimit(&p, "attach", "--cgroup", t->cg1, "--out=5M", "--in-rate=20mbit", "--burst=64K",
		 "--name=sva", "-q", NULL);
	if (p.status)
		return false;
	netlimit(&p, "attach", "--cgroup", t->cg2, "--limit=1G", "--only=10.0.0.0/8,fd00::/8",
		 "--on-limit=throttle:1mbit", "--count=wire", "-q", NULL);
	if (p.status)
		return false;
	netlimit(&p, "host", "192.0.2.0/24", "--rate=5mbit", "--in=1G", "--name=hb", "-q", NULL);
	if (p.status)
		return false;
	/* Counts to carry over: 100 datagrams of 1,028 IP bytes from the first cgroup. */
	sink = udp_sink(AF_INET, &port);
	{
		char *argv[] = { traffic(), "udp", "127.0.0.1", num(port), "100", "1000", NULL };

		start_in_cgroup(&p, t->cg1, argv);
		proc_finish(&p, 20);
	}
	server_stop(sink);
	return true;
}

static void remove_all(struct three *t)
{
	struct proc p;

	for (int id = 1; id <= 6; id++)
		netlimit(&p, "detach", num(id), "-q", NULL);
	rmdir(t->cg1);
	rmdir(t->cg2);
}

void test_save_restore_same(void)
{
	static char before[65536], after[65536], again[65536];
	char file[] = "/tmp/nl-save-XXXXXX";
	struct three t;
	struct proc p;
	int fd;

	if (!require_root())
		return;
	fd = mkstemp(file);
	close(fd);
	if (!ASSERT_TRUE(make_three(&t), "three limits"))
		goto out;
	list_norm(before, sizeof(before));
	ASSERT_HAS(before, "\"out_bytes\":102800", "the count to carry over");
	netlimit(&p, "save", file, NULL);
	ASSERT_EQ(p.status, 0, "save");
	ASSERT_HAS(p.err, "saved 3 limit(s)", "says how many");
	ASSERT_EQ(sh("grep -q '%%20a%%25-' %s", file), 0, "the path's space and % escaped");
	ASSERT_EQ(sh("test $(stat -c %%a %s) = 600", file), 0, "0600");
	for (int id = 1; id <= 3; id++)
		netlimit(&p, "detach", num(id), "-q", NULL);
	netlimit(&p, "list", "--json", NULL);
	ASSERT_STREQ(p.out, "[]\n", "all gone");
	netlimit(&p, "restore", file, NULL);
	ASSERT_EQ(p.status, 0, "restore");
	ASSERT_HAS(p.err, "restored 3 limit(s)", "all three");
	list_norm(after, sizeof(after));
	ASSERT_STREQ(after, before, "list --json: the same limits, counts and all");
	netlimit(&p, "restore", file, NULL);
	ASSERT_EQ(p.status, 0, "restore again");
	ASSERT_HAS(p.err, "restored 0 limit(s)", "nothing new");
	ASSERT_HAS(p.err, "3 there already", "left as they were");
	list_norm(again, sizeof(again));
	ASSERT_STREQ(again, before, "twice: nothing changed");
out:
	remove_all(&t);
	unlink(file);
}

/* A file with a bad line, or cut short: refused whole, with the line's number. */
void test_save_restore_broken(void)
{
	char file[] = "/tmp/nl-save-XXXXXX";
	struct proc p;
	FILE *f;
	int fd;

	if (!require_root())
		return;
	fd = mkstemp(file);
	f = fdopen(fd, "w");
	fprintf(f, "# netlimit save 1\nhost 192.0.2.1 in=1000 in-bytes=0 out-bytes=0\n"
		   "host 192.0.2.2 in=lots in-bytes=0 out-bytes=0\n# end 2\n");
	fclose(f);
	netlimit(&p, "restore", file, NULL);
	ASSERT_EQ(p.status, 64, "a bad size");
	ASSERT_HAS(p.err, ":3: the line has a size that is not a number of bytes", "line 3");
	ASSERT_EQ(strchr(p.err, '\n') - p.err + 1, (long)p.err_len, "one line");
	netlimit(&p, "list", "--json", NULL);
	ASSERT_STREQ(p.out, "[]\n", "nothing half-restored (line 2 was fine)");

	f = fopen(file, "w");
	fprintf(f, "# netlimit save 1\nhost 192.0.2.1 in=1000 in-bytes=0 out-bytes=0\n");
	fclose(f);
	netlimit(&p, "restore", file, NULL);
	ASSERT_EQ(p.status, 64, "truncated");
	ASSERT_HAS(p.err, "truncated", "says so");
	f = fopen(file, "w");
	fprintf(f, "# netlimit save 1\nhost 192.0.2.1 frob=1\n# end 1\n");
	fclose(f);
	netlimit(&p, "restore", file, NULL);
	ASSERT_EQ(p.status, 64, "unknown key");
	ASSERT_HAS(p.err, ":2: the line has an unknown key", "line 2");
	f = fopen(file, "w");
	fprintf(f, "limits, honest\n");
	fclose(f);
	netlimit(&p, "restore", file, NULL);
	ASSERT_EQ(p.status, 64, "not a save file");
	ASSERT_HAS(p.err, ":1: not a netlimit save file", "line 1");
	f = fopen(file, "w");
	fprintf(f, "# netlimit save 1\ncgroup /x%%0 in=1\n# end 1\n");
	fclose(f);
	netlimit(&p, "restore", file, NULL);
	ASSERT_EQ(p.status, 64, "a broken escape");
	netlimit(&p, "restore", "/nonexistent/save", NULL);
	ASSERT_EQ(p.status, 66, "no such file");
	netlimit(&p, "list", "--json", NULL);
	ASSERT_STREQ(p.out, "[]\n", "nothing made");
	unlink(file);
}

/* A limit whose cgroup is gone is reported and skipped; the others are made. */
void test_save_restore_target_gone(void)
{
	char file[] = "/tmp/nl-save-XXXXXX", cg[512], rel[64];
	struct proc p;
	FILE *f;
	int fd;

	if (!require_root())
		return;
	snprintf(rel, sizeof(rel), "save-c-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		return;
	fd = mkstemp(file);
	f = fdopen(fd, "w");
	fprintf(f, "# netlimit save 1\ncgroup /sys/fs/cgroup/no-such-%d out=1000 in-bytes=0 "
		   "out-bytes=0\ncgroup %s name=kept out=2000 in-bytes=5 out-bytes=6\n# end 2\n",
		(int)getpid(), cg);
	fclose(f);
	netlimit(&p, "restore", file, NULL);
	ASSERT_EQ(p.status, 0, "not fatal");
	ASSERT_HAS(p.err, ":2: cgroup /sys/fs/cgroup/no-such-", "names the line and target");
	ASSERT_HAS(p.err, "skipped", "skipped");
	netlimit(&p, "show", "kept", "--json", NULL);
	ASSERT_EQ(J(p.out, "cap_out"), 2000, "the other one made");
	ASSERT_EQ(J(p.out, "out_bytes"), 6, "with its count");
	netlimit(&p, "detach", "kept", "-q", NULL);
	rmdir(cg);
	unlink(file);
}
