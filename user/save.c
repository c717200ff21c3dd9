// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `netlimit save [FILE]` and `netlimit restore FILE`: the limits that can be
 * made again (cgroup, host and interface limits; a run or a PID does not
 * outlive a reboot) as text, one line each, with their counts:
 *
 *	# netlimit save 1
 *	cgroup /sys/fs/cgroup/system.slice/backup.service name=backup out=5368709120 out-bytes=42
 *	host 203.0.113.0/24 in-rate=20000000 in-bytes=7 out-bytes=9
 *	iface eth0 limit=2147483648 count=wire on-limit=down period=month:15 next-reset=1800000000
 *	# end 3
 *
 * Keys are the command-line options (sizes in bytes, rates in bits a
 * second) plus the counts: in-bytes=, out-bytes=, in-packets=, out-packets=,
 * and for a period the next reset as the save saw it (next-reset=, seconds
 * since 1970): counts restored after that instant are dropped, since the
 * period they belong to is over. A value's bytes outside
 * [A-Za-z0-9/._:,+-] are written %XX. Restore reads and checks the whole
 * file before it makes anything, and makes each limit with the command that
 * would make it by hand (this binary, run again), so a restored limit is
 * made exactly like any other.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include "cgroup.h"
#include "dataplane_user.h"
#include "exitcode.h"
#include "limit.h"
#include "log.h"
#include "opts.h"
#include "period_user.h"
#include "prefix.h"
#include "rate.h"
#include "report.h"
#include "save.h"
#include "size.h"
#include "state.h"

#define SAVE_MAGIC "# netlimit save 1"
#define SAVE_LINE 4096
#define SAVE_MAX_LIMITS NL_MAX_LIMITS

static const char save_usage[] =
	"Usage: netlimit save [FILE] [-q] [-v]\n"
	"       netlimit restore FILE [-q] [-v]\n"
	"\n"
	"save writes every limit that can be made again (cgroup, host and interface\n"
	"limits, with their caps, rates, scopes, names and counts) to FILE (written\n"
	"beside it and renamed into place, mode 0600), or to stdout. restore makes\n"
	"them again: a limit already there is left as is (restore twice changes\n"
	"nothing), one whose target is gone is reported and skipped. A file that\n"
	"does not parse is refused whole, with its line number, before anything\n"
	"is made.\n"
	"\n"
	"Examples:\n"
	"  sudo netlimit save /var/lib/netlimit/limits\n"
	"  sudo netlimit restore /var/lib/netlimit/limits\n"
	"\n"
	"Exit status: 0 ok (restore: also when targets were skipped); 64 a file that\n"
	"does not parse, or bad arguments; 66 no such file; 77 not root; 125 failed.\n";

/* Bytes a value keeps as they are. */
static bool plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '/' || c == '.' || c == '_' || c == ':' || c == ',' || c == '+' || c == '-';
}

static void put_value(FILE *f, const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (plain(*p))
			fputc(*p, f);
		else
			fprintf(f, "%%%02X", *p);
	}
}

static void put_kv(FILE *f, const char *key, const char *v)
{
	fprintf(f, " %s=", key);
	put_value(f, v);
}

static void put_u64(FILE *f, const char *key, unsigned long long v)
{
	fprintf(f, " %s=%llu", key, v);
}

/* The limit's --only/--exclude prefixes, read back from nl_scopes. */
static void put_scope(FILE *f, struct nl_dp *dp, const struct nl_limit *l)
{
	struct nl_scope_key k, next;
	int fd = nl_dp__map_fd(dp, NL_MAP_SCOPES);
	bool first = true, more;
	char buf[64];

	if (l->scope == NL_SCOPE_ALL || l->kind == NL_KIND_HOST)
		return;
	fprintf(f, " %s=", l->scope == NL_SCOPE_ONLY ? "only" : "exclude");
	more = !bpf_map_get_next_key(fd, NULL, &next);
	while (more) {
		k = next;
		more = !bpf_map_get_next_key(fd, &k, &next);
		if (ntohl(k.id) != l->id || k.prefixlen < 40)
			continue;
		struct nl_prefix p = { .len = k.prefixlen - 40 };

		if (k.fam == NL_FAM_V4) {
			p.family = AF_INET;
			p.addr[10] = p.addr[11] = 0xff;
			memcpy(p.addr + 12, k.addr, 4);
		} else {
			p.family = AF_INET6;
			memcpy(p.addr, k.addr, 16);
		}
		fprintf(f, "%s%s", first ? "" : ",", nl_format_prefix(&p, buf, sizeof(buf)));
		first = false;
	}
}

