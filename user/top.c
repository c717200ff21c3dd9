// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `netlimit top`: what uses the network, live. Full screen with ncurses on
 * a terminal (views, sorting, a filter, pause, help); one table per round
 * otherwise or with --once; one JSON object per round with --json. The
 * figures come from user/usage.c.
 */
#include <curses.h>
#include <errno.h>
#include <malloc.h>
#include <getopt.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "dataplane_user.h"
#include "exitcode.h"
#include "json.h"
#include "log.h"
#include "meter.h"
#include "opts.h"
#include "rate.h"
#include "report.h"
#include "size.h"
#include "state.h"
#include "text.h"
#include "top.h"
#include "usage.h"

static const char top_usage[] =
	"Usage: netlimit top [--view=VIEW] [--sort=KEY] [--filter=TEXT] [-n] [--once] [--json]\n"
	"                    [--interval=DURATION] [--iterations=N] [--timeout=DURATION]\n"
	"\n"
	"What uses the network, live, from the kernel's own counts: processes,\n"
	"cgroups (services, containers, runs), remote hosts, interfaces and limits,\n"
	"with rates in and out and totals. It turns the meter on while it runs if\n"
	"it was off. Full screen on a terminal; one table per round otherwise or\n"
	"with --once; one JSON object per round, one line each, with --json.\n"
	"\n"
	"  --view=VIEW            processes (default), cgroups, hosts, interfaces, limits\n"
	"  --sort=KEY             rate (default: in + out), in-rate, out-rate, total, in, out\n"
	"  --filter=TEXT          only rows whose name, key or owner contains TEXT\n"
	"  -n, --numeric          do not resolve host names\n"
	"  --once                 one round, as a table (or JSON), then exit\n"
	"  --json                 one JSON object per round: every view\n"
	"  -i, --interval=DUR     time between rounds (default 1s, at most 24h)\n"
	"  --iterations=N         stop after N rounds\n"
	"  --timeout=DURATION     stop after that long\n"
	"  -q, -v                 fewer or more messages\n"
	"\n"
	"Keys: 1-5 or Tab switch views; r/i/o sort by rate, in rate, out rate;\n"
	"t/I/O by total, total in, total out; / filter (Enter keeps, Esc clears);\n"
	"n names on/off; p pause; h help; q quit. Processes that ended in the\n"
	"last 5 seconds stay listed, marked 'ended'.\n"
	"\n"
	"Examples:\n"
	"  sudo netlimit top\n"
	"  sudo netlimit top --view=hosts -n\n"
	"  sudo netlimit top --json --interval=5s --timeout=1m > usage.jsonl\n"
	"\n"
	"Exit status: 0 ok; 64 usage error; 69 kernel lacks what netlimit needs;\n"
	"77 not root; 125 netlimit failed.\n";

enum sort_key { S_RATE, S_RATE_IN, S_RATE_OUT, S_TOTAL, S_IN, S_OUT, S_COUNT };
static const char *const sort_names[S_COUNT] = { "rate", "in-rate", "out-rate",
						 "total", "in",	     "out" };

struct top_opts {
	int view;
	enum sort_key sort;
	char filter[128];
	bool numeric, once, json;
	__u64 interval_ns, timeout_ns;
	long iterations;
};

static volatile sig_atomic_t top_stop;

static void on_signal(int sig)
{
	top_stop = 1;
}

static enum sort_key sort_by;

static double sort_value(const struct nl_use_row *r)
{
	switch (sort_by) {
	case S_RATE_IN:
		return r->rate_in;
	case S_RATE_OUT:
		return r->rate_out;
	case S_TOTAL:
		return (double)(r->m.in_bytes + r->m.out_bytes);
	case S_IN:
		return (double)r->m.in_bytes;
	case S_OUT:
		return (double)r->m.out_bytes;
	default:
		return r->rate_in + r->rate_out;
	}
}

