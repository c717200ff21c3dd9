// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Printing of counters and summaries. */
#include <string.h>
#include "limit.h"
#include "gc.h"
#include "rate.h"
#include "report.h"
#include "size.h"

void nl_limit_snapshot(const struct nl_limit *live, struct nl_limit *c)
{
	memcpy(c, live, sizeof(*c));
	/* The counters BPF changes concurrently, read whole. */
	c->in.bytes = nl_read(&live->in.bytes);
	c->in.packets = nl_read(&live->in.packets);
	c->in.drop_bytes = nl_read(&live->in.drop_bytes);
	c->in.drop_packets = nl_read(&live->in.drop_packets);
	c->out.bytes = nl_read(&live->out.bytes);
	c->out.packets = nl_read(&live->out.packets);
	c->out.drop_bytes = nl_read(&live->out.drop_bytes);
	c->out.drop_packets = nl_read(&live->out.drop_packets);
	c->in.held_bytes = nl_read(&live->in.held_bytes);
	c->in.held_packets = nl_read(&live->in.held_packets);
	c->out.held_bytes = nl_read(&live->out.held_bytes);
	c->out.held_packets = nl_read(&live->out.held_packets);
	c->hit = __atomic_load_n(&live->hit, __ATOMIC_RELAXED);
}

const char *nl_hit_names(__u32 hit, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", hit & NL_HIT_IN ? "in" : "",
		 (hit & NL_HIT_IN) && (hit & (NL_HIT_OUT | NL_HIT_TOTAL)) ? ", " : "",
		 hit & NL_HIT_OUT ? "out" : "",
		 (hit & NL_HIT_TOTAL) ? (hit & (NL_HIT_IN | NL_HIT_OUT) ? ", total" : "total")
				      : "");
	return buf;
}

static void cap_cell(__u64 cap, char *buf, size_t len)
{
	char h[32];

	if (cap == NL_UNLIMITED)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%llu (%s)", (unsigned long long)cap,
			 nl_format_size(cap, h, sizeof(h)));
}

void nl_report_table(FILE *f, const struct nl_limit *l)
{
	char cin[48], cout[48], ctot[48];

	cap_cell(l->cap_in, cin, sizeof(cin));
	cap_cell(l->cap_out, cout, sizeof(cout));
	cap_cell(l->cap_total, ctot, sizeof(ctot));
	fprintf(f, "  %-5s %14s %10s %14s %10s  %s\n", "", "bytes", "packets", "dropped", "dropped",
		"cap");
	fprintf(f, "  %-5s %14s %10s %14s %10s\n", "", "", "", "bytes", "packets");
	fprintf(f, "  %-5s %14llu %10llu %14llu %10llu  %s\n", "in",
		(unsigned long long)l->in.bytes, (unsigned long long)l->in.packets,
		(unsigned long long)l->in.drop_bytes, (unsigned long long)l->in.drop_packets, cin);
	fprintf(f, "  %-5s %14llu %10llu %14llu %10llu  %s\n", "out",
		(unsigned long long)l->out.bytes, (unsigned long long)l->out.packets,
		(unsigned long long)l->out.drop_bytes, (unsigned long long)l->out.drop_packets,
		cout);
	fprintf(f, "  %-5s %14llu %10llu %14llu %10llu  %s\n", "total",
		(unsigned long long)(l->in.bytes + l->out.bytes),
		(unsigned long long)(l->in.packets + l->out.packets),
		(unsigned long long)(l->in.drop_bytes + l->out.drop_bytes),
		(unsigned long long)(l->in.drop_packets + l->out.drop_packets), ctot);
	if (l->rated) {
		char rates[160];

		nl_rates_cell(l->rate, rates, sizeof(rates));
		fprintf(f, "  rates  %s; held back: in %llu bytes (%llu packets), out %llu bytes "
			   "(%llu packets)\n",
			rates, (unsigned long long)l->in.held_bytes,
			(unsigned long long)l->in.held_packets, (unsigned long long)l->out.held_bytes,
			(unsigned long long)l->out.held_packets);
	}
}

static const char *const bucket_names[NL_BUCKETS] = { "in", "out", "total", "throttle" };

void nl_rates_cell(const __u64 *rate, char *buf, size_t len)
{
	size_t o = 0;
	char r[32];
	int b;

	buf[0] = '\0';
	for (b = 0; b < NL_BUCKETS; b++) {
		if (!rate[b] || o >= len)
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%s%s %s", o ? ", " : "", bucket_names[b],
				      nl_format_bits(rate[b], r, sizeof(r)));
	}
	if (!o)
		snprintf(buf, len, "-");
}

void nl_json_rates(struct nl_json *j, const struct nl_limit *l)
{
	static const char *const keys[NL_BUCKETS][2] = {
		{ "rate_in_bps", "burst_in_bytes" },
		{ "rate_out_bps", "burst_out_bytes" },
		{ "rate_total_bps", "burst_total_bytes" },
		{ "throttle_bps", "burst_throttle_bytes" },
	};
	int b;

	for (b = 0; b < NL_BUCKETS; b++) {
		if (l->rate[b]) {
			nl_json_u64(j, keys[b][0], l->rate[b]);
			nl_json_u64(j, keys[b][1], l->burst[b]);
		} else {
			nl_json_null(j, keys[b][0]);
			nl_json_null(j, keys[b][1]);
		}
	}
	nl_json_u64(j, "in_held_bytes", l->in.held_bytes);
	nl_json_u64(j, "out_held_bytes", l->out.held_bytes);
	nl_json_u64(j, "in_held_packets", l->in.held_packets);
	nl_json_u64(j, "out_held_packets", l->out.held_packets);
}