static void put_host_prefix(FILE *f, const struct nl_limit *l)
{
	struct nl_prefix p = { .len = l->host.prefixlen - 8 };
	char buf[64];

	if (l->host.fam == NL_FAM_V4) {
		p.family = AF_INET;
		p.addr[10] = p.addr[11] = 0xff;
		memcpy(p.addr + 12, l->host.addr, 4);
	} else {
		p.family = AF_INET6;
		memcpy(p.addr, l->host.addr, 16);
	}
	fputs(nl_format_prefix(&p, buf, sizeof(buf)), f);
}

struct save_ctx {
	FILE *f;
	struct nl_dp *dp;
	__u64 netns;
	char mnt[256]; /* the cgroup2 mount: cgroup names are below it */
	size_t saved, skipped;
};

static void put_cgroup(struct save_ctx *c, const char *rel)
{
	char path[4400];

	snprintf(path, sizeof(path), "%s%s", c->mnt, rel);
	put_value(c->f, path);
}

static int save_one(struct nl_lim *q, void *arg)
{
	static const char *const rate_keys[NL_BUCKETS] = { "in-rate", "out-rate", "rate", NULL };
	struct save_ctx *c = arg;
	struct nl_limit l;
	const char *path;
	char v[64];

	nl_limit_snapshot(nl_lim__limit(q), &l);
	switch (l.kind) {
	case NL_KIND_CGROUP:
		path = nl_cgnames_get(l.cgroup_id);
		if (!path) {
			c->skipped++;
			return 0;
		}
		fputs("cgroup ", c->f);
		put_cgroup(c, path);
		break;
	case NL_KIND_HOST:
		fputs("host ", c->f);
		put_host_prefix(c->f, &l);
		if (l.cg_level && (path = nl_cgnames_get(l.cgroup_id))) {
			fputs(" cgroup=", c->f);
			put_cgroup(c, path);
		}
		break;
	case NL_KIND_IFACE: {
		char name[IF_NAMESIZE];

		/* Another namespace's interface: made again from there. */
		if (l.netns != c->netns || !if_indextoname(l.ifindex, name)) {
			c->skipped++;
			return 0;
		}
		fputs("iface ", c->f);
		put_value(c->f, name);
		break;
	}
	default:
		c->skipped++; /* run, pid: their processes do not outlive a reboot */
		return 0;
	}
	if (l.name[0])
		put_kv(c->f, "name", l.name);
	if (l.cap_in != NL_UNLIMITED)
		put_u64(c->f, "in", l.cap_in);
	if (l.cap_out != NL_UNLIMITED)
		put_u64(c->f, "out", l.cap_out);
	if (l.cap_total != NL_UNLIMITED)
		put_u64(c->f, "limit", l.cap_total);
	for (int b = 0; b < NL_B_THROTTLE; b++)
		if (l.rate[b])
			put_u64(c->f, rate_keys[b], l.rate[b]);
	if (l.burst_opt)
		put_u64(c->f, "burst", l.burst_opt);
	if (l.action == NL_ACT_THROTTLE) {
		snprintf(v, sizeof(v), "throttle:%llu", (unsigned long long)l.rate[NL_B_THROTTLE]);
		put_kv(c->f, "on-limit", v);
	} else if (l.action != NL_ACT_BLOCK) {
		put_kv(c->f, "on-limit", nl_action_name(l.action));
	}
	if (l.wire)
		put_kv(c->f, "count", "wire");
	put_scope(c->f, c->dp, &l);
	{
		struct nl_period_view pv;

		nl_period_view(c->dp, &l, &pv);
		if (pv.has) {
			put_kv(c->f, "period", nl_period_name(&pv.spec, v, sizeof(v)));
			if (pv.next)
				put_u64(c->f, "next-reset", (unsigned long long)pv.next);
		}
	}
	put_u64(c->f, "in-bytes", l.in.bytes);
	put_u64(c->f, "out-bytes", l.out.bytes);
	put_u64(c->f, "in-packets", l.in.packets);
	put_u64(c->f, "out-packets", l.out.packets);
	fputc('\n', c->f);
	c->saved++;
	return 0;
}

