// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Prefix parsing with the errors a user needs: which part is wrong and why. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "prefix.h"

unsigned int nl_prefix_keylen(const struct nl_prefix *p)
{
	return p->family == AF_INET ? p->len + 96 : p->len;
}

int nl_parse_prefix(const char *s, struct nl_prefix *p, const char **why)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned int max, i, keylen;
	unsigned long len;
	char *end;

	memset(p, 0, sizeof(*p));
	if (!alen || alen >= sizeof(addr)) {
		*why = "is not an IPv4 or IPv6 address";
		return -EINVAL;
	}
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, p->addr + 12) == 1) {
		p->family = AF_INET;
		p->addr[10] = p->addr[11] = 0xff;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, p->addr) == 1) {
		static const __u8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

		/* IPv4 lives in ::ffff:0:0/96 of the trie: keep each family to its own. */
		if (!memcmp(p->addr, mapped, sizeof(mapped))) {
			*why = "is an IPv4-mapped IPv6 address: write the IPv4 prefix instead";
			return -EINVAL;
		}
		p->family = AF_INET6;
		max = 128;
	} else {
		*why = "is not an IPv4 or IPv6 address";
		return -EINVAL;
	}
	p->len = max;
	if (slash) {
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end || errno) {
			*why = "has a prefix length that is not a number";
			return -EINVAL;
		}
		if (len > max) {
			*why = p->family == AF_INET ? "is too long for IPv4 (/0 to /32)"
						    : "is too long for IPv6 (/0 to /128)";
			return -EINVAL;
		}
		p->len = (unsigned int)len;
	}
	/* Host bits set past the prefix are almost always a typo: refuse them. */
	keylen = nl_prefix_keylen(p);
	for (i = keylen; i < 128; i++) {
		if (p->addr[i / 8] & (0x80 >> (i % 8))) {
			*why = "has host bits set past its prefix length";
			return -EINVAL;
		}
	}
	return 0;
}

bool nl_prefix_overlap(const struct nl_prefix *a, const struct nl_prefix *b)
{
	unsigned int la = nl_prefix_keylen(a), lb = nl_prefix_keylen(b);
	unsigned int n = la < lb ? la : lb, i;

	/* The families are separate address spaces: ::/0 does not hold 0.0.0.0/0. */
	if (a->family != b->family)
		return false;
	for (i = 0; i < n; i++) {
		__u8 m = 0x80 >> (i % 8);

		if ((a->addr[i / 8] & m) != (b->addr[i / 8] & m))
			return false;
	}
	return true;
}

char *nl_format_prefix(const struct nl_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(p->family, p->family == AF_INET ? p->addr + 12 : p->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, p->len);
	return buf;
}

int nl_parse_prefixes(const char *s, struct nl_prefix *v, size_t max, size_t *n, char *err,
		      size_t errlen)
{
	char item[128], fa[64], fb[64];
	const char *p = s, *why;
	size_t i;

	*n = 0;
	while (*p) {
		size_t l = strcspn(p, ",");

		if (!l || l >= sizeof(item)) {
			snprintf(err, errlen, "'%s' has an empty or overlong prefix", s);
			return -EINVAL;
		}
		if (*n == max) {
			snprintf(err, errlen, "at most %zu prefixes", max);
			return -E2BIG;
		}
		memcpy(item, p, l);
		item[l] = '\0';
		if (nl_parse_prefix(item, &v[*n], &why)) {
			snprintf(err, errlen, "'%s' %s", item, why);
			return -EINVAL;
		}
		for (i = 0; i < *n; i++) {
			if (nl_prefix_overlap(&v[i], &v[*n])) {
				snprintf(err, errlen,
					 "%s overlaps %s: give each address range once",
					 nl_format_prefix(&v[*n], fa, sizeof(fa)),
					 nl_format_prefix(&v[i], fb, sizeof(fb)));
				return -EINVAL;
			}
		}
		(*n)++;
		p += l;
		if (*p == ',' && !*++p) {
			snprintf(err, errlen, "'%s' ends with an empty prefix", s);
			return -EINVAL;
		}
	}
	if (!*n) {
		snprintf(err, errlen, "no prefix given");
		return -EINVAL;
	}
	return 0;
}
