// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Requests to the netlimit service and its replies: see user/request.h. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "opts.h"
#include "request.h"

#define MAGIC "netlimit-request 1"

static const char *const op_names[] = {
	[NL_REQ_LIST] = "list",		  [NL_REQ_SHOW] = "show",     [NL_REQ_ATTACH] = "attach",
	[NL_REQ_SET] = "set",		  [NL_REQ_DETACH] = "detach", [NL_REQ_RUN_START] = "run-start",
	[NL_REQ_RUN_END] = "run-end",
};
#define NOPS (int)(sizeof(op_names) / sizeof(op_names[0]))

const char *nl_req_op_name(enum nl_req_op op)
{
	return (int)op > 0 && (int)op < NOPS ? op_names[op] : NULL;
}

static bool plain(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '%';
}

bool nl_req_put(char *buf, size_t cap, size_t *len, const char *key, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = *len;

	for (const char *k = key; *k; k++) {
		if (n + 1 >= cap)
			return false;
		buf[n++] = *k;
	}
	if (n + 1 >= cap)
		return false;
	buf[n++] = '=';
	for (const unsigned char *v = (const unsigned char *)value; *v; v++) {
		if (n + 4 >= cap)
			return false;
		if (plain(*v)) {
			buf[n++] = (char)*v;
		} else {
			buf[n++] = '%';
			buf[n++] = hex[*v >> 4];
			buf[n++] = hex[*v & 15];
		}
	}
	if (n + 1 >= cap)
		return false;
	buf[n++] = '\n';
	buf[n] = '\0';
	*len = n;
	return true;
}

bool nl_request_encode(const struct nl_request *r, char *buf, size_t cap, size_t *len)
{
	char v[32];
	bool ok;

	if (cap > NL_REQ_MAX)
		cap = NL_REQ_MAX;
	if (!nl_req_op_name(r->op) || cap < sizeof(MAGIC) + 1)
		return false;
	*len = (size_t)snprintf(buf, cap, "%s\n", MAGIC);
	ok = nl_req_put(buf, cap, len, "op", nl_req_op_name(r->op));
	for (int i = 0; ok && i < r->argc && i < NL_REQ_ARGS; i++)
		ok = nl_req_put(buf, cap, len, "arg", r->argv[i]);
	if (ok && r->pid) {
		snprintf(v, sizeof(v), "%d", (int)r->pid);
		ok = nl_req_put(buf, cap, len, "pid", v);
	}
	if (ok && r->op == NL_REQ_RUN_END) {
		snprintf(v, sizeof(v), "%u", r->id);
		ok = nl_req_put(buf, cap, len, "id", v);
		snprintf(v, sizeof(v), "%d", r->wstatus);
		ok = ok && nl_req_put(buf, cap, len, "wstatus", v);
		snprintf(v, sizeof(v), "%llu", (unsigned long long)r->duration_ms);
		ok = ok && nl_req_put(buf, cap, len, "duration-ms", v);
		ok = ok && nl_req_put(buf, cap, len, "json", r->json ? "1" : "0");
		ok = ok && (!r->quiet || nl_req_put(buf, cap, len, "quiet", "1"));
		ok = ok && (!r->command[0] || nl_req_put(buf, cap, len, "command", r->command));
	}
	return ok;
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode value [s, e) into out (cap bytes with its NUL); false if broken or too long. */
static bool decode(const char *s, const char *e, char *out, size_t cap, size_t *n)
{
	size_t k = 0;

	while (s < e) {
		int hi, lo;
		unsigned char c = (unsigned char)*s;

		if (c == '%') {
			if (e - s < 3 || (hi = unhex(s[1])) < 0 || (lo = unhex(s[2])) < 0)
				return false;
			c = (unsigned char)(hi << 4 | lo);
			s += 3;
		} else if (plain(c)) {
			s++;
		} else {
			return false;
		}
		if (!c || k + 1 >= cap)
			return false; /* no NUL inside a value */
		out[k++] = (char)c;
	}
	out[k] = '\0';
	if (n)
		*n = k;
	return true;
}

static bool number(const char *s, unsigned long long max, unsigned long long *v)
{
	unsigned long long x = 0;

	if (!*s || strlen(s) > 20)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (x > (max - (unsigned long long)(*s - '0')) / 10)
			return false;
		x = x * 10 + (unsigned long long)(*s - '0');
	}
	*v = x;
	return true;
}

