// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `netlimit serve`: Prometheus metrics, a live page and the JSON it reads,
 * over HTTP (libmicrohttpd), and the same metrics as a node_exporter
 * textfile. It changes nothing: GET and HEAD only; no endpoint makes,
 * changes or removes a limit.
 *
 * A collector thread reads the kernel's counts once an interval (the meter
 * of bpf/dataplane.bpf.c through user/usage.c, the limits table) and renders
 * /metrics and /api/usage into buffers; a request copies the latest one. So
 * a scrape costs the same whatever the number of limits, and a slow client
 * holds its connection and nothing else.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <getopt.h>
#include <dlfcn.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include "dataplane_user.h"
#include "exitcode.h"
#include "json.h"
#include "limit.h"
#include "log.h"
#include "meter.h"
#include "opts.h"
#include "report.h"
#include "serve.h"
#include "state.h"
#include "text.h"
#include "usage.h"

/* Registered with none: the Prometheus wiki's 9100-9999 are all taken. README says so. */

/*
 * libmicrohttpd is opened when serve starts, not linked: it brings GnuTLS,
 * whose start-up (p11-kit, nettle, gmp) would otherwise run in every
 * netlimit command, the ones that make limits included (a third of their
 * time). Debian's libmicrohttpd12 provides it (README: set-up).
 */
#define MHD_SONAME "libmicrohttpd.so.12"

static struct {
	struct MHD_Daemon *(*start_daemon)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
					   MHD_AccessHandlerCallback, void *, ...);
	void (*stop_daemon)(struct MHD_Daemon *);
	struct MHD_Response *(*from_buffer)(size_t, void *, enum MHD_ResponseMemoryMode);
	struct MHD_Response *(*from_buffer_free_cls)(size_t, void *, MHD_ContentReaderFreeCallback,
						     void *);
	struct MHD_Response *(*from_callback)(uint64_t, size_t, MHD_ContentReaderCallback, void *,
					      MHD_ContentReaderFreeCallback);
	const char *(*lookup)(struct MHD_Connection *, enum MHD_ValueKind, const char *);
	enum MHD_Result (*add_header)(struct MHD_Response *, const char *, const char *);
	enum MHD_Result (*queue)(struct MHD_Connection *, unsigned int, struct MHD_Response *);
	void (*destroy)(struct MHD_Response *);
} mhd;

static int mhd_open(void)
{
	void *h = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		nl_err("serve: cannot load %s (%s): install Debian's libmicrohttpd12", MHD_SONAME,
		       dlerror());
		return NL_EXIT_UNSUPPORTED;
	}
	*(void **)&mhd.start_daemon = dlsym(h, "MHD_start_daemon");
	*(void **)&mhd.stop_daemon = dlsym(h, "MHD_stop_daemon");
	*(void **)&mhd.from_buffer = dlsym(h, "MHD_create_response_from_buffer");
	*(void **)&mhd.from_buffer_free_cls =
		dlsym(h, "MHD_create_response_from_buffer_with_free_callback_cls");
	*(void **)&mhd.from_callback = dlsym(h, "MHD_create_response_from_callback");
	*(void **)&mhd.lookup = dlsym(h, "MHD_lookup_connection_value");
	*(void **)&mhd.add_header = dlsym(h, "MHD_add_response_header");
	*(void **)&mhd.queue = dlsym(h, "MHD_queue_response");
	*(void **)&mhd.destroy = dlsym(h, "MHD_destroy_response");
	if (!mhd.start_daemon || !mhd.stop_daemon || !mhd.from_buffer || !mhd.from_buffer_free_cls ||
	    !mhd.from_callback || !mhd.lookup || !mhd.add_header || !mhd.queue || !mhd.destroy) {
		nl_err("serve: %s lacks a function serve needs (0.9.72 or later is)", MHD_SONAME);
		return NL_EXIT_UNSUPPORTED;
	}
	return 0;
}

#define NL_SERVE_PORT 10067
/* Connections at once; each costs at most NL_SERVE_CONN_MEM bytes of request buffer. */
#define NL_SERVE_CONNS 2048
#define NL_SERVE_CONN_MEM 4096
/* Seconds a connection may stay idle (a slowloris client is dropped then). */
#define NL_SERVE_IDLE_S 10
/* Rows of each view /api/usage carries, the busiest first. */
#define NL_SERVE_ROWS 50
/* /api/history: the rounds kept, and the busiest rows of each view in a round. */
#define NL_HIST_ROUNDS 300
#define NL_HIST_ROWS 8

static const char serve_usage[] =
	"Usage: netlimit serve [--listen=ADDR:PORT|none] [--textfile=DIR] [--interval=DURATION]\n"
	"                      [--per-process] [--once] [-q] [-v]\n"
	"\n"
	"Serve what netlimit counts over HTTP, read only:\n"
	"  /metrics        Prometheus text format: every limit, cgroup and interface\n"
	"  /               a live page: totals, rates, graphs, every limit\n"
	"  /api/usage      the JSON the page reads (top's JSON rounds), /api/limits\n"
	"                  (every limit, as list's JSON names its fields), /api/history\n"
	"                  (the busiest rows of the last 300 rounds)\n"
	"\n"
	"Options:\n"
	"      --listen=ADDR:PORT  where to listen (default 127.0.0.1:10067; [::1]:PORT for\n"
	"                          IPv6; 'none': no HTTP, --textfile only)\n"
	"      --textfile=DIR      also write DIR/netlimit.prom each interval, atomically,\n"
	"                          for node_exporter's textfile collector\n"
	"      --interval=DURATION how often the counts are read (default 1s)\n"
	"      --per-process       per-process series in /metrics (one per PID: unbounded)\n"
	"      --once              read once, write the textfile, and exit\n"
	"  -q, -v, -h              quiet, verbose, help\n"
	"\n"
	"The meter is on while serve runs. Put it behind a reverse proxy with\n"
	"authentication to reach it from elsewhere (README).\n"
	"\n"
	"Examples:\n"
	"  sudo netlimit serve\n"
	"  sudo netlimit serve --listen=none --textfile=/var/lib/node_exporter/textfile\n"
	"\n"
	"Exit status: 0 ok (stopped by a signal); 64 usage error; 66 no such textfile\n"
	"directory; 69 kernel lacks what netlimit needs; 75 the address is in use;\n"
	"77 not root; 125 netlimit failed.\n";

