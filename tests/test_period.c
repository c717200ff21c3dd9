// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Periods: a boundary crossed for real (the wall clock shifted with
 * NETLIMIT_CLOCK_SHIFT so that local midnight is seconds away; the kernel's
 * timer then resets the counts with nobody running), the next start in
 * local time for every kind (short months, leap years, summer time), the
 * refusals, and periods through save and restore.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include "harness.h"
#include "helpers.h"

/* Shift netlimit's wall clock (this test's and its children's) to stand at `at`. */
static void stand_at(time_t at)
{
	char v[32];

	snprintf(v, sizeof(v), "%lld", (long long)(at - time(NULL)));
	setenv("NETLIMIT_CLOCK_SHIFT", v, 1);
}

static unsigned long long json_num(const char *text, const char *key)
{
	unsigned long long v = ~0ULL;

	json_u64(text, key, &v);
	return v;
}

/* Wait until the limit's period has reset n times; the last `show --json`. */
static bool wait_resets(const char *name, unsigned long long n, int timeout_ms, struct proc *p)
{
	for (int waited = 0; waited <= timeout_ms; waited += 100) {
		netlimit(p, "show", name, "--json", NULL);
		if (json_num(p->out, "period_resets") >= n)
			return true;
		msleep(100);
	}
	return false;
}

static int send_udp(const char *cg, int port, int count)
{
	char *argv[] = { traffic(), "udp", "127.0.0.1", num(port), num(count), "1000", NULL };
	struct proc p;

	start_in_cgroup(&p, cg, argv);
	return proc_finish(&p, 20);
}

/*
 * A cap reached, then local midnight (3 s away on the shifted clock): the
 * counts go to 0, the last period's are kept, the cap lets traffic through
 * again, exactly as much as before.
 */