/* Walk key=value lines of [buf, buf+len) after the first; fn gets each decoded. */
typedef const char *(*line_fn)(void *ctx, const char *key, const char *val, size_t vlen);

static int each_line(const char *buf, size_t len, const char *magic, line_fn fn, void *ctx,
		     char *val, size_t vcap, const char **why)
{
	const char *p = buf, *end = buf + len, *nl, *eq;
	char key[16];
	size_t vlen;

	if (memchr(buf, '\0', len)) {
		*why = "has a NUL byte";
		return -EINVAL;
	}
	nl = memchr(p, '\n', (size_t)(end - p));
	if (magic && (!nl || (size_t)(nl - p) != strlen(magic) || memcmp(p, magic, strlen(magic)))) {
		*why = "is not a netlimit request";
		return -EINVAL;
	}
	if (magic)
		p = nl + 1;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			*why = "ends in the middle of a line";
			return -EINVAL;
		}
		eq = memchr(p, '=', (size_t)(nl - p));
		if (!eq || eq == p || (size_t)(eq - p) >= sizeof(key)) {
			*why = "has a line that is not key=value";
			return -EINVAL;
		}
		memcpy(key, p, (size_t)(eq - p));
		key[eq - p] = '\0';
		if (!decode(eq + 1, nl, val, vcap, &vlen)) {
			*why = "has a value that is badly escaped or too long";
			return -EINVAL;
		}
		*why = fn(ctx, key, val, vlen);
		if (*why)
			return -EINVAL;
		p = nl + 1;
	}
	return 0;
}

struct req_seen {
	struct nl_request *r;
	bool op, pid, id, wstatus, duration, json, quiet, command;
};

static const char *req_line(void *ctx, const char *key, const char *val, size_t vlen)
{
	struct req_seen *s = ctx;
	struct nl_request *r = s->r;
	unsigned long long v;

	(void)vlen;
	if (!strcmp(key, "op")) {
		if (s->op)
			return "names its operation twice";
		s->op = true;
		for (int i = 1; i < NOPS; i++)
			if (!strcmp(val, op_names[i]))
				r->op = (enum nl_req_op)i;
		return r->op ? NULL : "has an unknown operation";
	}
	if (!strcmp(key, "arg")) {
		if (r->argc >= NL_REQ_ARGS)
			return "has too many arguments";
		snprintf(r->argv[r->argc++], NL_REQ_ARG_LEN, "%s", val);
		return NULL;
	}
	if (!strcmp(key, "pid")) {
		if (s->pid || !number(val, 4194304, &v) || v < 2)
			return "has a pid that is not a process number";
		s->pid = true;
		r->pid = (pid_t)v;
		return NULL;
	}
	if (!strcmp(key, "id")) {
		if (s->id || !number(val, 0xffffffffULL, &v) || !v)
			return "has an id that is not a limit id";
		s->id = true;
		r->id = (__u32)v;
		return NULL;
	}
	if (!strcmp(key, "wstatus")) {
		if (s->wstatus || !number(val, 0xffff, &v))
			return "has a wait status that is not one";
		s->wstatus = true;
		r->wstatus = (int)v;
		return NULL;
	}
	if (!strcmp(key, "duration-ms")) {
		if (s->duration || !number(val, 100ULL * 366 * 86400 * 1000, &v))
			return "has a duration that is not milliseconds";
		s->duration = true;
		r->duration_ms = v;
		return NULL;
	}
	if (!strcmp(key, "json")) {
		if (s->json || (strcmp(val, "0") && strcmp(val, "1")))
			return "has a json that is not 0 or 1";
		s->json = true;
		r->json = val[0] == '1';
		return NULL;
	}
	if (!strcmp(key, "quiet")) {
		if (s->quiet || strcmp(val, "1"))
			return "has a quiet that is not 1";
		s->quiet = true;
		r->quiet = true;
		return NULL;
	}
	if (!strcmp(key, "command")) {
		if (s->command || strlen(val) >= sizeof(r->command))
			return "has a command name too long";
		s->command = true;
		snprintf(r->command, sizeof(r->command), "%s", val);
		return NULL;
	}
	return "has an unknown key";
}

