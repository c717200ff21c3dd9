// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The JSON writer: see user/json.h. A stream is written by one thread only,
 * so the unlocked stdio calls spare a lock per character.
 */
#include "dataplane.h"
#include "json.h"
#include "text.h"

void nl_json_init(struct nl_json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->more[0] = false;
}

/* A comma before every member but the first, then the key. */
static void member(struct nl_json *j, const char *key)
{
	if (j->more[j->depth])
		fputc_unlocked(',', j->f);
	j->more[j->depth] = true;
	if (key) {
		nl_json_string(j->f, key);
		fputc_unlocked(':', j->f);
	}
}

void nl_json_open(struct nl_json *j, const char *key, char brace)
{
	member(j, key);
	fputc_unlocked(brace, j->f);
	if (j->depth + 1 < NL_JSON_DEPTH)
		j->depth++;
	j->more[j->depth] = false;
}

void nl_json_close(struct nl_json *j, char brace)
{
	fputc_unlocked(brace, j->f);
	if (j->depth > 0)
		j->depth--;
	if (!j->depth) {
		fputc_unlocked('\n', j->f);
		j->more[0] = false;
	}
}

void nl_json_str(struct nl_json *j, const char *key, const char *v)
{
	member(j, key);
	nl_json_string(j->f, v);
}

void nl_json_u64(struct nl_json *j, const char *key, unsigned long long v)
{
	member(j, key);
	fprintf(j->f, "%llu", v);
}

void nl_json_int(struct nl_json *j, const char *key, long long v)
{
	member(j, key);
	fprintf(j->f, "%lld", v);
}

void nl_json_bool(struct nl_json *j, const char *key, bool v)
{
	member(j, key);
	fputs_unlocked(v ? "true" : "false", j->f);
}

void nl_json_null(struct nl_json *j, const char *key)
{
	member(j, key);
	fputs_unlocked("null", j->f);
}

void nl_json_double(struct nl_json *j, const char *key, double v)
{
	member(j, key);
	fprintf(j->f, "%.6f", v);
}

void nl_json_cap(struct nl_json *j, const char *key, __u64 cap)
{
	if (cap == NL_UNLIMITED)
		nl_json_null(j, key);
	else
		nl_json_u64(j, key, cap);
}