void test_period_boundary_crossed(void)
{
	char cg[512], rel[64];
	struct server *sink = NULL;
	struct tm tm;
	struct proc p;
	time_t now = time(NULL), midnight;
	int port;

	if (!require_root())
		return;
	setenv("TZ", "UTC", 1);
	tzset();
	localtime_r(&now, &tm);
	tm.tm_mday++;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	midnight = timegm(&tm);
	stand_at(midnight - 3);
	snprintf(rel, sizeof(rel), "period-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		return;
	/* 10 datagrams of 1,028 IP bytes fit the cap, the 11th does not. */
	netlimit(&p, "attach", "--cgroup", cg, "--out=10280", "--on-limit=block", "--period=day",
		 "--name=pd", "-q", NULL);
	if (!ASSERT_EQ(p.status, 0, "attach --period=day"))
		goto out;
	sink = udp_sink(AF_INET, &port);
	send_udp(cg, port, 20);
	netlimit(&p, "show", "pd", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 10280, "the cap held");
	ASSERT_EQ(J(p.out, "out_dropped_packets"), 10, "the rest dropped");
	ASSERT_HAS(p.out, "\"period\":\"day\"", "period shown");
	ASSERT_EQ(J(p.out, "period_next_reset"), midnight, "next reset: midnight");
	ASSERT_EQ(J(p.out, "period_resets"), 0, "none yet");
	/* Nothing of netlimit runs while the boundary passes. */
	ASSERT_TRUE(wait_resets("pd", 1, 8000, &p), "reset at midnight");
	ASSERT_EQ(J(p.out, "out_bytes"), 0, "counts from 0");
	ASSERT_EQ(J(p.out, "out_dropped_packets"), 0, "drops from 0");
	ASSERT_EQ(J(p.out, "period_prev_out_bytes"), 10280, "the last period's count kept");
	ASSERT_HAS(p.out, "\"state\":\"active\"", "re-armed");
	ASSERT_EQ(J(p.out, "period_next_reset"), midnight + 86400, "then the next midnight");
	send_udp(cg, port, 20);
	netlimit(&p, "show", "pd", "--json", NULL);
	ASSERT_EQ(J(p.out, "out_bytes"), 10280, "the cap again, to the byte");
	ASSERT_EQ(J(p.out, "out_dropped_packets"), 10, "and no further");
	netlimit(&p, "show", "pd", NULL);
	ASSERT_HAS(p.out, "period   day, next ", "show prints the period");
	ASSERT_HAS(p.out, "the last reset (1 so far): in 0 B, out 10.0 KiB", "and the last one");
	/* set --period=none: no timer left. */
	netlimit(&p, "set", "pd", "--period=none", NULL);
	ASSERT_EQ(p.status, 0, "set --period=none");
	netlimit(&p, "show", "pd", "--json", NULL);
	ASSERT_HAS(p.out, "\"period\":null", "gone");
	ASSERT_EQ(sh("bpftool map dump pinned %s/dp/periods | grep -q '\"key\"'", test_state_dir()),
		  1, "its timer's entry too");
out:
	server_stop(sink);
	netlimit(&p, "detach", "pd", "-q", NULL);
	rmdir(cg);
}

/* The next start, in local time, from a given day: literal answers, worked out by date(1). */
void test_period_next_start(void)
{
	static const struct {
		const char *tz, *period;
		long long now, next;
	} cases[] = {
		/* 2027-02-10 12:00 UTC, month:31 -> 2027-02-28 (a short month) */
		{ "UTC", "month:31", 1802260800LL, 1803772800LL },
		/* 2028-02-10, month:29 -> 2028-02-29 (a leap year) */
		{ "UTC", "month:29", 1833753600LL, 1835395200LL },
		/* 2027-01-20 08:00, month:15 -> 2027-02-15 */
		{ "UTC", "month:15", 1800432000LL, 1802649600LL },
		/* 2027-01-20 08:00, month -> 2027-02-01 */
		{ "UTC", "month", 1800432000LL, 1801440000LL },
		/* Berlin 2027-03-24 15:00 CET, month -> 2027-04-01 00:00 CEST */
		{ "Europe/Berlin", "month", 1805896800LL, 1806530400LL },
		/* Wednesday 2027-03-24, week -> Monday 2027-03-29 00:00 CEST (summer time since) */
		{ "Europe/Berlin", "week", 1805896800LL, 1806271200LL },
		/* Saturday 2027-03-27 12:00 CET, day -> 2027-03-28 00:00 CET */
		{ "Europe/Berlin", "day", 1806145200LL, 1806188400LL },
	};
	char per[32];
	struct proc p;

	if (!require_root())
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setenv("TZ", cases[i].tz, 1);
		tzset();
		stand_at((time_t)cases[i].now);
		snprintf(per, sizeof(per), "--period=%s", cases[i].period);
		netlimit(&p, "host", "192.0.2.7", "--in=1G", per, "--name=pn", "-q", NULL);
		if (!ASSERT_EQ(p.status, 0, cases[i].period))
			continue;
		netlimit(&p, "show", "pn", "--json", NULL);
		if (!ASSERT_EQ(J(p.out, "period_next_reset"), cases[i].next, cases[i].period))
			fprintf(stderr, "  (%s in %s)\n", cases[i].period, cases[i].tz);
		netlimit(&p, "detach", "pn", "-q", NULL);
	}
	unsetenv("NETLIMIT_CLOCK_SHIFT");
}