struct serve_opts {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	bool listen;
	const char *textfile;
	__u64 interval_ns;
	bool per_process, once;
};

/*
 * A rendering, shared by the slot that publishes it and every response
 * still sending it: no response copies it, the last one frees it.
 */
/*
 * A rendering, kept gzip-compressed (the metrics of 10,000 limits are 8 MB
 * of text, a tenth of that compressed): sent as it is to clients that take
 * gzip (Prometheus, browsers), inflated on the way to the others.
 */
struct pub {
	int refs; /* under served.lock */
	size_t len;  /* compressed */
	size_t text; /* inflated */
	char *buf;
};

/* The latest renderings, shared with the HTTP threads. */
struct served {
	pthread_mutex_t lock;
	struct pub *metrics, *usage, *limits, *history;
};

static struct served served = { .lock = PTHREAD_MUTEX_INITIALIZER };
/* Seconds the last round took to read the counts and render them. */
static double round_s;

/* The last rounds' busiest rows, for a page opened now: its graph starts full. */
struct hist_round {
	__u64 time;
	struct {
		char name[64];
		double rate;
	} row[4][NL_HIST_ROWS];
	int n[4];
};

static struct hist_round history[NL_HIST_ROUNDS];
static size_t hist_next, hist_count;
static volatile sig_atomic_t serve_stop;

static void on_signal(int sig)
{
	(void)sig;
	serve_stop = 1;
}

static const char page[] =
#include "page.inc"
	;