int nl_request_parse(const char *buf, size_t len, struct nl_request *r, const char **why)
{
	struct req_seen s = { .r = r };
	static char val[NL_REQ_ARG_LEN];
	int err;

	memset(r, 0, sizeof(*r));
	if (len > NL_REQ_MAX) {
		*why = "is too long";
		return -EINVAL;
	}
	err = each_line(buf, len, MAGIC, req_line, &s, val, sizeof(val), why);
	if (err)
		return err;
	if (!r->op) {
		*why = "names no operation";
		return -EINVAL;
	}
	if ((r->op == NL_REQ_RUN_START) != s.pid) {
		*why = s.pid ? "has a pid its operation does not take" : "names no process";
		return -EINVAL;
	}
	if (r->op == NL_REQ_RUN_END ? !(s.id && s.wstatus && s.duration)
				    : s.id || s.wstatus || s.duration || s.json || s.quiet || s.command) {
		*why = "has the wrong fields for its operation";
		return -EINVAL;
	}
	return 0;
}

/*
 * The options each operation passes on. What is not here is refused: a user
 * cannot name a cgroup, a host, an interface, a state directory.
 */
#define O_PID 1000
#define O_NOCHILD 1001
#define O_ON_LIMIT 1002
#define O_GRACE 1003
#define O_NAME 1004
#define O_JSON 1005
#define O_QUIET 1006
#define O_VERBOSE 1007

static const struct option base_opts[] = {
	{ "json", no_argument, NULL, O_JSON },
	{ "quiet", no_argument, NULL, O_QUIET },
	{ "verbose", no_argument, NULL, O_VERBOSE },
	{ 0 },
};
static const struct option set_opts[] = {
	NL_CAP_LONGOPTS,
	{ "quiet", no_argument, NULL, O_QUIET },
	{ "verbose", no_argument, NULL, O_VERBOSE },
	{ 0 },
};
#define LIMIT_OPTS                                                                                 \
	NL_CAP_LONGOPTS, NL_SCOPE_LONGOPTS, { "on-limit", required_argument, NULL, O_ON_LIMIT },   \
		{ "grace", required_argument, NULL, O_GRACE },                                     \
		{ "name", required_argument, NULL, O_NAME },                                       \
		{ "json", no_argument, NULL, O_JSON }, { "quiet", no_argument, NULL, O_QUIET },    \
	{                                                                                          \
		"verbose", no_argument, NULL, O_VERBOSE                                            \
	}
static const struct option attach_opts[] = {
	{ "pid", required_argument, NULL, O_PID },
	{ "no-children", no_argument, NULL, O_NOCHILD },
	LIMIT_OPTS,
	{ 0 },
};
static const struct option run_opts[] = {
	LIMIT_OPTS,
	{ 0 },
};

static const char *add_arg(struct nl_req_norm *n, const char *name, const char *value)
{
	int w;

	if (n->argc >= NL_REQ_ARGS)
		return "has too many arguments";
	if (value)
		w = snprintf(n->argv[n->argc], NL_REQ_ARG_LEN, "--%s=%s", name, value);
	else
		w = snprintf(n->argv[n->argc], NL_REQ_ARG_LEN, "--%s", name);
	if (w < 0 || w >= NL_REQ_ARG_LEN)
		return "has an argument too long";
	n->argc++;
	return NULL;
}

static const char *parse_pids(const char *s, struct nl_req_norm *n)
{
	char buf[NL_REQ_ARG_LEN], *tok, *save = NULL;
	unsigned long long v;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n->npids >= NL_REQ_PIDS)
			return "names too many processes";
		if (!number(tok, 4194304, &v) || !v)
			return "has a --pid that is not a list of process numbers";
		n->pids[n->npids++] = (pid_t)v;
	}
	return n->npids ? NULL : "has an empty --pid";
}

