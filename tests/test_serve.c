// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `netlimit serve` with the real things: Debian's Prometheus scrapes it and
 * its query API must give back a limit's bytes exactly; promtool checks the
 * format; headless Chromium loads the page and the test reads its DOM (and
 * keeps a screenshot in build/test-artifacts); hostile clients must not
 * stall a scrape; bad input gets one line and its status.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "harness.h"
#include "helpers.h"

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &len);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static char *listen_arg(int port)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "--listen=127.0.0.1:%d", port);
	return buf;
}

/* GET a path with curl into p->out; its HTTP status (0: no answer). */
static int get(struct proc *p, int port, const char *path)
{
	char url[256];
	char *argv[] = { "/usr/bin/curl", "-s", "-m", "5", "-o", "/dev/stdout", "-w", "\n%{http_code}", url,
			 NULL };
	char *nl;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	proc_run(p, argv, 10);
	nl = strrchr(p->out, '\n');
	if (!nl)
		return 0;
	*nl = '\0';
	return atoi(nl + 1);
}

/* Wait until serve answers /metrics (its first round done). */
static bool serve_ready(int port)
{
	struct proc p;

	for (int i = 0; i < 100; i++) {
		if (get(&p, port, "/metrics") == 200)
			return true;
		msleep(100);
	}
	return false;
}

static bool start_serve(struct proc *s, int port, const char *extra)
{
	char *argv[] = { (char *)bin("netlimit"), "serve", listen_arg(port), "--interval=200ms",
			 (char *)extra, NULL };

	proc_start(s, argv);
	return serve_ready(port);
}

/* A cgroup limit the test drives (send_traffic: UDP datagrams from inside it). */
static bool make_limit(const char *name, char *cg, size_t len)
{
	char rel[64], lim[64];
	struct proc p;

	snprintf(rel, sizeof(rel), "sv-%s-%d", name, (int)getpid());
	if (!test_make_cgroup(rel, cg, len))
		return false;
	snprintf(lim, sizeof(lim), "--name=%s", name);
	netlimit(&p, "attach", "--cgroup", cg, "--limit=1G", lim, NULL);
	return p.status == 0;
}

static void send_traffic(const char *cg, int count)
{
	struct server *sink;
	struct proc t;
	int port;

	sink = udp_sink(AF_INET, &port);
	{
		char *argv[] = { traffic(), "udp", "127.0.0.1", num(port), num(count), "1000", NULL };

		start_in_cgroup(&t, cg, argv);
		proc_finish(&t, 20);
	}
	server_stop(sink);
}

static void drop_limit(const char *name, const char *cg)
{
	struct proc p;

	netlimit(&p, "detach", name, NULL);
	rmdir(cg);
}