/* A label value as the exposition format wants it: \, " and newline escaped. */
static void label(FILE *f, const char *v)
{
	char clean[NL_TARGET_LEN + 64];

	nl_printable(v, clean, sizeof(clean));
	for (const char *p = clean; *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', f);
		if (*p == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*p, f);
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * A limit as a round renders it: what /metrics, /api/limits and /api/usage
 * show of it, a third of its struct nl_limit (10,000 limits: 3 MB, not 8).
 */
struct lim_rec {
	struct nl_usage in, out;
	__u64 cap_in, cap_out, cap_total;
	__u64 rate[NL_BUCKETS], burst[NL_BUCKETS];
	__u64 cgroup_id;
	__u32 id, kind, action, hit, events_lost;
	const char *state; /* nl_state_name() */
	char name[NL_NAME_LEN];
	char *target;
	double rate_in, rate_out; /* bytes a second since the round before */
	bool has_rate;
};

/* What the next round takes its limits' rates against: 24 bytes a limit. */
struct lim_prev {
	__u32 id;
	__u64 in, out;
};

/* The limits of a round, in id order (nl_lim__each's). */
struct lim_list {
	struct lim_rec *v;
	size_t n, cap;
	double t;		     /* CLOCK_MONOTONIC seconds of the round */
	const struct lim_prev *prev; /* the round before's, by id */
	size_t nprev;
	double prev_t;
	__u32 chunk;		     /* of the table, the walk's (the ones behind it let go) */
};

static int cmp_prev(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = ((const struct lim_prev *)b)->id;

	return x < y ? -1 : x > y;
}

static int collect_limit(struct nl_lim *q, void *ctx)
{
	struct lim_list *ll = ctx;
	const struct lim_prev *p;
	struct lim_rec *r;
	struct nl_limit l;

	nl_limit_snapshot(nl_lim__limit(q), &l);
	/*
	 * The walk reads the table through mappings a chunk at a time: give
	 * back the chunks behind it, so the round holds one chunk's pages.
	 */
	if (l.id / NL_LIMIT_CHUNK != ll->chunk) {
		nl_dp__drop_pages(nl_lim__dp(q));
		ll->chunk = l.id / NL_LIMIT_CHUNK;
	}
	if (ll->n == ll->cap) {
		size_t cap = ll->cap ? 2 * ll->cap : 64;
		struct lim_rec *v = realloc(ll->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		ll->v = v;
		ll->cap = cap;
	}
	r = &ll->v[ll->n];
	*r = (struct lim_rec){
		.in = l.in, .out = l.out,
		.cap_in = l.cap_in, .cap_out = l.cap_out, .cap_total = l.cap_total,
		.cgroup_id = l.cgroup_id,
		.id = l.id, .kind = l.kind, .action = l.action, .hit = l.hit,
		.events_lost = l.events_lost,
		.state = nl_state_name(&l),
		.target = strdup(l.target),
	};
	if (!r->target)
		return -ENOMEM;
	memcpy(r->rate, l.rate, sizeof(r->rate));
	memcpy(r->burst, l.burst, sizeof(r->burst));
	memcpy(r->name, l.name, sizeof(r->name));
	r->name[sizeof(r->name) - 1] = '\0';
	/* The first round has none before it (bsearch may not take a NULL array). */
	p = ll->nprev ? bsearch(&l.id, ll->prev, ll->nprev, sizeof(*p), cmp_prev) : NULL;
	if (p && ll->t > ll->prev_t && r->in.bytes >= p->in && r->out.bytes >= p->out) {
		r->has_rate = true;
		r->rate_in = (double)(r->in.bytes - p->in) / (ll->t - ll->prev_t);
		r->rate_out = (double)(r->out.bytes - p->out) / (ll->t - ll->prev_t);
	}
	ll->n++;
	return 0;
}

static void lim_list_free(struct lim_list *ll)
{
	for (size_t i = 0; i < ll->n; i++)
		free(ll->v[i].target);
	free(ll->v);
	ll->v = NULL;
	ll->n = ll->cap = 0;
}

/* The record as a struct nl_limit, for the helpers shared with `list --json`. */
static void rec_limit(const struct lim_rec *r, struct nl_limit *l)
{
	memset(l, 0, sizeof(*l));
	l->in = r->in;
	l->out = r->out;
	l->cap_in = r->cap_in;
	l->cap_out = r->cap_out;
	l->cap_total = r->cap_total;
	memcpy(l->rate, r->rate, sizeof(l->rate));
	memcpy(l->burst, r->burst, sizeof(l->burst));
	l->cgroup_id = r->cgroup_id;
	l->id = r->id;
	l->kind = r->kind;
	l->action = r->action;
	l->hit = r->hit;
	l->events_lost = r->events_lost;
	memcpy(l->name, r->name, sizeof(l->name));
	snprintf(l->target, sizeof(l->target), "%s", r->target);
}

/*
 * A limit's series carry its id alone; netlimit_limit_info carries the id
 * with the name, kind and target (join with `* on(id) group_left(name)
 * netlimit_limit_info`): the long labels once per limit, not once a series.
 */
static void limit_labels(FILE *f, const struct lim_rec *l)
{
	fprintf(f, "{id=\"%u\"", l->id);
}

static void limit_info(FILE *f, const struct lim_list *ll)
{
	family(f, "netlimit_limit_info", "gauge",
	       "A limit's name, kind, target and state, as labels (value 1).");
	for (size_t i = 0; i < ll->n; i++) {
		const struct lim_rec *l = &ll->v[i];

		fprintf(f, "netlimit_limit_info{id=\"%u\",name=\"", l->id);
		label(f, l->name);
		fprintf(f, "\",kind=\"%s\",target=\"", nl_kind_name(l->kind));
		label(f, l->target);
		fprintf(f, "\",action=\"%s\",state=\"%s\"} 1\n", nl_action_name(l->action),
			l->state);
	}
}

/* One series per limit and direction: what(l, dir) gives the value. */
static void limit_family(FILE *f, const struct lim_list *ll, const char *name, const char *type,
			 const char *help, int ndirs, __u64 (*what)(const struct lim_rec *, int),
			 bool (*has)(const struct lim_rec *, int))
{
	static const char *const dirs[] = { "in", "out", "total", "throttle" };

	family(f, name, type, help);
	for (size_t i = 0; i < ll->n; i++) {
		for (int d = 0; d < ndirs; d++) {
			if (has && !has(&ll->v[i], d))
				continue;
			fputs(name, f);
			limit_labels(f, &ll->v[i]);
			if (ndirs > 1)
				fprintf(f, ",direction=\"%s\"", dirs[d]);
			fprintf(f, "} %llu\n", (unsigned long long)what(&ll->v[i], d));
		}
	}
}

static __u64 l_bytes(const struct lim_rec *l, int d)
{
	return d ? l->out.bytes : l->in.bytes;
}

static __u64 l_packets(const struct lim_rec *l, int d)
{
	return d ? l->out.packets : l->in.packets;
}

static __u64 l_drop(const struct lim_rec *l, int d)
{
	return d ? l->out.drop_bytes : l->in.drop_bytes;
}

static __u64 l_held(const struct lim_rec *l, int d)
{
	return d ? l->out.held_bytes : l->in.held_bytes;
}

static __u64 l_cap(const struct lim_rec *l, int d)
{
	return d == 0 ? l->cap_in : d == 1 ? l->cap_out : l->cap_total;
}

static bool l_has_cap(const struct lim_rec *l, int d)
{
	return l_cap(l, d) != NL_UNLIMITED;
}

static __u64 l_rate(const struct lim_rec *l, int d)
{
	return l->rate[d];
}

static bool l_has_rate(const struct lim_rec *l, int d)
{
	return l->rate[d] != 0;
}

static __u64 l_reached(const struct lim_rec *l, int d)
{
	(void)d;
	return l->hit != 0;
}

static __u64 l_lost(const struct lim_rec *l, int d)
{
	(void)d;
	return l->events_lost;
}

/* Counters of meter rows (cgroups, interfaces, processes) by direction. */
static void row_family(FILE *f, const struct nl_use *u, int view, const char *name,
		       const char *help, bool packets)
{
	family(f, name, "counter", help);
	for (size_t i = 0; i < u->n[view]; i++) {
		const struct nl_use_row *r = &u->rows[view][i];

		for (int d = 0; d < 2; d++) {
			fputs(name, f);
			if (view == NL_USE_CGROUPS) {
				fputs("{cgroup=\"", f);
				label(f, r->name);
			} else if (view == NL_USE_IFACES) {
				fputs("{interface=\"", f);
				label(f, r->name);
			} else {
				char user[64];

				fprintf(f, "{pid=\"%llu\",comm=\"", (unsigned long long)r->id);
				label(f, r->name);
				fputs("\",user=\"", f);
				label(f, nl_user_name(r->uid, user, sizeof(user)));
			}
			fprintf(f, "\",direction=\"%s\"} %llu\n", d ? "out" : "in",
				(unsigned long long)(packets ? (d ? r->m.out_packets : r->m.in_packets)
							     : (d ? r->m.out_bytes : r->m.in_bytes)));
		}
	}
}

static void render_metrics(FILE *f, const struct nl_use *u, const struct lim_list *ll,
			   const struct nl_conf *c, bool per_process)
{
	family(f, "netlimit_build_info", "gauge", "netlimit's version, as a label.");
	fprintf(f, "netlimit_build_info{version=\"%s\"} 1\n", NETLIMIT_VERSION);
	family(f, "netlimit_limits", "gauge", "Limits in the dataplane.");
	fprintf(f, "netlimit_limits %zu\n", ll->n);
	limit_info(f, ll);
	limit_family(f, ll, "netlimit_limit_bytes_total", "counter",
		     "Bytes a limit let pass (IP bytes, or wire bytes with --count=wire).", 2,
		     l_bytes, NULL);
	limit_family(f, ll, "netlimit_limit_packets_total", "counter", "Packets a limit let pass.",
		     2, l_packets, NULL);
	limit_family(f, ll, "netlimit_limit_dropped_bytes_total", "counter",
		     "Bytes a limit dropped at a cap.", 2, l_drop, NULL);
	limit_family(f, ll, "netlimit_limit_held_bytes_total", "counter",
		     "Bytes a limit's rates held back (dropped, or for TCP sent again later).", 2,
		     l_held, NULL);
	limit_family(f, ll, "netlimit_limit_cap_bytes", "gauge",
		     "A limit's caps (direction total: in plus out).", 3, l_cap, l_has_cap);
	limit_family(f, ll, "netlimit_limit_rate_bits_per_second", "gauge",
		     "A limit's rates (total: in plus out; throttle: past a cap).", 4, l_rate,
		     l_has_rate);
	limit_family(f, ll, "netlimit_limit_reached", "gauge", "1 once a cap of the limit was reached.",
		     1, l_reached, NULL);
	limit_family(f, ll, "netlimit_limit_events_lost_total", "counter",
		     "Cap events its owner's ring had no room for.", 1, l_lost, NULL);
	family(f, "netlimit_meter_bytes_total", "counter", "Bytes the meter counted, all sockets.");
	fprintf(f, "netlimit_meter_bytes_total{direction=\"in\"} %llu\n",
		(unsigned long long)u->total.in_bytes);
	fprintf(f, "netlimit_meter_bytes_total{direction=\"out\"} %llu\n",
		(unsigned long long)u->total.out_bytes);
	row_family(f, u, NL_USE_CGROUPS, "netlimit_cgroup_bytes_total",
		   "Bytes of a cgroup's sockets, as the meter counts them.", false);
	row_family(f, u, NL_USE_IFACES, "netlimit_interface_bytes_total",
		   "Bytes an interface carried (its own counters).", false);
	if (per_process)
		row_family(f, u, NL_USE_PROCS, "netlimit_process_bytes_total",
			   "Bytes of a process's sockets (--per-process).", false);
	family(f, "netlimit_dataplane_overflow_packets_total", "counter",
	       "Packets dropped because more limits covered them than one packet may carry.");
	fprintf(f, "netlimit_dataplane_overflow_packets_total %llu\n",
		(unsigned long long)(c ? c->overflow : 0));
	family(f, "netlimit_dataplane_storage_failures_total", "counter",
	       "Packets of sockets whose storage could not be made.");
	fprintf(f, "netlimit_dataplane_storage_failures_total %llu\n",
		(unsigned long long)(c ? c->storage_fail : 0));
	family(f, "netlimit_audit_lost_total", "counter",
	       "Audit records the ring had no room for.");
	fprintf(f, "netlimit_audit_lost_total %llu\n", (unsigned long long)(c ? c->audit_lost : 0));
	family(f, "netlimit_serve_round_seconds", "gauge",
	       "How long serve took to read and render the round before this one.");
	fprintf(f, "netlimit_serve_round_seconds %.6f\n", round_s);
}

static int cmp_busy(const void *a, const void *b)
{
	const struct nl_use_row *x = *(const struct nl_use_row *const *)a;
	const struct nl_use_row *y = *(const struct nl_use_row *const *)b;
	double vx = x->rate_in + x->rate_out, vy = y->rate_in + y->rate_out;
	__u64 tx = x->m.in_bytes + x->m.out_bytes, ty = y->m.in_bytes + y->m.out_bytes;

	if (vx != vy)
		return vx > vy ? -1 : 1;
	return tx > ty ? -1 : tx < ty;
}

/* How the page names a row (user/page.html who()). */
static void row_name(const struct nl_use_row *r, int v, char *buf, size_t len)
{
	char user[64];

	if (v == NL_USE_PROCS)
		snprintf(buf, len, "%llu %.16s (%.24s)", (unsigned long long)r->id, r->name,
			 nl_user_name(r->uid, user, sizeof(user)));
	else
		snprintf(buf, len, "%.*s", (int)len - 1, r->name);
}

/* Sorted rows of view v (the busiest first); NULL when there are none. */
static const struct nl_use_row **busiest(const struct nl_use *u, int v, size_t *n)
{
	const struct nl_use_row **rows = calloc(u->n[v] + 1, sizeof(*rows));

	*n = 0;
	for (size_t i = 0; rows && i < u->n[v]; i++)
		rows[(*n)++] = &u->rows[v][i];
	if (*n)
		qsort(rows, *n, sizeof(*rows), cmp_busy);
	return rows;
}

/* Keep this round's busiest rows (the hosts' names as the page shows them). */
static void remember(const struct nl_use *u)
{
	struct hist_round *h = &history[hist_next];

	memset(h, 0, sizeof(*h));
	h->time = (__u64)time(NULL);
	for (int v = 0; v < 4; v++) {
		size_t n;
		const struct nl_use_row **rows = busiest(u, v, &n);

		for (size_t i = 0; rows && i < n && h->n[v] < NL_HIST_ROWS; i++) {
			if (!rows[i]->has_rate || rows[i]->rate_in + rows[i]->rate_out <= 0)
				continue;
			row_name(rows[i], v, h->row[v][h->n[v]].name, sizeof(h->row[v][0].name));
			h->row[v][h->n[v]++].rate = rows[i]->rate_in + rows[i]->rate_out;
		}
		free(rows);
	}
	hist_next = (hist_next + 1) % NL_HIST_ROUNDS;
	if (hist_count < NL_HIST_ROUNDS)
		hist_count++;
}

static void render_history(FILE *f, void *arg)
{
	struct nl_json j;

	(void)arg;
	nl_json_init(&j, f);
	nl_json_open(&j, NULL, '[');
	for (size_t k = 0; k < hist_count; k++) {
		const struct hist_round *h =
			&history[(hist_next + NL_HIST_ROUNDS - hist_count + k) % NL_HIST_ROUNDS];

		nl_json_open(&j, NULL, '{');
		nl_json_u64(&j, "time", h->time);
		for (int v = 0; v < 4; v++) {
			nl_json_open(&j, nl_use_view_name(v), '[');
			for (int i = 0; i < h->n[v]; i++) {
				nl_json_open(&j, NULL, '{');
				nl_json_str(&j, "name", h->row[v][i].name);
				nl_json_double(&j, "rate", h->row[v][i].rate);
				nl_json_close(&j, '}');
			}
			nl_json_close(&j, ']');
		}
		nl_json_close(&j, '}');
	}
	nl_json_close(&j, ']');
}

static void render_usage(FILE *f, const struct nl_use *u, const struct lim_list *ll)
{
	struct nl_json j;

	nl_json_init(&j, f);
	nl_json_open(&j, NULL, '{');
	nl_json_u64(&j, "time", (unsigned long long)time(NULL));
	nl_json_open(&j, "total", '{');
	nl_json_u64(&j, "in_bytes", u->total.in_bytes);
	nl_json_u64(&j, "out_bytes", u->total.out_bytes);
	nl_json_double(&j, "in_rate", u->rate_in);
	nl_json_double(&j, "out_rate", u->rate_out);
	nl_json_close(&j, '}');
	for (int v = 0; v < NL_USE_VIEWS; v++) {
		size_t n;
		/* The busiest of each view. */
		const struct nl_use_row **rows = busiest(u, v, &n);

		nl_json_open(&j, nl_use_view_name(v), '[');
		for (size_t i = 0; i < n && i < NL_SERVE_ROWS; i++)
			nl_use_row_json(&j, rows[i], v);
		/* Limits all, by id, from the round's own walk (nl_use has none). */
		for (size_t i = 0; v == NL_USE_LIMITS && i < ll->n; i++) {
			const struct lim_rec *r = &ll->v[i];
			struct nl_use_row row;
			struct nl_limit l;

			rec_limit(r, &l);
			nl_use_limit_row(&l, &row);
			snprintf(row.state, sizeof(row.state), "%s", r->state);
			row.has_rate = r->has_rate;
			row.rate_in = r->rate_in;
			row.rate_out = r->rate_out;
			nl_use_row_json(&j, &row, v);
		}
		nl_json_close(&j, ']');
		free(rows);
	}
	nl_json_close(&j, '}');
}

/* /api/limits: every limit with its caps and rates, as `list --json` names them. */
static void render_limits(FILE *f, const struct lim_list *ll)
{
	struct nl_json j;

	nl_json_init(&j, f);
	nl_json_open(&j, NULL, '[');
	for (size_t i = 0; i < ll->n; i++) {
		const struct lim_rec *r = &ll->v[i];
		struct nl_limit l;

		rec_limit(r, &l);
		nl_json_open(&j, NULL, '{');
		nl_json_u64(&j, "id", r->id);
		nl_json_str(&j, "name", r->name);
		nl_json_str(&j, "kind", nl_kind_name(r->kind));
		nl_json_str(&j, "target", r->target);
		nl_json_str(&j, "state", r->state);
		nl_json_str(&j, "action", nl_action_name(r->action));
		nl_json_counters(&j, &l);
		nl_json_close(&j, '}');
	}
	nl_json_close(&j, ']');
}

struct gz_out {
	z_stream z;
	char *buf;
	size_t cap, text;
	bool failed;
};

/* Deflate n bytes (none with flush Z_FINISH) into the growing buffer. */
static bool gz_put(struct gz_out *g, const char *data, size_t n, int flush)
{
	g->z.next_in = (Bytef *)data;
	g->z.avail_in = (uInt)n;
	do {
		if (g->z.total_out + 65536 > g->cap) {
			size_t cap = g->cap ? 2 * g->cap : 256 << 10;
			char *b = realloc(g->buf, cap);

			if (!b)
				return false;
			g->buf = b;
			g->cap = cap;
		}
		g->z.next_out = (Bytef *)g->buf + g->z.total_out;
		g->z.avail_out = (uInt)(g->cap - g->z.total_out);
		if (deflate(&g->z, flush) == Z_STREAM_ERROR)
			return false;
	} while (g->z.avail_in || (flush == Z_FINISH && g->z.avail_out == 0));
	return true;
}

static ssize_t gz_write(void *cookie, const char *data, size_t n)
{
	struct gz_out *g = cookie;

	if (g->failed || !gz_put(g, data, n, Z_NO_FLUSH)) {
		g->failed = true;
		return -1;
	}
	g->text += n;
	return (ssize_t)n;
}

/*
 * Render with fn straight into gzip, never holding the text; NULL if memory
 * ran out. *text: the length inflated.
 */
static char *render(void (*fn)(FILE *, void *), void *arg, size_t *len, size_t *text)
{
	struct gz_out g = { 0 };
	cookie_io_functions_t io = { .write = gz_write };
	FILE *f;

	/* Level 1: a round of 10,000 limits is compressed in tens of ms. */
	if (deflateInit2(&g.z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	f = fopencookie(&g, "w", io);
	if (!f) {
		deflateEnd(&g.z);
		return NULL;
	}
	setvbuf(f, NULL, _IOFBF, 64 << 10);
	fn(f, arg);
	if (fclose(f) || g.failed || !gz_put(&g, NULL, 0, Z_FINISH)) {
		deflateEnd(&g.z);
		free(g.buf);
		return NULL;
	}
	*len = g.z.total_out;
	*text = g.text;
	deflateEnd(&g.z);
	return g.buf;
}

struct round {
	const struct nl_use *u;
	const struct lim_list *ll;
	const struct nl_conf *c;
	bool per_process;
};

static void do_metrics(FILE *f, void *arg)
{
	struct round *r = arg;

	render_metrics(f, r->u, r->ll, r->c, r->per_process);
}

static void do_usage(FILE *f, void *arg)
{
	render_usage(f, ((struct round *)arg)->u, ((struct round *)arg)->ll);
}

static void do_limits(FILE *f, void *arg)
{
	render_limits(f, ((struct round *)arg)->ll);
}

/* DIR/netlimit.prom, whole or not at all: rendered beside it, then renamed. */
static int write_textfile(const char *dir, void (*fn)(FILE *, void *), void *arg)
{
	char tmp[4200], final[4200];
	FILE *f;
	int err = 0;

	snprintf(tmp, sizeof(tmp), "%s/.netlimit.prom.%d", dir, (int)getpid());
	snprintf(final, sizeof(final), "%s/netlimit.prom", dir);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fn(f, arg);
	if (ferror(f))
		err = -EIO;
	if (fflush(f) || fsync(fileno(f)))
		err = err ? err : -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, final))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static void pub_put(struct pub *p)
{
	bool last;

	if (!p)
		return;
	pthread_mutex_lock(&served.lock);
	last = --p->refs == 0;
	pthread_mutex_unlock(&served.lock);
	if (last) {
		free(p->buf);
		free(p);
	}
}

static void publish(struct pub **slot, char *buf, size_t len, size_t text)
{
	struct pub *p, *old;

	if (!buf)
		return;
	p = malloc(sizeof(*p));
	if (!p) {
		free(buf);
		return;
	}
	*p = (struct pub){ .refs = 1, .len = len, .text = text, .buf = buf };
	pthread_mutex_lock(&served.lock);
	old = *slot;
	*slot = p;
	pthread_mutex_unlock(&served.lock);
	pub_put(old);
}

/* The limits' byte counts of the round before, for their rates (collector thread only). */
static struct lim_prev *prev_counts;
static size_t lim_nprev;
static double lim_prev_t;

/* Keep this round's byte counts for the next one's rates. */
static void keep_prev(const struct lim_list *ll)
{
	struct lim_prev *p = malloc((ll->n + 1) * sizeof(*p));

	if (!p)
		return; /* the next round has no rates for limits */
	for (size_t i = 0; i < ll->n; i++)
		p[i] = (struct lim_prev){ ll->v[i].id, ll->v[i].in.bytes, ll->v[i].out.bytes };
	free(prev_counts);
	prev_counts = p;
	lim_nprev = ll->n;
	lim_prev_t = ll->t;
}

static double mono_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int one_round(struct nl_state *st, struct nl_dp *dp, const struct nl_use *prev,
		     struct nl_use *now, const struct serve_opts *o)
{
	struct nl_use_opts uo = { .resolve = false, .no_limit_rows = true };
	struct lim_list ll = { .prev = prev_counts, .nprev = lim_nprev, .prev_t = lim_prev_t };
	size_t ml = 0, ul = 0, ll_len = 0, hl = 0, mt = 0, ut = 0, lt = 0, ht = 0;
	double t0 = mono_s();
	char *m, *us, *lm, *hs;
	struct round r;
	int err;

	err = nl_use__collect(dp, st, prev, now, &uo);
	if (err)
		return err;
	/* The table's pages the meter's walk touched, given back before the next walk. */
	nl_dp__drop_pages(dp);
	ll.t = mono_s();
	err = nl_lim__each(st, collect_limit, &ll);
	if (err) {
		lim_list_free(&ll);
		return err;
	}
	nl_dp__drop_pages(dp);
	r = (struct round){ now, &ll, nl_dp__conf(dp), o->per_process };
	m = render(do_metrics, &r, &ml, &mt);
	us = render(do_usage, &r, &ul, &ut);
	lm = render(do_limits, &r, &ll_len, &lt);
	if (o->textfile) {
		err = write_textfile(o->textfile, do_metrics, &r);
		if (err)
			nl_err("serve: cannot write %s/netlimit.prom: %s", o->textfile, strerror(-err));
	}
	keep_prev(&ll);
	r.ll = NULL;
	lim_list_free(&ll);
	remember(now);
	hs = render(render_history, NULL, &hl, &ht);
	if (!m || !us || !lm || !hs) {
		free(m);
		free(us);
		free(lm);
		free(hs);
		return -ENOMEM;
	}
	publish(&served.metrics, m, ml, mt);
	publish(&served.usage, us, ul, ut);
	publish(&served.limits, lm, ll_len, lt);
	publish(&served.history, hs, hl, ht);
	/*
	 * The last round's renderings are gone: give their pages back now, not at
	 * exit; and the BPF maps' pages this round read (the kernel keeps them).
	 */
	malloc_trim(0);
	nl_dp__drop_pages(dp);
	round_s = mono_s() - t0;
	nl_verbose("serve: a round of %zu limits took %.1f ms", lim_nprev, round_s * 1e3);
	return 0;
}

/* What every response says besides its body. */
static void headers(struct MHD_Response *r, const char *type)
{
	mhd.add_header(r, "Content-Type", type);
	mhd.add_header(r, "Cache-Control", "no-store");
	mhd.add_header(r, "X-Content-Type-Options", "nosniff");
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code, const char *type,
			     const char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = mhd.from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	headers(r, type);
	ret = mhd.queue(c, code, r);
	mhd.destroy(r);
	return ret;
}

static void pub_done(void *cls)
{
	pub_put(cls);
}

/* A rendering on its way to a client that does not take gzip. */
struct inflating {
	struct pub *p;
	z_stream z;
	bool done;
};

static ssize_t inflate_some(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct inflating *in = cls;
	int r;

	(void)pos;
	if (in->done)
		return MHD_CONTENT_READER_END_OF_STREAM;
	in->z.next_out = (Bytef *)buf;
	in->z.avail_out = (uInt)max;
	r = inflate(&in->z, Z_NO_FLUSH);
	if (r == Z_STREAM_END)
		in->done = true;
	else if (r != Z_OK)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return (ssize_t)(max - in->z.avail_out);
}

static void inflate_done(void *cls)
{
	struct inflating *in = cls;

	inflateEnd(&in->z);
	pub_put(in->p);
	free(in);
}

/* Whether the client's Accept-Encoding takes gzip (and does not refuse it with q=0). */
static bool takes_gzip(struct MHD_Connection *c)
{
	const char *ae = mhd.lookup(c, MHD_HEADER_KIND, "Accept-Encoding");
	const char *g = ae ? strstr(ae, "gzip") : NULL;

	return g && strncmp(g + 4, ";q=0", 4) && strncmp(g + 4, "; q=0", 5);
}

static enum MHD_Result reply_slot(struct MHD_Connection *c, struct pub *const *slot,
				  const char *type)
{
	struct MHD_Response *r = NULL;
	enum MHD_Result ret;
	struct inflating *in;
	struct pub *p;
	bool gz = takes_gzip(c);

	pthread_mutex_lock(&served.lock);
	p = *slot;
	if (p)
		p->refs++;
	pthread_mutex_unlock(&served.lock);
	if (!p)
		return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8",
			     "not ready\n", 10);
	if (gz) {
		/* The response sends the shared rendering and lets go of it when done. */
		r = mhd.from_buffer_free_cls(p->len, p->buf, pub_done, p);
	} else if ((in = calloc(1, sizeof(*in)))) {
		in->p = p;
		in->z.next_in = (Bytef *)p->buf;
		in->z.avail_in = (uInt)p->len;
		if (inflateInit2(&in->z, 15 + 16) == Z_OK) {
			r = mhd.from_callback(p->text, 32 << 10, inflate_some, in, inflate_done);
			if (!r)
				inflateEnd(&in->z);
		}
		if (!r)
			free(in);
	}
	if (!r) {
		pub_put(p);
		return MHD_NO;
	}
	headers(r, type);
	mhd.add_header(r, "Vary", "Accept-Encoding");
	if (gz)
		mhd.add_header(r, "Content-Encoding", "gzip");
	ret = mhd.queue(c, MHD_HTTP_OK, r);
	mhd.destroy(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_len, void **con_cls)
{
	static const char not_found[] =
		"not found: try /, /metrics, /api/usage, /api/limits or /api/history\n";
	static const char read_only[] = "netlimit serve is read only: GET and HEAD\n";

	(void)cls;
	(void)version;
	(void)upload;
	(void)con_cls;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		/* A body is not read: nothing here takes one. */
		*upload_len = 0;
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
			     read_only, sizeof(read_only) - 1);
	}
	if (!strcmp(url, "/metrics"))
		return reply_slot(c, &served.metrics, "text/plain; version=0.0.4; charset=utf-8");
	if (!strcmp(url, "/api/usage"))
		return reply_slot(c, &served.usage, "application/json");
	if (!strcmp(url, "/api/limits"))
		return reply_slot(c, &served.limits, "application/json");
	if (!strcmp(url, "/api/history"))
		return reply_slot(c, &served.history, "application/json");
	if (!strcmp(url, "/") || !strcmp(url, "/index.html"))
		return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", page, sizeof(page) - 1);
	return reply(c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", not_found,
		     sizeof(not_found) - 1);
}

/* ADDR:PORT, [V6]:PORT, or 'none'. */
static int parse_listen(const char *arg, struct serve_opts *o)
{
	char host[128];
	const char *colon, *h = arg;
	size_t hl;
	char *end;
	long port;

	if (!strcmp(arg, "none")) {
		o->listen = false;
		return 0;
	}
	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');

		if (!close || close[1] != ':')
			goto bad;
		h = arg + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(arg, ':');
		if (!colon)
			goto bad;
		hl = (size_t)(colon - arg);
	}
	if (hl == 0 || hl >= sizeof(host))
		goto bad;
	memcpy(host, h, hl);
	host[hl] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || *end || colon[1] == '\0' || port < 1 || port > 65535)
		goto bad;
	memset(&o->addr, 0, sizeof(o->addr));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&o->addr)->sin_addr) == 1) {
		struct sockaddr_in *a = (struct sockaddr_in *)&o->addr;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		o->addr_len = sizeof(*a);
	} else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&o->addr)->sin6_addr) == 1) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&o->addr;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		o->addr_len = sizeof(*a);
	} else {
		goto bad;
	}
	o->listen = true;
	return 0;
