/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The one JSON writer every --json goes through: objects and arrays, commas
 * placed for the caller, strings escaped to valid UTF-8 JSON (user/text.c).
 * Compact: "key":value, no spaces, one document per line.
 *
 *	struct nl_json j;
 *	nl_json_init(&j, stdout);
 *	nl_json_open(&j, NULL, '{');
 *	nl_json_u64(&j, "id", 3);
 *	nl_json_close(&j, '}');		// the outermost close ends the line
 */
#ifndef NETLIMIT_JSON_H
#define NETLIMIT_JSON_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#define NL_JSON_DEPTH 8

struct nl_json {
	FILE *f;
	int depth;
	bool more[NL_JSON_DEPTH]; /* a value was written at this depth: next needs a comma */
};

void nl_json_init(struct nl_json *j, FILE *f);
/* Open an object ('{') or array ('['), as member key (NULL in an array or at the top). */
void nl_json_open(struct nl_json *j, const char *key, char brace);
void nl_json_close(struct nl_json *j, char brace);
void nl_json_str(struct nl_json *j, const char *key, const char *v);
void nl_json_u64(struct nl_json *j, const char *key, unsigned long long v);
void nl_json_int(struct nl_json *j, const char *key, long long v);
void nl_json_bool(struct nl_json *j, const char *key, bool v);
void nl_json_null(struct nl_json *j, const char *key);
void nl_json_double(struct nl_json *j, const char *key, double v);
/* A cap: null for NL_UNLIMITED. */
void nl_json_cap(struct nl_json *j, const char *key, __u64 cap);

#endif
