/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The requests users send the netlimit service (user/daemon.c) through its
 * unix socket (user/client.c), and the replies. Everything here reads
 * untrusted input: lengths, counts and characters are bounded, and the
 * fuzzer (tests/fuzz) runs every parser below.
 *
 * A message is a frame: 4 bytes of length (little endian), then the text.
 * A request's text:
 *	netlimit-request 1
 *	op=attach
 *	arg=--pid=4242
 *	arg=--out=1G
 * with op one of NL_REQ_OPS and values %XX-escaped outside printable
 * ASCII. A reply's text: "status=N", "out=...", "err=..." lines, the same way.
 * The service never runs what a user sent: it parses the arguments with a
 * table of the options each operation allows (nl_request_normalize) and
 * builds the command line it runs from what that parse kept.
 */
#ifndef NETLIMIT_REQUEST_H
#define NETLIMIT_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

#define NL_REQ_MAX (64 << 10)	 /* bytes of a request */
#define NL_REPLY_MAX (16 << 20)	 /* bytes of a reply: list of every limit */
#define NL_REQ_ARGS 64		 /* arguments of one request */
#define NL_REQ_ARG_LEN 1024	 /* bytes of one argument */
#define NL_REQ_PIDS 64		 /* processes one attach may name */
#define NL_SOCKET_DEFAULT "/run/netlimit/netlimit.sock"

enum nl_req_op {
	NL_REQ_NONE = 0,
	NL_REQ_LIST,
	NL_REQ_SHOW,
	NL_REQ_ATTACH,	  /* attach --pid of the caller's own processes */
	NL_REQ_SET,	  /* tighten a limit the caller made */
	NL_REQ_DETACH,	  /* remove a limit the caller made */
	NL_REQ_RUN_START, /* netlimit run: a limit on the caller's waiting child */
	NL_REQ_RUN_END,	  /* netlimit run: the child ended; report, remove the limit */
};

struct nl_request {
	enum nl_req_op op;
	int argc;
	char argv[NL_REQ_ARGS][NL_REQ_ARG_LEN];
	pid_t pid;	     /* RUN_START: the caller's child */
	__u32 id;	     /* RUN_END: the limit */
	int wstatus;	     /* RUN_END: the child's wait status */
	__u64 duration_ms;   /* RUN_END */
	bool json;	     /* RUN_END: the report as JSON */
	bool quiet;	     /* RUN_END: no report (run -q) */
	char command[256];   /* RUN_END: the command's name, for the report */
};

/* The operation's name on the wire; NULL for none. */
const char *nl_req_op_name(enum nl_req_op op);

/* Append key=value (escaped) to buf; false if it does not fit. */
bool nl_req_put(char *buf, size_t cap, size_t *len, const char *key, const char *value);
/* Encode a request; false if it does not fit NL_REQ_MAX. */
bool nl_request_encode(const struct nl_request *r, char *buf, size_t cap, size_t *len);
/* Parse a request's text; 0, or -EINVAL with why set. */
int nl_request_parse(const char *buf, size_t len, struct nl_request *r, const char **why);

/*
 * The request's arguments through the option table of its operation: the
 * arguments the service passes on (each --option=value or a positional),
 * and for attach and set what they name. 0, -EPERM for an option users may
 * not give, or -EINVAL, with why set.
 */
struct nl_req_norm {
	int argc;
	char argv[NL_REQ_ARGS][NL_REQ_ARG_LEN];
	pid_t pids[NL_REQ_PIDS]; /* attach: --pid */
	size_t npids;
	const char *target;	 /* show, set, detach: the limit's id or name (in argv) */
	bool json;
};
int nl_request_normalize(const struct nl_request *r, struct nl_req_norm *n, const char **why);

/* A reply: status, then what the command wrote. */
struct nl_reply {
	int status;
	char *out, *err; /* malloc'ed, NUL-terminated */
	size_t out_len, err_len;
};
/* Encode into a malloc'ed buffer; NULL if it would pass NL_REPLY_MAX. */
char *nl_reply_encode(int status, const char *out, size_t out_len, const char *err,
		      size_t err_len, size_t *len);
int nl_reply_parse(const char *buf, size_t len, struct nl_reply *r, const char **why);
void nl_reply_free(struct nl_reply *r);

/* The service's socket: opt if given, else $NETLIMIT_SOCKET, else NL_SOCKET_DEFAULT. */
const char *nl_socket_path(const char *opt);
/* A connected stream socket to path, or -errno (nobody listens: -ECONNREFUSED, -ENOENT). */
int nl_socket_connect(const char *path);

/* Frames on a stream socket: -errno on failure, -EMSGSIZE past max, -ETIMEDOUT (the whole read). */
int nl_frame_write(int fd, const char *buf, size_t len);
int nl_frame_read(int fd, char **buf, size_t *len, size_t max, int timeout_ms);

#endif
