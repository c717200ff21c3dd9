/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* IPv4 and IPv6 prefixes: parsing, printing, overlap. */
#ifndef NETLIMIT_PREFIX_H
#define NETLIMIT_PREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define NL_MAX_PREFIXES 256

struct nl_prefix {
	int family;	  /* AF_INET or AF_INET6 */
	__u8 addr[16];	  /* IPv4 as ::ffff:a.b.c.d */
	unsigned int len; /* in the family's bits: 0..32 or 0..128 */
};

/* "192.0.2.0/24", "2001:db8::/32", a bare address = a host prefix. */
int nl_parse_prefix(const char *s, struct nl_prefix *p, const char **why);
/* A comma-separated list; overlapping prefixes in it are refused. */
int nl_parse_prefixes(const char *s, struct nl_prefix *v, size_t max, size_t *n, char *err,
		      size_t errlen);
bool nl_prefix_overlap(const struct nl_prefix *a, const struct nl_prefix *b);
char *nl_format_prefix(const struct nl_prefix *p, char *buf, size_t len);
/* The LPM trie key length of a prefix (IPv4: len + 96). */
unsigned int nl_prefix_keylen(const struct nl_prefix *p);

#endif