/* Prometheus scrapes serve; its query API gives the limit's bytes back, to the byte. */
void test_serve_prometheus(void)
{
	char cg[512], dir[] = "/tmp/nl-prom-XXXXXX", conf[600], url[700];
	int port = free_port(), pport;
	struct proc s, prom, p;
	unsigned long long v = 0;
	FILE *f;
	int i;

	if (!require_root())
		return;
	if (!ASSERT_TRUE(make_limit("prom", cg, sizeof(cg)), "a limit"))
		return;
	if (!ASSERT_TRUE(start_serve(&s, port, "-q"), "serve answers"))
		goto out;
	/* promtool: the exposition format is right. */
	ASSERT_EQ(sh("curl -s http://127.0.0.1:%d/metrics | promtool check metrics", port), 0,
		  "promtool check metrics");
	if (!ASSERT_TRUE(mkdtemp(dir), "prometheus dir"))
		goto out;
	snprintf(conf, sizeof(conf), "%s/prometheus.yml", dir);
	f = fopen(conf, "w");
	fprintf(f, "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: netlimit\n"
		   "    static_configs:\n      - targets: ['127.0.0.1:%d']\n",
		port);
	fclose(f);
	pport = free_port();
	{
		char a1[700], a2[700], a3[80];
		char *argv[] = { "/usr/bin/prometheus", a1, a2, a3, "--log.level=warn", NULL };

		snprintf(a1, sizeof(a1), "--config.file=%s", conf);
		snprintf(a2, sizeof(a2), "--storage.tsdb.path=%s/data", dir);
		snprintf(a3, sizeof(a3), "--web.listen-address=127.0.0.1:%d", pport);
		proc_start(&prom, argv);
	}
	send_traffic(cg, 1000);
	/*
	 * 1,028 IP bytes a datagram: the limit counted them; Prometheus must say
	 * the same, the limit found by name through its info series.
	 */
	for (i = 0; i < 150; i++) {
		char api[128], *val;
		char *argv[] = { "/usr/bin/curl", "-s", "-m", "5", "-G", "--data-urlencode",
				 "query=netlimit_limit_bytes_total{direction=\"out\"} * on(id) "
				 "group_left(name) netlimit_limit_info{name=\"prom\"}",
				 api, NULL };

		snprintf(api, sizeof(api), "http://127.0.0.1:%d/api/v1/query", pport);
		proc_run(&p, argv, 10);
		if ((val = strstr(p.out, "\"value\":[")) && (val = strchr(val, ',')) &&
		    val[1] == '"') {
			v = strtoull(val + 2, NULL, 10);
			if (v == 1028000)
				break;
		}
		msleep(200);
	}
	ASSERT_EQ(v, 1028000, "netlimit_limit_bytes_total through Prometheus' query API");
	snprintf(url, sizeof(url), "/api/v1/query?query=netlimit_build_info");
	get(&p, pport, url);
	ASSERT_HAS(p.out, "\"version\"", "build info scraped");
	proc_kill(&prom, SIGTERM);
	sh("rm -rf %s", dir);
out:
	proc_kill(&s, SIGTERM);
	drop_limit("prom", cg);
}

/* Headless Chromium loads the page; the limit and the traffic show in its DOM, and update. */
void test_serve_page_chromium(void)
{
	char cg[512], url[128], shot[600];
	int port = free_port();
	struct proc s, c;

	if (!require_root())
		return;
	if (!ASSERT_TRUE(make_limit("pagelim", cg, sizeof(cg)), "a limit"))
		return;
	if (!ASSERT_TRUE(start_serve(&s, port, "-q"), "serve answers"))
		goto out;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	{
		char *argv[] = { "/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
				 "--virtual-time-budget=3000", "--dump-dom", url, NULL };

		proc_run(&c, argv, 60);
	}
	ASSERT_HAS(c.out, "data-name=\"pagelim\"", "the limit is on the page");
	{
		const char *u = strstr(c.out, "data-updates=\"");

		/* The budget (3 s) covers two polls: the page updates by itself. */
		ASSERT_TRUE(u && atoi(u + 14) >= 2, "the page polled /api/usage again");
	}
	ASSERT_HAS(c.out, "total <span class=\"bar\">", "the share of its cap");
	ASSERT_HAS(c.out, "<td class=\"n out-bytes\">0 B</td>", "no traffic yet");
	send_traffic(cg, 1000);
	msleep(600);
	{
		char *argv[] = { "/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
				 "--virtual-time-budget=3000", "--dump-dom", url, NULL };

		proc_run(&c, argv, 60);
	}
	/* 1,028,000 bytes: 1003.9 KiB, as the page prints sizes. */
	ASSERT_HAS(c.out, "<td class=\"n out-bytes\">1003.9 KiB</td>", "the traffic shows");
	ASSERT_HAS(c.out, "MiB in all", "the totals");
	mkdir("build", 0755);
	mkdir("build/test-artifacts", 0755);
	snprintf(shot, sizeof(shot), "--screenshot=%s/build/test-artifacts/serve-page.png",
		 getenv("PWD") ? getenv("PWD") : ".");
	{
		char *argv[] = { "/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
				 "--virtual-time-budget=3000", "--window-size=1200,1000", shot, url,
				 NULL };

		proc_run(&c, argv, 60);
		ASSERT_EQ(c.status, 0, "screenshot");
	}
out:
	proc_kill(&s, SIGTERM);
	drop_limit("pagelim", cg);
}