static int write_save(struct nl_state *st, struct nl_dp *dp, FILE *f, size_t *saved,
		      size_t *skipped)
{
	struct save_ctx c = { .f = f, .dp = dp };
	struct stat sb;
	char mnt[256];
	int err;

	if (!stat("/proc/self/ns/net", &sb))
		c.netns = sb.st_ino;
	if (nl_cgroup_mount(c.mnt, sizeof(c.mnt)))
		c.mnt[0] = '\0';
	if (!nl_dp_base_path(mnt, sizeof(mnt)))
		nl_cgnames_load(mnt);
	fprintf(f, "%s\n", SAVE_MAGIC);
	err = st ? nl_lim__each(st, save_one, &c) : 0;
	fprintf(f, "# end %zu\n", c.saved);
	nl_cgnames_free();
	*saved = c.saved;
	*skipped = c.skipped;
	return err;
}

int nl_cmd_save(int argc, char **argv)
{
	char tmp[4200];
	struct nl_state *st = NULL;
	struct nl_dp *dp = NULL;
	size_t saved = 0, skipped = 0;
	const char *file = NULL;
	FILE *f = stdout;
	int err, fd, i, status = NL_EXIT_OK;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(save_usage, stdout);
			return NL_EXIT_OK;
		} else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			nl_verbosity = NL_QUIET;
		} else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			nl_verbosity = NL_VERBOSE;
		} else if (argv[i][0] == '-') {
			nl_err("unknown option '%s' (see 'netlimit save --help')", argv[i]);
			return NL_EXIT_USAGE;
		} else if (file) {
			nl_err("save takes one FILE at most (see 'netlimit save --help')");
			return NL_EXIT_USAGE;
		} else {
			file = argv[i];
		}
	}
	if (geteuid() != 0) {
		nl_err("save needs root: limits live in root-only bpffs pins; run it with sudo");
		return NL_EXIT_NOPERM;
	}
	err = nl_state__open(&st, false);
	if (err && err != -ENOENT) {
		nl_err("cannot open netlimit's state: %s", strerror(-err));
		return nl_exit_for_errno(err);
	}
	if (st) {
		err = nl_dp__open(st, false, &dp);
		if (err == -ENOENT) {
			nl_state__free(st);
			st = NULL;
		} else if (err) {
			nl_state__free(st);
			return err == -EEXIST ? NL_EXIT_UNSUPPORTED : NL_EXIT_FAIL;
		}
	}
	/* The save service runs often: the periods catch up with it (user/period.h). */
	if (st && !nl_state__lock(st)) {
		nl_period_catch_up(st);
		nl_state__unlock(st);
	}
	if (file) {
		snprintf(tmp, sizeof(tmp), "%s.new-%d", file, (int)getpid());
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		f = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (!f) {
			nl_err("save: cannot write %s: %s", tmp, strerror(errno));
			status = errno == ENOENT ? NL_EXIT_NOTARGET : NL_EXIT_FAIL;
			goto out;
		}
	}
	err = write_save(st, dp, f, &saved, &skipped);
	if (file) {
		if (fflush(f) || fsync(fileno(f)))
			err = err ? err : -errno;
		if (fclose(f))
			err = err ? err : -errno;
		if (!err && rename(tmp, file))
			err = -errno;
		if (err)
			unlink(tmp);
	} else {
		fflush(stdout);
	}
	if (err) {
		nl_err("save: %s", strerror(-err));
		status = NL_EXIT_FAIL;
		goto out;
	}
	nl_info("saved %zu limit(s)%s%s; %zu left out (runs and PIDs do not outlive a reboot)",
		saved, file ? " to " : "", file ? file : "", skipped);