bad:
	nl_err("--listen: '%s' is not ADDR:PORT (examples: 127.0.0.1:10067, [::1]:10067, "
	       "0.0.0.0:10067, none)",
	       arg);
	return NL_EXIT_USAGE;
}

static int parse_opts(int argc, char **argv, struct serve_opts *o)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "textfile", required_argument, NULL, 't' },
		{ "interval", required_argument, NULL, 'i' },
		{ "per-process", no_argument, NULL, 'P' },
		{ "once", no_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct stat sb;
	int c, status;

	parse_listen("127.0.0.1:10067", o);
	o->interval_ns = 1000000000ULL;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			status = parse_listen(optarg, o);
			if (status)
				return status;
			break;
		case 't':
			o->textfile = optarg;
			break;
		case 'i':
			status = nl_opt_duration("interval", optarg, &o->interval_ns,
						 3600ULL * 1000000000ULL, false);
			if (status)
				return status;
			if (o->interval_ns < 100000000ULL) {
				nl_err("--interval: '%s' is shorter than 100ms", optarg);
				return NL_EXIT_USAGE;
			}
			break;
		case 'P':
			o->per_process = true;
			break;
		case 'o':
			o->once = true;
			break;
		case 'q':
		case 'v':
			nl_verbosity = c == 'q' ? NL_QUIET : NL_VERBOSE;
			break;
		case 'h':
			fputs(serve_usage, stdout);
			return -1;
		default:
			nl_opt_unknown("serve", c, argv);
			return NL_EXIT_USAGE;
		}
	}
	if (nl_opt_no_args("serve", argc, argv))
		return NL_EXIT_USAGE;
	if (!o->listen && !o->textfile) {
		nl_err("--listen=none needs --textfile=DIR: there would be nothing to serve");
		return NL_EXIT_USAGE;
	}
	if (o->once && !o->textfile) {
		nl_err("--once writes the textfile: add --textfile=DIR");
		return NL_EXIT_USAGE;
	}
	if (o->textfile && (stat(o->textfile, &sb) || !S_ISDIR(sb.st_mode))) {
		nl_err("--textfile: '%s' is not a directory; create it first (node_exporter reads "
		       "*.prom files there)",
		       o->textfile);
		return NL_EXIT_NOTARGET;
	}
	return 0;
}

