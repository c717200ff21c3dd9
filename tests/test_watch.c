// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `netlimit watch` (user/watch.c): an alert while real traffic stays above
 * the threshold, a recovery once it stopped, the --exec command with the
 * event in its environment; the same for a host and a limit; refusals.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "harness.h"
#include "helpers.h"

static int count(const char *text, const char *what)
{
	int n = 0;

	for (const char *c = text; (c = strstr(c, what)); c++)
		n++;
	return n;
}

static void read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, len - 1, f) : 0;

	buf[n] = '\0';
	if (f)
		fclose(f);
}

void test_watch_alert_recovery(void)
{
	char cg[512], rel[64], file[64], exec[160], got[4096] = "", anchor[96], sel[48], selq[48];
	struct proc w, wq, wh, wl, a, p, quiet;
	struct server *s;
	int port;

	if (!require_root())
		return;
	snprintf(rel, sizeof(rel), "wa-%d", (int)getpid());
	snprintf(file, sizeof(file), "/tmp/nlwatch-%d", (int)getpid());
	if (!ASSERT_TRUE(test_make_cgroup(rel, cg, sizeof(cg)), "cgroup"))
		return;
	netlimit(&p, "attach", "--cgroup", cg, "--out=1G", "--name=wl", NULL);
	s = udp_sink(AF_INET, &port);
	/* About 1,000 datagrams of 128 L3 bytes a second for 2.5 s: ~125 KB/s out. */
	start_in_cgroup(&a, cg,
			(char *[]){ traffic(), "udp", "127.0.0.1", num(port), "2500", "100", "1000",
				    NULL });
	start_in_cgroup(&quiet, cg, (char *[]){ traffic(), "sleep", "6000", NULL });
	snprintf(exec, sizeof(exec), "echo \"$NETLIMIT_EVENT $NETLIMIT_KIND $NETLIMIT_ID %s\" >> %s",
		 "$NETLIMIT_THRESHOLD", file);
	unlink(file);
	snprintf(sel, sizeof(sel), "--process=%d", (int)a.pid);
	snprintf(selq, sizeof(selq), "--process=%d", (int)quiet.pid);
	netlimit_bg(&w, "watch", sel, "--direction=out",
		    "--above=20KB/s", "--for=500ms", "--interval=200ms", "--timeout=6s", "--json",
		    "--exec", exec, NULL);
	netlimit_bg(&wq, "watch", selq, "--above=1KB/s",
		    "--interval=200ms", "--timeout=6s", NULL);
	netlimit_bg(&wh, "watch", "--host=127.0.0.1", "--above=160kbit", "--interval=200ms",
		    "--timeout=6s", NULL);
	netlimit_bg(&wl, "watch", "--limit=wl", "--above=20000", "--interval=200ms",
		    "--timeout=6s", "--json", NULL);
	proc_finish(&a, 10);
	proc_finish(&w, 15);
	proc_finish(&wq, 15);
	proc_finish(&wh, 15);
	proc_finish(&wl, 15);
	ASSERT_EQ(w.status, 0, "watch ended by --timeout");
	ASSERT_EQ(count(w.out, "\"event\":\"alert\""), 1, "one alert");
	ASSERT_EQ(count(w.out, "\"event\":\"recovered\""), 1, "one recovery");
	ASSERT_TRUE(strstr(w.out, "\"event\":\"alert\"") < strstr(w.out, "\"event\":\"recovered\""),
		    "the alert first");
	snprintf(anchor, sizeof(anchor), "\"kind\":\"process\",\"id\":\"%d\",\"name\":\"nltraffic\"",
		 (int)a.pid);
	ASSERT_HAS(w.out, anchor, "who");
	ASSERT_HAS(w.out, "\"direction\":\"out\"", "which way");
	ASSERT_HAS(w.out, "\"threshold\":20000.", "the threshold in bytes a second");
	{
		unsigned long long rate = 0;

		ASSERT_TRUE(json_u64_after(w.out, "\"event\":\"alert\"", "rate", &rate), "a rate");
		ASSERT_GT(rate, 20000, "the alert's rate is above the threshold");
		ASSERT_LT(rate, 1000000, "and near what was sent");
	}
	ASSERT_HAS(w.out, "\"since\":\"20", "since when");
	for (int i = 0; i < 50 && count(got, "\n") < 2; i++) {
		read_file(file, got, sizeof(got));
		msleep(50);
	}
	snprintf(anchor, sizeof(anchor), "alert process %d 20000\n", (int)a.pid);
	ASSERT_HAS(got, anchor, "--exec ran with the alert in its environment");
	snprintf(anchor, sizeof(anchor), "recovered process %d 20000\n", (int)a.pid);
	ASSERT_HAS(got, anchor, "and with the recovery");
	ASSERT_EQ(wq.out[0], '\0', "a quiet process: no event");
	ASSERT_EQ(wq.status, 0, "its watch ended by --timeout");
	ASSERT_EQ(count(wh.out, " alert "), 1, "the host's alert");
	ASSERT_HAS(wh.out, "host 127.0.0.1", "names the host");
	ASSERT_EQ(count(wh.out, " recovered "), 1, "and its recovery");
	ASSERT_EQ(count(wl.out, "\"event\":\"alert\""), 1, "the limit's alert");
	ASSERT_HAS(wl.out, "\"kind\":\"limit\"", "of kind limit");
	ASSERT_HAS(wl.out, "\"name\":\"wl\"", "named");
	proc_kill(&quiet, SIGKILL);
	server_stop(s);
	unlink(file);
	netlimit(&p, "detach", "wl", NULL);
	rmdir(cg);
}