void nl_report_run(FILE *f, const struct nl_limit *l, const struct nl_run_result *r)
{
	char hit[32], how[64];

	if (r->ended_by_netlimit)
		snprintf(how, sizeof(how), "ended by netlimit");
	else if (r->signal)
		snprintf(how, sizeof(how), "killed by signal %d", r->signal);
	else
		snprintf(how, sizeof(how), "exited with status %d", r->exit_code);
	fprintf(f, "netlimit: '%s' %s after %.3f s; %s%s\n", r->command, how, r->duration_s,
		l->hit ? "cap reached: " : "no cap reached",
		l->hit ? nl_hit_names(l->hit, hit, sizeof(hit)) : "");
	nl_report_table(f, l);
	if (l->events_lost)
		fprintf(f, "  (%u limit events lost: ring buffer full)\n", l->events_lost);
}

void nl_json_counters(struct nl_json *j, const struct nl_limit *l)
{
	nl_json_u64(j, "in_bytes", l->in.bytes);
	nl_json_u64(j, "out_bytes", l->out.bytes);
	nl_json_u64(j, "in_packets", l->in.packets);
	nl_json_u64(j, "out_packets", l->out.packets);
	nl_json_u64(j, "in_dropped_bytes", l->in.drop_bytes);
	nl_json_u64(j, "out_dropped_bytes", l->out.drop_bytes);
	nl_json_u64(j, "in_dropped_packets", l->in.drop_packets);
	nl_json_u64(j, "out_dropped_packets", l->out.drop_packets);
	nl_json_cap(j, "cap_in", l->cap_in);
	nl_json_cap(j, "cap_out", l->cap_out);
	nl_json_cap(j, "cap_total", l->cap_total);
	nl_json_rates(j, l);
}

void nl_report_run_json(FILE *f, const struct nl_limit *l, const struct nl_run_result *r)
{
	struct nl_json j;
	char hit[32];

	nl_json_init(&j, f);
	nl_json_open(&j, NULL, '{');
	nl_json_u64(&j, "id", l->id);
	nl_json_str(&j, "name", l->name);
	nl_json_str(&j, "command", r->command);
	nl_json_counters(&j, l);
	nl_json_bool(&j, "limit_hit", l->hit);
	nl_json_str(&j, "hit", nl_hit_names(l->hit, hit, sizeof(hit)));
	nl_json_bool(&j, "ended_by_netlimit", r->ended_by_netlimit);
	nl_json_int(&j, "signal", r->signal);
	nl_json_double(&j, "duration_s", r->duration_s);
	nl_json_u64(&j, "events_lost", l->events_lost);
	nl_json_int(&j, "exit_code", r->exit_code);
	nl_json_close(&j, '}');
}

void nl_print_new_json(__u32 id, const char *name, const char *target)
{
	struct nl_json j;

	nl_json_init(&j, stdout);
	nl_json_open(&j, NULL, '{');
	nl_json_u64(&j, "id", id);
	nl_json_str(&j, "name", name);
	nl_json_str(&j, "target", target);
	nl_json_close(&j, '}');
}

const char *nl_kind_name(__u32 kind)
{
	switch (kind) {
	case NL_KIND_RUN:
		return "run";
	case NL_KIND_PID:
		return "pid";
	case NL_KIND_CGROUP:
		return "cgroup";
	case NL_KIND_HOST:
		return "host";
	case NL_KIND_IFACE:
		return "iface";
	default:
		return "?";
	}
}

const char *nl_action_name(__u32 action)
{
	switch (action) {
	case NL_ACT_KILL:
		return "kill";
	case NL_ACT_DOWN:
		return "down";
	case NL_ACT_THROTTLE:
		return "throttle";
	default:
		return "block";
	}
}

void nl_achieved_cell(const struct nl_limit *l, double in_bps, double out_bps, char *buf,
		      size_t len)
{
	char a[32], b[32];

	if (!l->rated || in_bps < 0) {
		snprintf(buf, len, "-");
		return;
	}
	snprintf(buf, len, "in %s, out %s", nl_format_bits((__u64)in_bps, a, sizeof(a)),
		 nl_format_bits((__u64)out_bps, b, sizeof(b)));
}

const char *nl_state_name(const struct nl_limit *l)
{
	if (nl_limit_target_gone(l))
		return "target gone";
	if (l->hit && l->action == NL_ACT_THROTTLE)
		return "throttled";
	return l->hit ? "cap reached" : "active";
}

/* "in 5.0 MiB, total 1.0 GiB" and "in 24%, total 1%". */
void nl_caps_cells(const struct nl_limit *l, char *caps, size_t clen, char *used, size_t ulen)
{
	const struct {
		const char *name;
		__u64 cap, use;
	} c[3] = {
		{ "in", l->cap_in, l->in.bytes },
		{ "out", l->cap_out, l->out.bytes },
		{ "total", l->cap_total, l->in.bytes + l->out.bytes },
	};
	size_t co = 0, uo = 0;
	char h[32];
	int i;

	caps[0] = used[0] = '\0';
	for (i = 0; i < 3; i++) {
		if (c[i].cap == NL_UNLIMITED)
			continue;
		if (co < clen)
			co += (size_t)snprintf(caps + co, clen - co, "%s%s %s", co ? ", " : "",
					       c[i].name, nl_format_size(c[i].cap, h, sizeof(h)));
		if (uo < ulen)
			uo += (size_t)snprintf(used + uo, ulen - uo, "%s%s %.0f%%", uo ? ", " : "",
					       c[i].name,
					       100.0 * (double)c[i].use / (double)c[i].cap);
	}
}