static struct MHD_Daemon *start_http(const struct serve_opts *o, int *status)
{
	struct rlimit rl;
	struct MHD_Daemon *d;
	int fd, one = 1;

	/* Bind first, so that an address in use is said plainly. */
	fd = socket(o->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		nl_err("serve: cannot make a socket: %s", strerror(errno));
		*status = NL_EXIT_FAIL;
		return NULL;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&o->addr, o->addr_len) || listen(fd, 1024)) {
		int e = errno;
		char a[64];

		inet_ntop(o->addr.ss_family,
			  o->addr.ss_family == AF_INET
				  ? (const void *)&((const struct sockaddr_in *)&o->addr)->sin_addr
				  : (const void *)&((const struct sockaddr_in6 *)&o->addr)->sin6_addr,
			  a, sizeof(a));
		nl_err("serve: cannot listen on %s port %u: %s%s", a,
		       ntohs(o->addr.ss_family == AF_INET
				     ? ((const struct sockaddr_in *)&o->addr)->sin_port
				     : ((const struct sockaddr_in6 *)&o->addr)->sin6_port),
		       strerror(e), e == EADDRINUSE ? " (pick another with --listen)" : "");
		close(fd);
		*status = e == EADDRINUSE ? NL_EXIT_INUSE
			  : e == EADDRNOTAVAIL ? NL_EXIT_USAGE
					       : NL_EXIT_FAIL;
		return NULL;
	}
	/* Room for every connection allowed, and the files the collector opens. */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < NL_SERVE_CONNS + 256) {
		rl.rlim_cur = rl.rlim_max < NL_SERVE_CONNS + 256 ? rl.rlim_max : NL_SERVE_CONNS + 256;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	d = mhd.start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL,
			     on_request, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)NL_SERVE_CONNS,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)NL_SERVE_CONN_MEM,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)NL_SERVE_IDLE_S,
			     MHD_OPTION_END);
	if (!d) {
		nl_err("serve: cannot start the HTTP server (libmicrohttpd)");
		close(fd);
		*status = NL_EXIT_FAIL;
	}
	return d;
}