void test_watch_refusals(void)
{
	struct proc p, *q;
	char *nl;

	if (!require_root())
		return;
	netlimit(&p, "watch", NULL);
	ASSERT_EQ(p.status, 64, "no threshold");
	ASSERT_HAS(p.err, "--above", "says which option");
	netlimit(&p, "watch", "--above=0", NULL);
	ASSERT_EQ(p.status, 64, "a zero rate");
	netlimit(&p, "watch", "--above=fast", NULL);
	ASSERT_EQ(p.status, 64, "a rate that is no rate");
	ASSERT_HAS(p.err, "'fast' is not a number", "says why");
	netlimit(&p, "watch", "--above=5furlongs", NULL);
	ASSERT_HAS(p.err, "unknown unit", "names the units");
	netlimit(&p, "watch", "--above=1M", "--process=99999999", NULL);
	ASSERT_EQ(p.status, 66, "no such process");
	ASSERT_HAS(p.err, "no process", "says so");
	netlimit(&p, "watch", "--above=1M", "--iface=nosuch0", NULL);
	ASSERT_EQ(p.status, 66, "no such interface");
	netlimit(&p, "watch", "--above=1M", "--limit=nosuch", NULL);
	ASSERT_EQ(p.status, 66, "no such limit");
	netlimit(&p, "watch", "--above=1M", "--cgroup=/no/such/cgroup", NULL);
	ASSERT_EQ(p.status, 66, "no such cgroup");
	netlimit(&p, "watch", "--above=1M", "--host=example", NULL);
	ASSERT_EQ(p.status, 64, "a host that is no address");
	netlimit(&p, "watch", "--above=1M", "--process", "--host", NULL);
	ASSERT_EQ(p.status, 64, "two selectors");
	netlimit(&p, "watch", "--above=1M", "--direction=up", NULL);
	ASSERT_EQ(p.status, 64, "a bad direction");
	netlimit(&p, "watch", "--above=1M", "--for=ever", NULL);
	ASSERT_EQ(p.status, 64, "a bad duration");
	q = mmap_shared_proc();
	nl = strdup(bin("netlimit"));
	if (ASSERT_TRUE(q && nl, "memory")) {
		run_as_nobody(q, (char *[]){ nl, "watch", "--above=1M", NULL });
		ASSERT_EQ(q->status, 77, "not root");
	}
	free(nl);
	/* Nothing left: the meter off again, no dataplane. */
	netlimit(&p, "meter", "status", "--json", NULL);
	ASSERT_HAS(p.out, "\"dataplane\":false", "nothing loaded");
}
