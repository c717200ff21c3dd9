/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Text that comes from data (cgroup paths, command names, user input) on
 * its way out: valid UTF-8 JSON whatever the bytes, tables and messages
 * without control characters.
 */
#ifndef NETLIMIT_TEXT_H
#define NETLIMIT_TEXT_H

#include <stddef.h>
#include <stdio.h>

/* Bytes of the valid UTF-8 character at s (at most n bytes), 0 if none is there. */
size_t nl_utf8_len(const unsigned char *s, size_t n);
/* A JSON string: invalid UTF-8 bytes become U+FFFD, control characters \u00XX. */
void nl_json_string(FILE *f, const char *s);
/* s for a table or a message: control characters and invalid bytes become '?'. */
const char *nl_printable(const char *s, char *buf, size_t len);

#endif