out:
	nl_dp__free(dp);
	nl_state__free(st);
	return status;
}

/* One line of a save file, checked. */
struct entry {
	int line;
	char kind[8];
	char target[600];
	char args[22][320]; /* options, as `netlimit KIND` takes them */
	int nargs;
	__u64 in_bytes, out_bytes, in_packets, out_packets;
	__u64 next_reset; /* 0: no period, or none armed */
	char name[NL_NAME_LEN];
};

static int unhex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
					    : c >= 'A' && c <= 'F' ? c - 'A' + 10
								   : -1;
}

/* %XX back to bytes, in place; false on a broken escape or a NUL. */
static bool decode(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s != '%') {
			*o++ = *s;
			continue;
		}
		if (unhex(s[1]) < 0 || unhex(s[2]) < 0 || (unhex(s[1]) | unhex(s[2])) == 0)
			return false;
		*o++ = (char)(unhex(s[1]) << 4 | unhex(s[2]));
		s += 2;
	}
	*o = '\0';
	return true;
}

static bool number(const char *s, __u64 *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return !errno && !*end;
}

/* Check one key=value and turn it into the option it stands for. */
static const char *take_kv(struct entry *e, char *key, char *val)
{
	static const char *const sizes[] = { "in", "out", "limit", "burst" };
	static const char *const rates[] = { "rate", "in-rate", "out-rate" };
	const char *why;
	__u64 v;

	if (e->nargs >= 20)
		return "has too many keys";
	if (strlen(val) + strlen(key) + 8 > sizeof(e->args[0]))
		return "has a value too long";
	if (!strcmp(key, "in-bytes") || !strcmp(key, "out-bytes") || !strcmp(key, "in-packets") ||
	    !strcmp(key, "out-packets")) {
		if (!number(val, &v))
			return "has a count that is not a number";
		*(!strcmp(key, "in-bytes")    ? &e->in_bytes
		  : !strcmp(key, "out-bytes") ? &e->out_bytes
		  : !strcmp(key, "in-packets") ? &e->in_packets
					       : &e->out_packets) = v;
		return NULL;
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (strcmp(key, sizes[i]))
			continue;
		if (!number(val, &v) || nl_parse_size(val, &v, &why))
			return "has a size that is not a number of bytes";
		goto option;
	}
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		if (strcmp(key, rates[i]))
			continue;
		if (!number(val, &v) || nl_rate_check(v, &why))
			return "has a rate that is not bits a second netlimit keeps";
		snprintf(e->args[e->nargs++], sizeof(e->args[0]), "--%s=%sbit", key, val);
		return NULL;
	}
	if (!strcmp(key, "next-reset")) {
		if (!number(val, &e->next_reset))
			return "has a next-reset that is not seconds since 1970";
		return NULL;
	}
	if (!strcmp(key, "period")) {
		struct nl_period_spec ps;

		if (nl_period_parse(val, &ps, &why))
			return "has a period that is not day, week, month or month:DAY";
		goto option;
	}
	if (!strcmp(key, "name")) {
		if (!*val || strlen(val) >= NL_NAME_LEN)
			return "has a name netlimit does not take";
		for (const char *p = val; *p; p++)
			if (!nl_name_char_ok(*p))
				return "has a name netlimit does not take";
		snprintf(e->name, sizeof(e->name), "%s", val);
		goto option;
	}
	if (!strcmp(key, "on-limit")) {
		if (!strncmp(val, "throttle:", 9)) {
			if (!number(val + 9, &v) || nl_rate_check(v, &why))
				return "has a throttle rate that is not bits a second";
			snprintf(e->args[e->nargs++], sizeof(e->args[0]), "--on-limit=%sbit", val);
			return NULL;
		}
		if (strcmp(val, "block") && strcmp(val, "kill") && strcmp(val, "down"))
			return "has an on-limit that is not block, kill, down or throttle:RATE";
		if (!strcmp(val, "block") && !strcmp(e->kind, "iface"))
			val = "drop";
		goto option;
	}
	if (!strcmp(key, "count")) {
		if (strcmp(val, "l3") && strcmp(val, "wire"))
			return "has a count that is not l3 or wire";
		goto option;
	}
	if (!strcmp(key, "only") || !strcmp(key, "exclude")) {
		static struct nl_prefix pv[NL_MAX_PREFIXES];
		char err[200];
		size_t n;

		if (strcmp(e->kind, "cgroup"))
			return "has a scope, which only a cgroup limit takes";
		if (nl_parse_prefixes(val, pv, NL_MAX_PREFIXES, &n, err, sizeof(err)))
			return "has a prefix list that does not parse";
		goto option;
	}
	if (!strcmp(key, "cgroup")) {
		if (strcmp(e->kind, "host") || val[0] != '/')
			return "has a cgroup=, which only a host limit takes, as an absolute path";
		goto option;
	}
	return "has an unknown key";