static int connect_port(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

static unsigned long rss_kib(pid_t pid)
{
	char path[64], line[256];
	unsigned long kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %lu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static double mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Slowloris, a huge request line, 1,000 idle connections: scrapes go on, memory stays small. */
void test_serve_hostile_clients(void)
{
	static int fds[1200];
	static char huge[100000];
	int port = free_port(), n = 0, i, fd;
	unsigned long rss0;
	struct proc s, p;
	double t0;

	if (!require_root())
		return;
	/*
	 * Under ASan, freed memory waits in its quarantine (256 MiB by default)
	 * and counts as serve's: keep that small, so what is measured is serve's.
	 */
	if (getenv("ASAN_OPTIONS")) {
		char opts[512];

		snprintf(opts, sizeof(opts), "%s:quarantine_size_mb=4", getenv("ASAN_OPTIONS"));
		setenv("ASAN_OPTIONS", opts, 1);
	}
	if (!ASSERT_TRUE(start_serve(&s, port, "-q"), "serve answers"))
		return;
	rss0 = rss_kib(s.pid);
	/* 1,000 connections that never finish a request (slowloris sends a header a while). */
	for (i = 0; i < 1000; i++) {
		fd = connect_port(port);
		if (fd < 0)
			break;
		if (i % 2 && write(fd, "GET /metrics HTTP/1.1\r\nX-a: ", 28) != 28)
			break;
		fds[n++] = fd;
	}
	ASSERT_EQ(n, 1000, "1,000 connections open");
	/* A request line of 100,000 bytes: refused, not buffered. */
	memset(huge, 'a', sizeof(huge));
	memcpy(huge, "GET /", 5);
	fd = connect_port(port);
	if (ASSERT_GE(fd, 0, "connect")) {
		char reply[256] = { 0 };

		(void)!write(fd, huge, sizeof(huge));
		(void)!read(fd, reply, sizeof(reply) - 1);
		ASSERT_TRUE(strstr(reply, " 414 ") || strstr(reply, " 431 ") || strstr(reply, " 400 ") ||
				    !reply[0],
			    "a huge request line is refused");
		close(fd);
	}
	t0 = mono();
	ASSERT_EQ(get(&p, port, "/metrics"), 200, "a scrape meanwhile");
	ASSERT_LT((unsigned long long)((mono() - t0) * 1000), 1000, "within a second (ms)");
	ASSERT_HAS(p.out, "netlimit_build_info", "the whole of it");
	for (i = 0; i < n; i += 2)
		(void)!write(fds[i], "G", 1);
	/*
	 * At most 4 KiB of request buffer a connection: 1,000 of them grow serve
	 * by a few MiB, not by what they send (an absolute figure is the
	 * benchmark's: sanitizers' shadow memory inflates it here).
	 */
	ASSERT_LT(rss_kib(s.pid) - rss0, 8 * 1024, "serve grew by less than 8 MiB (KiB)");
	for (i = 0; i < n; i++)
		close(fds[i]);
	ASSERT_EQ(get(&p, port, "/metrics"), 200, "still serving");
	proc_kill(&s, SIGTERM);
}

/* Read only: other methods are refused; unknown paths are 404. */
void test_serve_read_only(void)
{
	int port = free_port();
	struct proc s, p;
	char cg[512];

	if (!require_root())
		return;
	if (!ASSERT_TRUE(make_limit("ro", cg, sizeof(cg)), "a limit, for /api/limits to carry"))
		return;
	if (!ASSERT_TRUE(start_serve(&s, port, "-q"), "serve answers")) {
		drop_limit("ro", cg);
		return;
	}
	{
		char url[128];
		char *argv[] = { "/usr/bin/curl", "-s", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}",
				 "-X", "POST", "-d", "x=1", url, NULL };

		snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/limits", port);
		proc_run(&p, argv, 10);
		ASSERT_STREQ(p.out, "405", "POST is refused");
		argv[9] = "DELETE";
		proc_run(&p, argv, 10);
		ASSERT_STREQ(p.out, "405", "DELETE is refused");
	}
	ASSERT_EQ(get(&p, port, "/nothing"), 404, "unknown path");
	ASSERT_EQ(get(&p, port, "/api/limits"), 200, "/api/limits");
	ASSERT_EQ(p.out[0], '[', "a JSON array");
	ASSERT_HAS(p.out, "\"name\":\"ro\"", "with the limit");
	ASSERT_EQ(get(&p, port, "/api/usage"), 200, "/api/usage");
	ASSERT_HAS(p.out, "\"interfaces\":[", "the views");
	ASSERT_EQ(get(&p, port, "/api/history"), 200, "/api/history");
	ASSERT_HAS(p.out, "[{\"time\":", "rounds kept");
	/* Renderings are kept gzip'ed: sent as they are to who takes gzip, inflated to others. */
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd),
			 "u=http://127.0.0.1:%d/api/limits; "
			 "curl -s -D - -o /dev/null -H 'Accept-Encoding: gzip' $u | "
			 "grep -qi '^content-encoding: gzip' && "
			 "curl -s -H 'Accept-Encoding: gzip' $u | gzip -dc > /tmp/nl-gz-%d.a && "
			 "curl -s $u > /tmp/nl-gz-%d.b && grep -q '\"name\":\"ro\"' /tmp/nl-gz-%d.b && "
			 "cmp -s /tmp/nl-gz-%d.a /tmp/nl-gz-%d.b",
			 port, port, port, port, port, port);
		ASSERT_EQ(sh("%s", cmd), 0, "gzip for who asks, the same text inflated for who not");
		sh("rm -f /tmp/nl-gz-%d.a /tmp/nl-gz-%d.b", port, port);
	}
	ASSERT_EQ(get(&p, port, "/"), 200, "the page");
	ASSERT_HAS(p.out, "<canvas", "a graph");
	ASSERT_FALSE(strstr(p.out, "http://") || strstr(p.out, "https://"),
		     "nothing loaded from the network");
	proc_kill(&s, SIGTERM);
	drop_limit("ro", cg);
}