void test_period_refusals(void)
{
	static const char *const bad[] = { "--period=year", "--period=month:0",
					   "--period=month:32", "--period=month:1x",
					   "--period=", "--period=Day" };
	struct proc p;

	if (!require_root())
		return;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		netlimit(&p, "host", "192.0.2.8", "--in=1G", bad[i], NULL);
		ASSERT_EQ(p.status, 64, bad[i]);
		ASSERT_HAS(p.err, "--period: '", "names the option");
		ASSERT_EQ(strchr(p.err, '\n') - p.err + 1, (long)p.err_len, "one line");
	}
	netlimit(&p, "host", "192.0.2.8", "--in-rate=1mbit", "--period=day", NULL);
	ASSERT_EQ(p.status, 64, "a period without a cap");
	ASSERT_HAS(p.err, "--period resets caps", "says why");
	netlimit(&p, "host", "192.0.2.8", "--in-rate=1mbit", "--name=pr", "-q", NULL);
	ASSERT_EQ(p.status, 0, "a rate alone");
	netlimit(&p, "set", "pr", "--period=week", NULL);
	ASSERT_EQ(p.status, 64, "set: a period on a limit without caps");
	ASSERT_HAS(p.err, "has none", "says why");
	netlimit(&p, "set", "pr", "--in=1G", "--period=week", NULL);
	ASSERT_EQ(p.status, 0, "set: a cap and a period");
	netlimit(&p, "show", "pr", "--json", NULL);
	ASSERT_HAS(p.out, "\"period\":\"week\"", "now weekly");
	setenv("NETLIMIT_CLOCK_SHIFT", "soon", 1);
	netlimit(&p, "list", NULL);
	ASSERT_HAS(p.err, "NETLIMIT_CLOCK_SHIFT='soon' is not a number", "a bad shift said");
	unsetenv("NETLIMIT_CLOCK_SHIFT");
	netlimit(&p, "list", NULL);
	ASSERT_HAS(p.out, "week, next ", "list's PERIOD column");
	netlimit(&p, "detach", "pr", "-q", NULL);
}

/*
 * save writes the period and its next reset; restore makes the period
 * again, and keeps the counts only while their period is still running.
 */
void test_period_save_restore(void)
{
	char file[] = "/tmp/nl-period-XXXXXX";
	struct proc p;
	FILE *f;
	int fd;

	if (!require_root())
		return;
	fd = mkstemp(file);
	close(fd);
	netlimit(&p, "host", "192.0.2.9", "--in=1G", "--period=month:15", "--name=ps", "-q", NULL);
	if (!ASSERT_EQ(p.status, 0, "host --period"))
		goto out;
	netlimit(&p, "save", file, NULL);
	ASSERT_EQ(p.status, 0, "save");
	ASSERT_EQ(sh("grep -q ' period=month:15 next-reset=[0-9]* ' %s", file), 0,
		  "the file has the period and its next reset");
	netlimit(&p, "detach", "ps", "-q", NULL);
	netlimit(&p, "restore", file, NULL);
	ASSERT_EQ(p.status, 0, "restore");
	netlimit(&p, "show", "ps", "--json", NULL);
	ASSERT_HAS(p.out, "\"period\":\"month:15\"", "the period back");
	netlimit(&p, "detach", "ps", "-q", NULL);

	/* Saved before a reset that has passed since: the counts are the old period's. */
	f = fopen(file, "w");
	fprintf(f, "# netlimit save 1\n"
		   "host 192.0.2.10 name=old in=5000 period=day next-reset=1000 in-bytes=400 "
		   "out-bytes=0 in-packets=4 out-packets=0\n"
		   "host 192.0.2.11 name=cur in=5000 period=day next-reset=%lld in-bytes=400 "
		   "out-bytes=0 in-packets=4 out-packets=0\n# end 2\n",
		(long long)time(NULL) + 86400);
	fclose(f);
	netlimit(&p, "restore", file, NULL);
	ASSERT_EQ(p.status, 0, "restore");
	ASSERT_HAS(p.err, "its period ended while it was not there", "says so");
	netlimit(&p, "show", "old", "--json", NULL);
	ASSERT_EQ(J(p.out, "in_bytes"), 0, "a past period's counts dropped");
	ASSERT_HAS(p.out, "\"period\":\"day\"", "its period kept");
	netlimit(&p, "show", "cur", "--json", NULL);
	ASSERT_EQ(J(p.out, "in_bytes"), 400, "a running period's counts kept");
	f = fopen(file, "w");
	fprintf(f, "# netlimit save 1\nhost 192.0.2.12 in=5000 period=fortnight\n# end 1\n");
	fclose(f);
	netlimit(&p, "restore", file, NULL);
	ASSERT_EQ(p.status, 64, "a bad period in a file");
	ASSERT_HAS(p.err, ":2: the line has a period that is not", "line 2");
out:
	netlimit(&p, "detach", "old", "-q", NULL);
	netlimit(&p, "detach", "cur", "-q", NULL);
	netlimit(&p, "detach", "ps", "-q", NULL);
	unlink(file);
}