option:
	if (strlen(key) + strlen(val) + 4 > sizeof(e->args[0]))
		return "has a value too long";
	snprintf(e->args[e->nargs++], sizeof(e->args[0]), "--%s=%s", key, val);
	return NULL;
}

static const char *parse_line(char *line, struct entry *e)
{
	char *tok, *save = NULL, *eq;
	const char *why;

	memset(e, 0, sizeof(*e));
	tok = strtok_r(line, " ", &save);
	if (!tok || (strcmp(tok, "cgroup") && strcmp(tok, "host") && strcmp(tok, "iface")))
		return "is not a cgroup, host or iface line";
	snprintf(e->kind, sizeof(e->kind), "%s", tok);
	tok = strtok_r(NULL, " ", &save);
	if (!tok || !decode(tok) || !*tok)
		return "has no target";
	if (!strcmp(e->kind, "cgroup") && tok[0] != '/')
		return "has a cgroup that is not an absolute path";
	if (!strcmp(e->kind, "host")) {
		struct nl_prefix p;

		if (nl_parse_prefix(tok, &p, &why))
			return "has a host prefix that does not parse";
	}
	if (!strcmp(e->kind, "iface") && strlen(tok) >= IF_NAMESIZE)
		return "has an interface name too long";
	snprintf(e->target, sizeof(e->target), "%s", tok);
	while ((tok = strtok_r(NULL, " ", &save))) {
		eq = strchr(tok, '=');
		if (!eq || eq == tok)
			return "has a word that is not key=value";
		*eq = '\0';
		if (!decode(eq + 1))
			return "has a broken %XX escape";
		why = take_kv(e, tok, eq + 1);
		if (why)
			return why;
	}
	return NULL;
}