/* node_exporter's textfile: whole, checked by promtool, nothing else left in the directory. */
void test_serve_textfile(void)
{
	char dir[] = "/tmp/nl-text-XXXXXX", arg[64];
	struct proc p;

	if (!require_root())
		return;
	if (!ASSERT_TRUE(mkdtemp(dir), "dir"))
		return;
	snprintf(arg, sizeof(arg), "--textfile=%s", dir);
	netlimit(&p, "serve", "--listen=none", arg, "--once", "-q", NULL);
	ASSERT_EQ(p.status, 0, "serve --once");
	ASSERT_EQ(sh("promtool check metrics < %s/netlimit.prom", dir), 0, "promtool");
	ASSERT_EQ(sh("test $(ls -A %s | wc -l) = 1", dir), 0, "only netlimit.prom");
	sh("rm -rf %s", dir);
}

/* Bad input: one line, a documented status, nothing left running. */
void test_serve_refusals(void)
{
	int port = free_port(), fd;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct proc p;

	if (!require_root())
		return;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	listen(fd, 1);
	netlimit(&p, "serve", listen_arg(port), NULL);
	ASSERT_EQ(p.status, 75, "port in use");
	ASSERT_HAS(p.err, "in use", "says so");
	ASSERT_EQ(strchr(p.err, '\n') - p.err + 1, (long)p.err_len, "one line");
	close(fd);
	netlimit(&p, "serve", "--listen=127.0.0.1", NULL);
	ASSERT_EQ(p.status, 64, "no port");
	netlimit(&p, "serve", "--listen=300.1.2.3:80", NULL);
	ASSERT_EQ(p.status, 64, "not an address");
	ASSERT_HAS(p.err, "is not ADDR:PORT", "says so");
	netlimit(&p, "serve", "--listen=127.0.0.1:99999", NULL);
	ASSERT_EQ(p.status, 64, "port out of range");
	netlimit(&p, "serve", "--textfile=/nonexistent/dir", "--listen=none", NULL);
	ASSERT_EQ(p.status, 66, "no such directory");
	ASSERT_HAS(p.err, "is not a directory", "says so");
	netlimit(&p, "serve", "--listen=none", NULL);
	ASSERT_EQ(p.status, 64, "nothing to serve");
	netlimit(&p, "serve", "--interval=1ms", NULL);
	ASSERT_EQ(p.status, 64, "interval too short");
}