static int cmp_rows(const void *a, const void *b)
{
	const struct nl_use_row *x = *(const struct nl_use_row *const *)a;
	const struct nl_use_row *y = *(const struct nl_use_row *const *)b;
	double vx = sort_value(x), vy = sort_value(y);

	if (vx != vy)
		return vx > vy ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* Rows of view v to show now: filtered, ended processes kept a while, sorted. */
static size_t visible(const struct nl_use *u, int v, const char *filter,
		      const struct nl_use_row ***out)
{
	const struct nl_use_row **p = calloc(u->n[v] ? u->n[v] : 1, sizeof(*p));
	size_t n = 0;

	*out = p;
	if (!p)
		return 0;
	for (size_t i = 0; i < u->n[v]; i++) {
		const struct nl_use_row *r = &u->rows[v][i];

		if (v == NL_USE_PROCS && r->ended > 0 && u->t - r->ended > NL_USE_ENDED_KEEP)
			continue;
		if (filter[0] && !strstr(r->name, filter) && !strstr(r->key, filter) &&
		    !strstr(r->who, filter))
			continue;
		p[n++] = r;
	}
	qsort(p, n, sizeof(*p), cmp_rows);
	return n;
}

static char *rate_text(const struct nl_use_row *r, bool in, char *buf, size_t len)
{
	if (!r->has_rate) {
		snprintf(buf, len, "-");
		return buf;
	}
	return nl_format_rate(in ? r->rate_in : r->rate_out, buf, len);
}

static const char *const heads[NL_USE_VIEWS] = {
	"PID      USER       COMMAND",
	"CGROUP",
	"HOST",
	"INTERFACE",
	"ID   NAME             STATE        TARGET",
};

/* A limit's rates and what they held back: "out 10 Mbit/s; held 1.2 MiB". */
static void limit_rates_text(const struct nl_use_row *r, char *tmp, size_t tlen, char *buf,
			     size_t len)
{
	buf[0] = '\0';
	if (!(r->set_rate[0] | r->set_rate[1] | r->set_rate[2] | r->set_rate[3]))
		return;
	nl_rates_cell(r->set_rate, buf, len);
	snprintf(buf + strlen(buf), len - strlen(buf), "; held %s",
		 nl_format_size(r->held_in + r->held_out, tmp, tlen));
}

/* One row as text, width w, the same in the table and on the screen. */
static void row_text(const struct nl_use_row *r, int v, char *buf, size_t len)
{
	char ri[32], ro[32], ti[32], to[32], user[32], first[96], last[128];

	rate_text(r, true, ri, sizeof(ri));
	rate_text(r, false, ro, sizeof(ro));
	nl_format_size(r->m.in_bytes, ti, sizeof(ti));
	nl_format_size(r->m.out_bytes, to, sizeof(to));
	switch (v) {
	case NL_USE_PROCS:
		snprintf(first, sizeof(first), "%-8llu %-10.10s %-16.16s",
			 (unsigned long long)r->id, nl_user_name(r->uid, user, sizeof(user)), r->name);
		break;
	case NL_USE_LIMITS:
		snprintf(first, sizeof(first), "%-4llu %-16.16s %-12.12s %-.40s",
			 (unsigned long long)r->id, r->name, r->state, r->who);
		break;
	default:
		snprintf(first, sizeof(first), "%-.60s", r->name);
	}
	if (v == NL_USE_LIMITS)
		limit_rates_text(r, user, sizeof(user), last, sizeof(last));
	snprintf(buf, len, "%-44s %12s %12s %12s %12s  %s%s", first, ri, ro, ti, to,
		 v == NL_USE_PROCS && r->ended > 0 ? "ended " : "",
		 v == NL_USE_LIMITS ? last : r->who);
}

static void head_text(int v, char *buf, size_t len)
{
	static const char *const last[NL_USE_VIEWS] = { "LIMITS", "", "PROCESSES", "LIMITS",
							 "RATES" };

	snprintf(buf, len, "%-44s %12s %12s %12s %12s  %s", heads[v], "IN RATE", "OUT RATE",
		 "IN", "OUT", last[v]);
}

static void total_text(const struct nl_use *u, char *buf, size_t len)
{
	char a[40], b[40], c[32], d[32];

	nl_format_rate(u->rate_in, a, sizeof(a));
	nl_format_rate(u->rate_out, b, sizeof(b));
	nl_format_size(u->total.in_bytes, c, sizeof(c));
	nl_format_size(u->total.out_bytes, d, sizeof(d));
	snprintf(buf, len, "in %.30s (%.24s in all)   out %.30s (%.24s in all)", a, c, b, d);
}

static void print_table(const struct nl_use *u, const struct top_opts *o)
{
	const struct nl_use_row **rows;
	size_t n = visible(u, o->view, o->filter, &rows);
	char line[512];

	total_text(u, line, sizeof(line));
	printf("netlimit top: %s; %s\n", nl_use_view_name(o->view), line);
	head_text(o->view, line, sizeof(line));
	printf("%s\n", line);
	for (size_t i = 0; i < n; i++) {
		row_text(rows[i], o->view, line, sizeof(line));
		printf("%s\n", line);
	}
	if (!n)
		printf("(none)\n");
	putchar('\n');
	free(rows);
}

static void print_json(const struct nl_use *u, const struct top_opts *o)
{
	struct nl_json j;

	nl_json_init(&j, stdout);
	nl_json_open(&j, NULL, '{');
	nl_json_u64(&j, "time", (unsigned long long)time(NULL));
	nl_json_open(&j, "total", '{');
	nl_json_u64(&j, "in_bytes", u->total.in_bytes);
	nl_json_u64(&j, "in_packets", u->total.in_packets);
	nl_json_u64(&j, "out_bytes", u->total.out_bytes);
	nl_json_u64(&j, "out_packets", u->total.out_packets);
	nl_json_double(&j, "in_rate", u->rate_in);
	nl_json_double(&j, "out_rate", u->rate_out);
	nl_json_close(&j, '}');
	for (int v = 0; v < NL_USE_VIEWS; v++) {
		const struct nl_use_row **rows;
		size_t n = visible(u, v, o->filter, &rows);

		nl_json_open(&j, nl_use_view_name(v), '[');
		for (size_t i = 0; i < n; i++)
			nl_use_row_json(&j, rows[i], v);
		nl_json_close(&j, ']');
		free(rows);
	}
	nl_json_close(&j, '}');
}

/* The full-screen view. */
struct screen {
	bool paused, help, editing;
	char edit[128];
	size_t edit_len;
};

static void draw(const struct nl_use *u, const struct top_opts *o, const struct screen *sc)
{
	const struct nl_use_row **rows;
	size_t n = visible(u, o->view, o->filter, &rows);
	char line[512], clock[32];
	time_t now = time(NULL);
	int y, x;

	erase();
	strftime(clock, sizeof(clock), "%H:%M:%S", localtime(&now));
	total_text(u, line, sizeof(line));
	attron(A_BOLD);
	mvprintw(0, 0, "netlimit top  %s  %s%s", clock, line, sc->paused ? "  [paused]" : "");
	attroff(A_BOLD);
	move(1, 0);
	for (int v = 0; v < NL_USE_VIEWS; v++) {
		if (v == o->view)
			attron(A_REVERSE);
		printw(" %d %s ", v + 1, nl_use_view_name(v));
		if (v == o->view)
			attroff(A_REVERSE);
		printw(" ");
	}
	printw("  sort: %s%s%s  (h: help)", sort_names[o->sort], o->filter[0] ? "  filter: " : "",
	       o->filter);
	head_text(o->view, line, sizeof(line));
	attron(A_UNDERLINE);
	mvprintw(2, 0, "%-*.*s", COLS, COLS, line);
	attroff(A_UNDERLINE);
	for (y = 3; y < LINES - 1 && (size_t)(y - 3) < n; y++) {
		const struct nl_use_row *r = rows[y - 3];

		row_text(r, o->view, line, sizeof(line));
		if (o->view == NL_USE_PROCS && r->ended > 0)
			attron(A_DIM);
		mvprintw(y, 0, "%-.*s", COLS, line);
		if (o->view == NL_USE_PROCS && r->ended > 0)
			attroff(A_DIM);
	}
	if (!n)
		mvprintw(3, 0, "(none)");
	if (sc->editing)
		mvprintw(LINES - 1, 0, "filter: %s", sc->edit);
	else
		mvprintw(LINES - 1, 0, "%zu %s", n, nl_use_view_name(o->view));
	if (sc->help) {
		static const char *const help[] = {
			"1-5, Tab  views: processes cgroups hosts interfaces limits",
			"r i o     sort by rate (in + out), in rate, out rate",
			"t I O     sort by total, total in, total out",
			"/         filter (Enter keeps it, Esc clears it)",
			"n         host names on/off",
			"p         pause",
			"h         this help (any key closes it)",
			"q         quit",
		};
		int h = (int)(sizeof(help) / sizeof(help[0])) + 2, w = 64;

		y = (LINES - h) / 2;
		x = (COLS - w) / 2;
		for (int k = 0; k < h; k++)
			mvprintw(y + k, x > 0 ? x : 0, "%-*s", w,
				 k == 0 || k == h - 1 ? "" : help[k - 1]);
	}
	refresh();
	free(rows);
}

/* A key on the full screen; false to quit. */
static bool on_key(int ch, struct top_opts *o, struct screen *sc)
{
	if (sc->editing) {
		if (ch == '\n' || ch == KEY_ENTER) {
			snprintf(o->filter, sizeof(o->filter), "%s", sc->edit);
			sc->editing = false;
		} else if (ch == 27) {
			o->filter[0] = '\0';
			sc->editing = false;
		} else if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && sc->edit_len) {
			sc->edit[--sc->edit_len] = '\0';
		} else if (ch >= 32 && ch < 127 && sc->edit_len + 1 < sizeof(sc->edit)) {
			sc->edit[sc->edit_len++] = (char)ch;
			sc->edit[sc->edit_len] = '\0';
		}
		return true;
	}
	if (sc->help) {
		sc->help = false;
		return ch != 'q';
	}
	switch (ch) {
	case 'q':
	case 'Q':
		return false;
	case '1' ... '5':
		o->view = ch - '1';
		break;
	case '\t':
		o->view = (o->view + 1) % NL_USE_VIEWS;
		break;
	case KEY_BTAB:
		o->view = (o->view + NL_USE_VIEWS - 1) % NL_USE_VIEWS;
		break;
	case 'r':
		o->sort = S_RATE;
		break;
	case 'i':
		o->sort = S_RATE_IN;
		break;
	case 'o':
		o->sort = S_RATE_OUT;
		break;
	case 't':
		o->sort = S_TOTAL;
		break;
	case 'I':
		o->sort = S_IN;
		break;
	case 'O':
		o->sort = S_OUT;
		break;
	case 'n':
		o->numeric = !o->numeric;
		break;
	case 'p':
		sc->paused = !sc->paused;
		break;
	case 'h':
	case '?':
		sc->help = true;
		break;
	case '/':
		sc->editing = true;
		snprintf(sc->edit, sizeof(sc->edit), "%s", o->filter);
		sc->edit_len = strlen(sc->edit);
		break;
	default:
		break;
	}
	return true;
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_opts(int argc, char **argv, struct top_opts *o)
{
	static const struct option longopts[] = {
		{ "view", required_argument, NULL, 'V' },
		{ "sort", required_argument, NULL, 'S' },
		{ "filter", required_argument, NULL, 'F' },
		{ "numeric", no_argument, NULL, 'n' },
		{ "once", no_argument, NULL, '1' },
		{ "json", no_argument, NULL, 'j' },
		{ "interval", required_argument, NULL, 'i' },
		{ "iterations", required_argument, NULL, 'N' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char *end;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:nhqv", longopts, NULL)) != -1) {
		switch (c) {
		case 'V':
			o->view = nl_use_view_parse(optarg);
			if (o->view < 0) {
				nl_err("--view: '%s' is not processes, cgroups, hosts, interfaces or "
				       "limits",
				       optarg);
				return NL_EXIT_USAGE;
			}
			break;
		case 'S':
			for (o->sort = 0; o->sort < S_COUNT && strcmp(optarg, sort_names[o->sort]);
			     o->sort++)
				;
			if (o->sort == S_COUNT) {
				nl_err("--sort: '%s' is not rate, in-rate, out-rate, total, in or out",
				       optarg);
				return NL_EXIT_USAGE;
			}
			break;
		case 'F':
			snprintf(o->filter, sizeof(o->filter), "%s", optarg);
			break;
		case 'n':
			o->numeric = true;
			break;
		case '1':
			o->once = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'i':
		case 'T':
			if (nl_opt_duration(c == 'i' ? "interval" : "timeout", optarg,
					    c == 'i' ? &o->interval_ns : &o->timeout_ns,
					    c == 'i' ? 86400ULL * 1000000000ULL : 0, false))
				return NL_EXIT_USAGE;
			break;
		case 'N':
			errno = 0;
			o->iterations = strtol(optarg, &end, 10);
			if (errno || *end || o->iterations <= 0 || optarg[0] == ' ') {
				nl_err("--iterations: '%s' is not a positive number", optarg);
				return NL_EXIT_USAGE;
			}
			break;
		case 'q':
		case 'v':
			nl_verbosity = c == 'q' ? NL_QUIET : NL_VERBOSE;
			break;
		case 'h':
			fputs(top_usage, stdout);
			return -1;
		default:
			nl_opt_unknown("top", c, argv);
			return NL_EXIT_USAGE;
		}
	}
	if (nl_opt_no_args("top", argc, argv))
		return NL_EXIT_USAGE;
	if (o->once)
		o->iterations = 1;
	return 0;
}

int nl_cmd_top(int argc, char **argv)
{
	struct top_opts o = { .view = NL_USE_PROCS, .interval_ns = 1000000000ULL, .iterations = -1 };
	struct nl_use prev = { 0 }, now = { 0 };
	struct nl_state *st = NULL;
	struct nl_dp *dp = NULL;
	struct screen sc = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	bool full;
	int hold = -1;
	double start, deadline = 0;
	long round = 0;
	int status;

	status = parse_opts(argc, argv, &o);
	if (status)
		return status < 0 ? NL_EXIT_OK : status;
	if (geteuid() != 0) {
		nl_err("top needs root: it reads the dataplane's root-only pins; run it with sudo");
		return NL_EXIT_NOPERM;
	}
	/*
	 * Each round builds arrays of every socket's and process's counts and
	 * frees them: keep that memory on the heap for the next round instead of
	 * giving it back and faulting it in again (a quarter of top's time).
	 */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 128 << 20);
	status = nl_meter_hold("netlimit top", &st, &dp, &hold);
	if (status)
		return status;
	full = !o.once && !o.json && isatty(STDOUT_FILENO) && isatty(STDIN_FILENO);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	start = mono();
	if (o.timeout_ns)
		deadline = start + (double)o.timeout_ns / 1e9;
	if (full) {
		initscr();
		cbreak();
		noecho();
		keypad(stdscr, TRUE);
		curs_set(0);
		set_escdelay(25);
		nodelay(stdscr, TRUE);
	}
	/* The first round is a baseline: rates need two. */
	while (!top_stop) {
		struct nl_use_opts uo = { .resolve = !o.numeric };
		double wait_until;
		int err;

		sort_by = o.sort;
		if (!sc.paused) {
			err = nl_use__collect(dp, st, prev.t > 0 ? &prev : NULL, &now, &uo);
			if (err) {
				status = NL_EXIT_FAIL;
				if (full)
					endwin();
				full = false;
				nl_err("top: cannot read the meter: %s", strerror(-err));
				break;
			}
			nl_use__free(&prev);
			prev = now;
			memset(&now, 0, sizeof(now));
			round++;
		}
		if (full)
			draw(&prev, &o, &sc);
		else if (o.json)
			print_json(&prev, &o);
		else
			print_table(&prev, &o);
		fflush(stdout);
		if (o.iterations > 0 && round >= o.iterations)
			break;
		wait_until = mono() + (double)o.interval_ns / 1e9;
		if (deadline > 0 && wait_until > deadline)
			wait_until = deadline;
		for (;;) {
			double left = wait_until - mono();
			struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };

			if (top_stop || left <= 0)
				break;
			if (!full) {
				poll(NULL, 0, (int)(left * 1000) + 1);
				continue;
			}
			if (poll(&pfd, 1, (int)(left * 1000) + 1) > 0) {
				int ch = getch();

				if (ch == ERR)
					continue;
				if (!on_key(ch, &o, &sc)) {
					top_stop = 1;
					break;
				}
				sort_by = o.sort;
				draw(&prev, &o, &sc);
			}
		}
		if (deadline > 0 && mono() >= deadline)
			break;
	}
	if (full)
		endwin();
	nl_use__free(&prev);
	nl_use__free(&now);
	nl_meter_unhold(st, dp, hold);
	return status;
}