int nl_request_normalize(const struct nl_request *r, struct nl_req_norm *n, const char **why)
{
	char *argv[NL_REQ_ARGS + 2];
	const struct option *t;
	int positional, argc = 0, c, idx, k;
	const char *e = NULL;

	memset(n, 0, sizeof(*n));
	switch (r->op) {
	case NL_REQ_LIST:
		t = base_opts, positional = 0;
		break;
	case NL_REQ_SHOW:
	case NL_REQ_DETACH:
		t = base_opts, positional = 1;
		break;
	case NL_REQ_SET:
		t = set_opts, positional = 1;
		break;
	case NL_REQ_ATTACH:
		t = attach_opts, positional = 0;
		break;
	case NL_REQ_RUN_START:
		t = run_opts, positional = 0;
		break;
	case NL_REQ_RUN_END:
		if (r->argc) {
			*why = "has arguments its operation does not take";
			return -EINVAL;
		}
		return 0;
	default:
		*why = "names no operation";
		return -EINVAL;
	}
	argv[argc++] = (char *)nl_req_op_name(r->op);
	for (k = 0; k < r->argc && k < NL_REQ_ARGS; k++)
		argv[argc++] = (char *)r->argv[k];
	argv[argc] = NULL;
	optind = 0;
	opterr = 0;
	/* Short forms the commands take: -q, -v, and -l, -p, -n as their long names. */
	while (!e && (c = getopt_long(argc, argv, ":qvl:p:n:", t, &idx)) != -1) {
		const struct option *o;

		switch (c) {
		case 'q':
			c = O_QUIET;
			break;
		case 'v':
			c = O_VERBOSE;
			break;
		case 'p':
			c = O_PID;
			break;
		case 'n':
			c = O_NAME;
			break;
		case '?':
			*why = "has an option users may not give";
			return -EPERM;
		case ':':
			*why = "has an option without its value";
			return -EINVAL;
		}
		for (o = t; o->name && o->val != c; o++)
			;
		if (!o->name) {
			*why = "has an option users may not give";
			return -EPERM;
		}
		if (c == O_PID) {
			/* The service names the processes itself, once it has checked them. */
			e = parse_pids(optarg, n);
			continue;
		}
		if (c == O_JSON)
			n->json = true;
		e = add_arg(n, o->name, o->has_arg == required_argument ? optarg : NULL);
	}
	if (e) {
		*why = e;
		return -EINVAL;
	}
	if (optind < argc && positional == 0) {
		*why = "has an argument its operation does not take";
		return -EINVAL;
	}
	if (positional && argc - optind != positional) {
		*why = "does not name exactly one limit";
		return -EINVAL;
	}
	for (k = optind; k < argc; k++) {
		if (argv[k][0] == '-' || !argv[k][0] || strlen(argv[k]) > 64) {
			*why = "names a limit that is not an id or a name";
			return -EINVAL;
		}
		if (n->argc >= NL_REQ_ARGS) {
			*why = "has too many arguments";
			return -EINVAL;
		}
		snprintf(n->argv[n->argc], NL_REQ_ARG_LEN, "%s", argv[k]);
		n->target = n->argv[n->argc++];
	}
	if (r->op == NL_REQ_ATTACH && !n->npids) {
		*why = "names no --pid (users limit their own processes)";
		return -EINVAL;
	}
	return 0;
}

char *nl_reply_encode(int status, const char *out, size_t out_len, const char *err,
		      size_t err_len, size_t *len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t cap = 64 + 3 * (out_len + err_len), n;
	const char *parts[2] = { out, err };
	size_t lens[2] = { out_len, err_len };
	char *buf;

	if (cap > NL_REPLY_MAX)
		return NULL;
	buf = malloc(cap);
	if (!buf)
		return NULL;
	n = (size_t)snprintf(buf, cap, "status=%d\n", status);
	for (int i = 0; i < 2; i++) {
		const unsigned char *v = (const unsigned char *)parts[i];

		n += (size_t)snprintf(buf + n, cap - n, i ? "err=" : "out=");
		for (size_t k = 0; k < lens[i]; k++) {
			if (plain(v[k])) {
				buf[n++] = (char)v[k];
			} else {
				buf[n++] = '%';
				buf[n++] = hex[v[k] >> 4];
				buf[n++] = hex[v[k] & 15];
			}
		}
		buf[n++] = '\n';
	}
	*len = n;
	return buf;
}