/*
 * The unit `make install` puts in place, run as systemd would run it (no
 * systemd here): its ExecStart, under its capability bounding set, with no
 * new privileges and a read-only root (ProtectSystem=strict; bpffs stays
 * writable, as ReadWritePaths says).
 */
void test_serve_unit(void)
{
	char tmp[] = "/tmp/nl-unit-XXXXXX", unit[600], line[512], exec[600] = "", caps[400] = "-all";
	char build[512], cmd[2400];
	bool nnp = false, strict = false;
	struct proc s, p;
	FILE *f;

	if (!require_root())
		return;
	if (!ASSERT_TRUE(mkdtemp(tmp), "dir"))
		return;
	snprintf(build, sizeof(build), "%s", bin("netlimit"));
	*strrchr(build, '/') = '\0';
	if (!ASSERT_EQ(sh("make -s BUILD=%s install DESTDIR=%s PREFIX=/usr/local >/dev/null", build,
			  tmp),
		       0, "make install"))
		goto out;
	snprintf(unit, sizeof(unit), "%s/lib/systemd/system/netlimit-serve.service", tmp);
	f = fopen(unit, "r");
	if (!ASSERT_TRUE(f, "the unit is installed"))
		goto out;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "ExecStart=", 10))
			snprintf(exec, sizeof(exec), "%s%s", tmp, line + 10);
		if (!strcmp(line, "NoNewPrivileges=yes"))
			nnp = true;
		if (!strcmp(line, "ProtectSystem=strict"))
			strict = true;
		if (!strncmp(line, "CapabilityBoundingSet=", 22)) {
			for (char *c = strtok(line + 22, " "); c; c = strtok(NULL, " ")) {
				size_t o = strlen(caps);

				snprintf(caps + o, sizeof(caps) - o, ",+%s", c + 4);
				for (char *q = caps + o + 2; *q; q++)
					*q = (char)(*q >= 'A' && *q <= 'Z' ? *q - 'A' + 'a' : *q);
			}
		}
	}
	fclose(f);
	ASSERT_TRUE(nnp, "NoNewPrivileges=yes");
	ASSERT_TRUE(strict, "ProtectSystem=strict");
	ASSERT_HAS(exec, "/usr/local/sbin/netlimit serve --listen=127.0.0.1:10067", "ExecStart");
	snprintf(cmd, sizeof(cmd),
		 "mount -o remount,bind,ro / && exec setpriv --no-new-privs --bounding-set=%s "
		 "--inh-caps=-all -- %s",
		 caps, exec);
	{
		char *argv[] = { "/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c",
				 cmd, NULL };

		proc_start(&s, argv);
	}
	ASSERT_TRUE(serve_ready(10067), "the unit's command serves");
	ASSERT_EQ(get(&p, 10067, "/metrics"), 200, "metrics");
	ASSERT_HAS(p.out, "netlimit_build_info", "its metrics");
	proc_kill(&s, SIGTERM);
	ASSERT_EQ(s.status, 0, "stops cleanly at SIGTERM");
out:
	sh("rm -rf %s", tmp);
}
