// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer harness for every parser of untrusted text: sizes, durations,
 * prefixes and prefix lists, limit names, the netlimit service's requests
 * and replies (user/request.c), and the output side (UTF-8
 * validation, JSON strings, printable text). The first byte picks the
 * parser; the rest is the input. Built with clang's fuzzer, ASan and UBSan
 * (`make fuzz`); the checks below are the properties each must keep.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "dataplane.h"
#include "log.h"
#include "opts.h"
#include "prefix.h"
#include "rate.h"
#include "request.h"
#include "period_user.h"
#include "size.h"
#include "text.h"

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz: property broken: %s\n", what);
		abort();
	}
}

/* Every byte of s is valid UTF-8 and none is a control character. */
static int clean(const char *s, int allow_newline)
{
	size_t n = strlen(s), k;
	const unsigned char *u = (const unsigned char *)s;

	while (n) {
		k = nl_utf8_len(u, n);
		if (!k || (*u < 0x20 && !(allow_newline && *u == '\n')) || *u == 0x7f)
			return 0;
		u += k;
		n -= k;
	}
	return 1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Refusals print a line each: `make fuzz` runs with -close_fd_mask=2. */
	nl_verbosity = NL_QUIET;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nl_prefix v[NL_MAX_PREFIXES];
	char *s, out[1024], err[128];
	const char *why = NULL, *name;
	struct nl_prefix p;
	__u64 x = 0;
	size_t n = 0;

	if (!size)
		return 0;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 10) {
	case 0:
		if (!nl_parse_size(s, &x, &why))
			check(x > 0, "an accepted size is above zero");
		else
			check(why && *why, "a refused size says why");
		break;
	case 1:
		if (nl_parse_duration(s, &x, &why))
			check(why && *why, "a refused duration says why");
		break;
	case 2:
		if (!nl_parse_prefix(s, &p, &why)) {
			check(p.family == AF_INET ? p.len <= 32 : p.len <= 128, "prefix length");
			nl_format_prefix(&p, out, sizeof(out));
			check(!nl_parse_prefix(out, &v[0], &why) && v[0].len == p.len &&
				      !memcmp(v[0].addr, p.addr, 16),
			      "a printed prefix parses back to itself");
		}
		break;
	case 3:
		if (!nl_parse_prefixes(s, v, NL_MAX_PREFIXES, &n, err, sizeof(err)))
			for (size_t i = 0; i < n; i++)
				for (size_t j = i + 1; j < n; j++)
					check(!nl_prefix_overlap(&v[i], &v[j]),
					      "an accepted list has no overlap");
		break;
	case 4:
		if (nl_opt_name(s, &name))
			for (const char *c = name; *c; c++)
				check(nl_name_char_ok(*c), "an accepted name has safe characters");
		break;
	case 6:
		if (!nl_parse_rate(s, &x, &why))
			check(x > 0, "an accepted rate is above zero");
		else
			check(why && *why, "a refused rate says why");
		break;
	case 7: {
		/* A request as it comes off the socket: whole text, NULs and all. */
		static struct nl_request r, back;
		static struct nl_req_norm nr;
		static char enc[NL_REQ_MAX];
		size_t len;

		if (!nl_request_parse((const char *)data + 1, size - 1, &r, &why)) {
			check(r.op != NL_REQ_NONE && r.argc <= NL_REQ_ARGS, "a parsed request is whole");
			if (!nl_request_normalize(&r, &nr, &why)) {
				check(nr.argc <= NL_REQ_ARGS && nr.npids <= NL_REQ_PIDS,
				      "normalized arguments are bounded");
				for (int i = 0; i < nr.argc; i++)
					check(strlen(nr.argv[i]) < NL_REQ_ARG_LEN &&
						      (!strncmp(nr.argv[i], "--", 2) ||
						       nr.argv[i][0] != '-'),
					      "each is an --option or a positional");
			} else {
				check(why && *why, "a refused request says why");
			}
			if (nl_request_encode(&r, enc, sizeof(enc), &len)) {
				check(!nl_request_parse(enc, len, &back, &why) && back.op == r.op &&
					      back.argc == r.argc && back.pid == r.pid &&
					      back.id == r.id,
				      "an encoded request parses back to itself");
				for (int i = 0; i < r.argc; i++)
					check(!strcmp(back.argv[i], r.argv[i]), "argument kept");
			}
		} else {
			check(why && *why, "a refused request says why");
		}
		break;
	}
	case 9: {
		struct nl_period_spec ps;
		char pname[32];

		if (!nl_period_parse(s, &ps, &why)) {
			check(ps.kind != NL_PERIOD_NONE &&
				      (ps.kind != NL_PERIOD_MONTH || (ps.day >= 1 && ps.day <= 31)),
			      "an accepted period is whole");
			nl_period_name(&ps, pname, sizeof(pname));
			check(!nl_period_parse(pname, &ps, &why),
			      "a printed period parses back");
		} else {
			check(why && *why, "a refused period says why");
		}
		break;
	}
	case 8: {
		struct nl_reply rep;

		if (!nl_reply_parse((const char *)data + 1, size - 1, &rep, &why)) {
			check(rep.status >= 0 && rep.status <= 255, "a status is an exit status");
			check((!rep.out || strlen(rep.out) == rep.out_len) &&
				      (!rep.err || strlen(rep.err) == rep.err_len),
			      "output has no NUL inside");
			nl_reply_free(&rep);
		}
		break;
	}
	default: {
		FILE *f = fmemopen(out, sizeof(out), "w");

		check(clean(nl_printable(s, err, sizeof(err)), 0), "printable is clean");
		if (f && strlen(s) < sizeof(out) / 7) {
			nl_json_string(f, s);
			fputc('\0', f);
			fclose(f);
			check(clean(out, 0), "a JSON string is valid UTF-8 without controls");
		} else if (f) {
			fclose(f);
		}
	}
	}
	free(s);
	return 0;
}