/* Read and check the whole file; entries in *out. 0, or an exit status after one line. */
static int read_save(const char *file, struct entry **out, size_t *n)
{
	char line[SAVE_LINE + 2];
	struct entry *v = NULL;
	size_t cap = 0, count = 0, declared = 0;
	bool header = false, end = false;
	int no = 0, status = NL_EXIT_USAGE;
	FILE *f;

	f = fopen(file, "re");
	if (!f) {
		nl_err("restore: cannot read %s: %s", file, strerror(errno));
		return errno == ENOENT ? NL_EXIT_NOTARGET : NL_EXIT_FAIL;
	}
	while (fgets(line, sizeof(line), f)) {
		const char *why;
		size_t len = strlen(line);

		no++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(f) || len > SAVE_LINE) {
			nl_err("%s:%d: the line is longer than %d bytes", file, no, SAVE_LINE);
			goto out;
		}
		if (end) {
			nl_err("%s:%d: text after the '# end' line", file, no);
			goto out;
		}
		if (no == 1) {
			if (strcmp(line, SAVE_MAGIC)) {
				nl_err("%s:1: not a netlimit save file (it starts with '%s')", file,
				       SAVE_MAGIC);
				goto out;
			}
			header = true;
			continue;
		}
		if (!strncmp(line, "# end ", 6)) {
			__u64 d;

			if (!number(line + 6, &d)) {
				nl_err("%s:%d: the '# end' line has no count", file, no);
				goto out;
			}
			declared = (size_t)d;
			end = true;
			continue;
		}
		if (!line[0] || line[0] == '#')
			continue;
		if (count == cap) {
			size_t c = cap ? 2 * cap : 16;
			struct entry *nv = c <= SAVE_MAX_LIMITS ? realloc(v, c * sizeof(*v)) : NULL;

			if (!nv) {
				nl_err("%s:%d: too many limits", file, no);
				goto out;
			}
			v = nv;
			cap = c;
		}
		why = parse_line(line, &v[count]);
		if (why) {
			nl_err("%s:%d: the line %s; nothing was restored", file, no, why);
			goto out;
		}
		v[count++].line = no;
	}
	if (!header) {
		nl_err("%s:1: empty: not a netlimit save file", file);
		goto out;
	}
	if (!end || declared != count) {
		nl_err("%s:%d: the file ends before its '# end %zu' line (truncated?); nothing was "
		       "restored",
		       file, no, count);
		goto out;
	}
	status = 0;
	*out = v;
	*n = count;
	v = NULL;
out:
	fclose(f);
	free(v);
	return status;
}

/* A limit of this kind, target and name is there already. */
struct find_ctx {
	const struct entry *e;
	const char *want_target;
	bool found;
};

static int find_one(struct nl_lim *q, void *arg)
{
	struct find_ctx *c = arg;
	const struct nl_limit *l = nl_lim__limit(q);

	size_t n = strlen(c->want_target);
	const char *kind = l->kind == NL_KIND_CGROUP ? "cgroup" : nl_kind_name(l->kind);

	/* A host limit's target goes on with its cgroup: "host PREFIX (PATH)". */
	if (!strcmp(kind, c->e->kind) && !strcmp(l->name, c->e->name) &&
	    !strncmp(l->target, c->want_target, n) && (!l->target[n] || l->target[n] == ' '))
		c->found = true;
	return c->found;
}

/* Make one limit with `netlimit KIND TARGET ARGS --json -q`; its id, or 0. */
static __u32 make_limit(const struct entry *e)
{
	char *argv[32], out[512] = "";
	int pfd[2], st, i, k = 0;
	ssize_t n, got = 0;
	pid_t pid;

	argv[k++] = "netlimit";
	argv[k++] = (char *)e->kind;
	if (!strcmp(e->kind, "cgroup")) {
		argv[1] = "attach";
		argv[k++] = "--cgroup";
	}
	argv[k++] = (char *)e->target;
	for (i = 0; i < e->nargs; i++)
		argv[k++] = (char *)e->args[i];
	argv[k++] = "--json";
	argv[k++] = "-q";
	argv[k] = NULL;
	if (pipe2(pfd, O_CLOEXEC))
		return 0;
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		execv("/proc/self/exe", argv);
		_exit(NL_EXIT_NOEXEC);
	}
	close(pfd[1]);
	while (pid > 0 && got < (ssize_t)sizeof(out) - 1 &&
	       (n = read(pfd[0], out + got, sizeof(out) - 1 - (size_t)got)) > 0)
		got += n;
	close(pfd[0]);
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return 0;
	out[got] = '\0';
	{
		const char *id = strstr(out, "\"id\":");

		return id ? (__u32)strtoul(id + 5, NULL, 10) : 0;
	}
}

