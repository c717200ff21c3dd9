// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Text from data on its way out: see user/text.h. */
#include <string.h>
#include "text.h"

size_t nl_utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned int cp;

	if (!n)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and past U+10FFFF are not UTF-8. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

void nl_json_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str, *run = s;
	size_t n = strlen(str), k;

	/* Plain text goes out in runs, one fwrite each: escapes end a run. */
	fputc_unlocked('"', f);
	while (n) {
		k = nl_utf8_len(s, n);
		if (k && *s != '"' && *s != '\\' && *s >= 0x20 && *s != 0x7f) {
			s += k;
			n -= k;
			continue;
		}
		if (s > run)
			fwrite_unlocked(run, 1, (size_t)(s - run), f);
		if (!k) {
			fputs_unlocked("\\ufffd", f);
			k = 1;
		} else if (*s == '"' || *s == '\\') {
			fputc_unlocked('\\', f);
			fputc_unlocked(*s, f);
		} else {
			fprintf(f, "\\u%04x", *s);
		}
		s += k;
		n -= k;
		run = s;
	}
	if (s > run)
		fwrite_unlocked(run, 1, (size_t)(s - run), f);
	fputc_unlocked('"', f);
}

const char *nl_printable(const char *str, char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), k, o = 0;

	if (!len)
		return "";
	while (n && o + 1 < len) {
		k = nl_utf8_len(s, n);
		if (!k || *s < 0x20 || *s == 0x7f) {
			buf[o++] = '?';
			k = k ? k : 1;
		} else if (o + k < len) {
			memcpy(buf + o, s, k);
			o += k;
		} else {
			break;
		}
		s += k;
		n -= k;
	}
	buf[o] = '\0';
	return buf;
}