struct reply_seen {
	struct nl_reply *r;
	bool status, out, err;
};

static const char *reply_line(void *ctx, const char *key, const char *val, size_t vlen)
{
	struct reply_seen *s = ctx;
	unsigned long long v;
	char **dst;
	size_t *dlen;
	bool *seen;

	if (!strcmp(key, "status")) {
		if (s->status || !number(val, 255, &v))
			return "has a status that is not an exit status";
		s->status = true;
		s->r->status = (int)v;
		return NULL;
	}
	if (!strcmp(key, "out"))
		dst = &s->r->out, dlen = &s->r->out_len, seen = &s->out;
	else if (!strcmp(key, "err"))
		dst = &s->r->err, dlen = &s->r->err_len, seen = &s->err;
	else
		return "has an unknown key";
	if (*seen)
		return "has a key twice";
	*seen = true;
	*dst = malloc(vlen + 1);
	if (!*dst)
		return "is too big to hold";
	memcpy(*dst, val, vlen + 1);
	*dlen = vlen;
	return NULL;
}

/* Output may hold any byte but NUL: decode() keeps to that. */
int nl_reply_parse(const char *buf, size_t len, struct nl_reply *r, const char **why)
{
	struct reply_seen s = { .r = r };
	char *val;
	int err;

	memset(r, 0, sizeof(*r));
	val = malloc(len + 1);
	if (!val) {
		*why = "is too big to hold";
		return -ENOMEM;
	}
	err = each_line(buf, len, NULL, reply_line, &s, val, len + 1, why);
	free(val);
	if (!err && !s.status) {
		*why = "has no status";
		err = -EINVAL;
	}
	if (err)
		nl_reply_free(r);
	return err;
}

void nl_reply_free(struct nl_reply *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

const char *nl_socket_path(const char *opt)
{
	const char *env = getenv("NETLIMIT_SOCKET");

	return opt ? opt : env && *env ? env : NL_SOCKET_DEFAULT;
}

int nl_socket_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	memcpy(a.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int nl_frame_write(int fd, const char *buf, size_t len)
{
	unsigned char hdr[4] = { (unsigned char)len, (unsigned char)(len >> 8),
				 (unsigned char)(len >> 16), (unsigned char)(len >> 24) };
	size_t done = 0;

	if (len > NL_REPLY_MAX)
		return -EMSGSIZE;
	if (write(fd, hdr, 4) != 4)
		return -errno;
	while (done < len) {
		ssize_t w = write(fd, buf + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		done += (size_t)w;
	}
	return 0;
}

/* Read exactly n bytes by the deadline (CLOCK_MONOTONIC ms): a slow sender is dropped. */
static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int read_full(int fd, void *buf, size_t n, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;

	while (got < n) {
		long long left = deadline - now_ms();
		ssize_t r;
		int pr;

		if (left <= 0)
			return -ETIMEDOUT;
		pr = poll(&p, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return pr < 0 ? -errno : -ETIMEDOUT;
		r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -ECONNRESET;
		got += (size_t)r;
	}
	return 0;
}

int nl_frame_read(int fd, char **buf, size_t *len, size_t max, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	unsigned char hdr[4];
	size_t n;
	int err;

	*buf = NULL;
	err = read_full(fd, hdr, 4, deadline);
	if (err)
		return err;
	n = (size_t)hdr[0] | (size_t)hdr[1] << 8 | (size_t)hdr[2] << 16 | (size_t)hdr[3] << 24;
	if (n > max)
		return -EMSGSIZE;
	*buf = malloc(n + 1);
	if (!*buf)
		return -ENOMEM;
	err = read_full(fd, *buf, n, deadline);
	if (err) {
		free(*buf);
		*buf = NULL;
		return err;
	}
	(*buf)[n] = '\0';
	*len = n;
	return 0;
}