static bool target_there(const struct entry *e, char *why, size_t len)
{
	struct stat sb;

	if (!strcmp(e->kind, "cgroup") && stat(e->target, &sb)) {
		snprintf(why, len, "cgroup %.*s does not exist", (int)(len > 40 ? len - 40 : 1), e->target);
		return false;
	}
	if (!strcmp(e->kind, "iface") && !if_nametoindex(e->target)) {
		snprintf(why, len, "interface %.*s does not exist here", (int)(len > 40 ? len - 40 : 1), e->target);
		return false;
	}
	for (int i = 0; i < e->nargs; i++) {
		if (!strncmp(e->args[i], "--cgroup=", 9) && stat(e->args[i] + 9, &sb)) {
			snprintf(why, len, "cgroup %s does not exist", e->args[i] + 9);
			return false;
		}
	}
	return true;
}

int nl_cmd_restore(int argc, char **argv)
{
	struct entry *v = NULL;
	struct nl_state *st = NULL;
	const char *file = NULL;
	size_t n = 0, made = 0, there = 0, skipped = 0, failed = 0;
	int i, status;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(save_usage, stdout);
			return NL_EXIT_OK;
		} else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			nl_verbosity = NL_QUIET;
		} else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			nl_verbosity = NL_VERBOSE;
		} else if (argv[i][0] == '-') {
			nl_err("unknown option '%s' (see 'netlimit restore --help')", argv[i]);
			return NL_EXIT_USAGE;
		} else if (file) {
			nl_err("restore takes one FILE (see 'netlimit restore --help')");
			return NL_EXIT_USAGE;
		} else {
			file = argv[i];
		}
	}
	if (!file) {
		nl_err("restore needs the FILE save wrote (see 'netlimit restore --help')");
		return NL_EXIT_USAGE;
	}
	if (geteuid() != 0) {
		nl_err("restore needs root: limits live in root-only bpffs pins; run it with sudo");
		return NL_EXIT_NOPERM;
	}
	status = read_save(file, &v, &n);
	if (status)
		return status;
	for (size_t k = 0; k < n; k++) {
		const struct entry *e = &v[k];
		char want[NL_TARGET_LEN + 16], why[600];
		struct find_ctx fc = { .e = e, .want_target = want };
		struct nl_lim *q;
		__u32 id;

		if (!target_there(e, why, sizeof(why))) {
			nl_err("%s:%d: %s: skipped", file, e->line, why);
			skipped++;
			continue;
		}
		snprintf(want, sizeof(want), "%s %.*s", e->kind, (int)(sizeof(want) - 10), e->target);
		if (!st)
			nl_state__open(&st, false);
		if (st)
			nl_lim__each(st, find_one, &fc);
		if (fc.found) {
			nl_verbose("%s:%d: %s is there already", file, e->line, want);
			there++;
			continue;
		}
		id = make_limit(e);
		if (!id) {
			nl_err("%s:%d: %s could not be made (its command said why, above)", file,
			       e->line, want);
			failed++;
			continue;
		}
		if (!st)
			nl_state__open(&st, false);
		/* Its counts go on from where they were, unless their period ended meanwhile. */
		if (e->next_reset) {
			time_t now;

			nl_clock_now(&now);
			if ((__u64)now >= e->next_reset) {
				nl_info("%s:%d: %s: its period ended while it was not there: counts "
					"start from 0",
					file, e->line, want);
				made++;
				continue;
			}
		}
		if (st && !nl_lim__open(st, id, &q)) {
			struct nl_limit *l = nl_lim__limit(q);

			__atomic_fetch_add(&l->in.bytes, e->in_bytes, __ATOMIC_RELAXED);
			__atomic_fetch_add(&l->out.bytes, e->out_bytes, __ATOMIC_RELAXED);
			__atomic_fetch_add(&l->in.packets, e->in_packets, __ATOMIC_RELAXED);
			__atomic_fetch_add(&l->out.packets, e->out_packets, __ATOMIC_RELAXED);
			nl_lim__free(q);
		}
		made++;
	}
	free(v);
	nl_state__free(st);
	nl_info("restored %zu limit(s) from %s; %zu there already, %zu skipped (target gone)%s",
		made, file, there, skipped, failed ? ", some failed" : "");
	return failed ? NL_EXIT_FAIL : NL_EXIT_OK;
}