int nl_cmd_serve(int argc, char **argv)
{
	struct serve_opts o = { 0 };
	struct nl_use prev = { 0 }, now = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	struct MHD_Daemon *d = NULL;
	struct nl_state *st = NULL;
	struct nl_dp *dp = NULL;
	int hold = -1;
	int status, err;

	status = parse_opts(argc, argv, &o);
	if (status)
		return status < 0 ? NL_EXIT_OK : status;
	if (geteuid() != 0) {
		nl_err("serve needs root: it reads the dataplane's root-only pins; run it with sudo "
		       "(or as the netlimit-serve unit)");
		return NL_EXIT_NOPERM;
	}
	/*
	 * Renderings of 10,000 limits are megabytes, made anew each round: a fixed
	 * mmap threshold gives each back to the system when it goes, instead of
	 * glibc raising the threshold and keeping freed rounds on its heap.
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD, 256 * 1024);
	if (o.listen) {
		status = mhd_open();
		if (status)
			return status;
		d = start_http(&o, &status);
		if (!d)
			return status;
	}
	status = nl_meter_hold("netlimit serve", &st, &dp, &hold);
	if (status) {
		if (d)
			mhd.stop_daemon(d);
		return status;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	nl_info("serving %s%s%s", o.listen ? "HTTP" : "", o.listen && o.textfile ? " and " : "",
		o.textfile ? "a textfile" : "");
	while (!serve_stop) {
		struct timespec nap = { (time_t)(o.interval_ns / 1000000000ULL),
					(long)(o.interval_ns % 1000000000ULL) };

		err = one_round(st, dp, prev.t > 0 ? &prev : NULL, &now, &o);
		if (err) {
			nl_err("serve: cannot read the counts: %s", strerror(-err));
			status = NL_EXIT_FAIL;
			break;
		}
		nl_use__free(&prev);
		prev = now;
		memset(&now, 0, sizeof(now));
		if (o.once)
			break;
		nanosleep(&nap, NULL);
	}
	if (d)
		mhd.stop_daemon(d);
	nl_use__free(&prev);
	nl_meter_unhold(st, dp, hold);
	/* The HTTP server is stopped: no response holds a rendering any more. */
	pub_put(served.metrics);
	pub_put(served.usage);
	pub_put(served.limits);
	pub_put(served.history);
	served.metrics = served.usage = served.limits = served.history = NULL;
	free(prev_counts);
	prev_counts = NULL;
	lim_nprev = 0;
	return status;
}
