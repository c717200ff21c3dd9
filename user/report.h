/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* How a limit's counters are shown: aligned columns for people, JSON for programs. */
#ifndef NETLIMIT_REPORT_H
#define NETLIMIT_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include "dataplane.h"

/* What `run` knows at the end besides the counters. */
struct nl_run_result {
	const char *command;
	double duration_s;
	int exit_code;
	bool ended_by_netlimit;
	int signal; /* signal that ended the command, or 0 */
};

/* A consistent copy of a live limit. */
void nl_limit_snapshot(const struct nl_limit *live, struct nl_limit *copy);
/* "in+out" style list of the caps a hit mask names: "out", "in, total". */
const char *nl_hit_names(__u32 hit, char *buf, size_t len);

void nl_report_table(FILE *f, const struct nl_limit *l);
/* "run", "pid", "cgroup", "host", "iface". */
const char *nl_kind_name(__u32 kind);
/* "active", "cap reached", "throttled", "target gone". */
const char *nl_state_name(const struct nl_limit *l);
/* "in 5.0 MiB, total 1.0 GiB" and "in 24%, total 1%". */
void nl_caps_cells(const struct nl_limit *l, char *caps, size_t clen, char *used, size_t ulen);
/* "kill", "block", "down", "throttle". */
const char *nl_action_name(__u32 action);
/* "in 9.98 Mbit/s, out 120 kbit/s" (bits a second measured), "-" for a limit without rates. */
void nl_achieved_cell(const struct nl_limit *l, double in_bps, double out_bps, char *buf,
		      size_t len);
/* A limit's rate[NL_BUCKETS] as "out 10 Mbit/s, throttle 1 Mbit/s", or "-". */
void nl_rates_cell(const __u64 *rate, char *buf, size_t len);
/* What attach, host and iface print with --json: {"id":..,"name":..,"target":..}. */
void nl_print_new_json(__u32 id, const char *name, const char *target);
#include "json.h"
#include "text.h"
struct nl_json;
/* The counters and caps of a limit as members: "in_bytes", ..., "cap_total". */
void nl_json_counters(struct nl_json *j, const struct nl_limit *l);
/* Its rates and bursts ("rate_in_bps", ... null where none) and what they held back. */
void nl_json_rates(struct nl_json *j, const struct nl_limit *l);
void nl_report_run(FILE *f, const struct nl_limit *l, const struct nl_run_result *r);
void nl_report_run_json(FILE *f, const struct nl_limit *l, const struct nl_run_result *r);

#endif
