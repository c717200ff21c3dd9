// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A user's netlimit: list, show, attach --pid, set, detach and run go to the
 * netlimit service (user/daemon.c) over its socket; what it says is printed
 * here, with its exit status.
 *
 * run: the command is this process's child, started stopped on a pipe; the
 * service puts a process limit on it (checked to be our child, as us), and
 * only then is it let go, so its first byte is counted. It runs with our
 * terminal, environment and directory; signals we get are passed on. When
 * it ends, the service reports and removes the limit.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "client.h"
#include "exitcode.h"
#include "log.h"
#include "request.h"
#include "run.h"

/* Operations take this long at most on a loaded machine (attach of many processes). */
#define REPLY_TIMEOUT_MS 120000

static enum nl_req_op op_of(const char *cmd)
{
	static const struct {
		const char *cmd;
		enum nl_req_op op;
	} map[] = {
		{ "list", NL_REQ_LIST },     { "show", NL_REQ_SHOW },	  { "attach", NL_REQ_ATTACH },
		{ "set", NL_REQ_SET },	     { "detach", NL_REQ_DETACH }, { "run", NL_REQ_RUN_START },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].cmd, cmd))
			return map[i].op;
	return NL_REQ_NONE;
}

bool nl_client_wants(const char *cmd, int argc, char **argv)
{
	if (geteuid() == 0 || op_of(cmd) == NL_REQ_NONE)
		return false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return false;
	}
	return true;
}

static int connect_service(const char *cmd)
{
	const char *path = nl_socket_path(NULL);
	int fd = nl_socket_connect(path);

	if (fd >= 0)
		return fd;
	nl_err("%s needs root, or the netlimit service for users (%s: %s): run it with sudo, or "
	       "ask root to start netlimit.service",
	       cmd, path, strerror(-fd));
	return -1;
}

/* Send r, print the reply's output; its status (and the reply kept in *keep if given). */
static int ask(const char *cmd, const struct nl_request *r, struct nl_reply *keep)
{
	static char buf[NL_REQ_MAX];
	struct nl_reply rep;
	const char *why;
	char *in = NULL;
	size_t len, in_len = 0;
	int fd, err;

	if (!nl_request_encode(r, buf, sizeof(buf), &len)) {
		nl_err("%s: the arguments are too long for the netlimit service", cmd);
		return NL_EXIT_USAGE;
	}
	fd = connect_service(cmd);
	if (fd < 0)
		return NL_EXIT_NOPERM;
	err = nl_frame_write(fd, buf, len);
	if (!err)
		err = nl_frame_read(fd, &in, &in_len, NL_REPLY_MAX, REPLY_TIMEOUT_MS);
	close(fd);
	if (err) {
		nl_err("%s: no answer from the netlimit service: %s", cmd, strerror(-err));
		return NL_EXIT_FAIL;
	}
	err = nl_reply_parse(in, in_len, &rep, &why);
	free(in);
	if (err) {
		nl_err("%s: the netlimit service's answer %s", cmd, why);
		return NL_EXIT_FAIL;
	}
	if (!keep && rep.out_len)
		fwrite(rep.out, 1, rep.out_len, stdout);
	if (rep.err_len)
		fwrite(rep.err, 1, rep.err_len, stderr);
	fflush(NULL);
	if (keep)
		*keep = rep;
	else
		nl_reply_free(&rep);
	return rep.status;
}

static bool add_args(struct nl_request *r, int from, int to, char **argv)
{
	for (int i = from; i < to; i++) {
		if (!strcmp(argv[i], "--"))
			continue;
		if (r->argc >= NL_REQ_ARGS || strlen(argv[i]) >= NL_REQ_ARG_LEN)
			return false;
		snprintf(r->argv[r->argc++], NL_REQ_ARG_LEN, "%s", argv[i]);
	}
	return true;
}

/*
 * Where run's command starts: run's own parser finds it (and refuses a bad
 * size or rate here, with run's own words, before anything is asked).
 */
static int command_index(int argc, char **argv, int *status)
{
	static struct nl_run_opts o;

	if (!nl_run_parse(argc, argv, &o, status))
		return -1;
	return (int)(o.argv - argv);
}

static volatile sig_atomic_t child_pid;

static void pass_on(int sig)
{
	if (child_pid > 0)
		kill((pid_t)child_pid, sig);
}

static int user_run(int argc, char **argv)
{
	struct nl_request *r = calloc(1, sizeof(*r));
	struct sigaction sa = { .sa_handler = pass_on };
	struct timespec t0, t1;
	struct nl_reply rep;
	int go[2], at, status, wst = 0;
	const char *idp;
	pid_t pid;
	bool json = false, quiet = false;

	if (!r)
		return NL_EXIT_FAIL;
	at = command_index(argc, argv, &status);
	if (at < 0) {
		free(r);
		return status;
	}
	for (int i = 1; i < at; i++) {
		json |= !strcmp(argv[i], "--json");
		quiet |= !strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet");
	}
	r->op = NL_REQ_RUN_START;
	if (!add_args(r, 1, at, argv)) {
		nl_err("run: the arguments are too long for the netlimit service");
		free(r);
		return NL_EXIT_USAGE;
	}
	if (pipe2(go, O_CLOEXEC)) {
		nl_err("pipe: %s", strerror(errno));
		free(r);
		return NL_EXIT_FAIL;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		nl_err("fork: %s", strerror(errno));
		free(r);
		return NL_EXIT_FAIL;
	}
	if (pid == 0) {
		char b;

		close(go[1]);
		/* Nothing but a go from our parent, once the limit covers us, starts the command. */
		if (read(go[0], &b, 1) != 1)
			_exit(NL_EXIT_FAIL);
		execvp(argv[at], argv + at);
		b = errno == ENOENT;
		nl_err("%s: %s", argv[at], b ? "command not found" : strerror(errno));
		_exit(b ? NL_EXIT_NOCMD : NL_EXIT_NOEXEC);
	}
	close(go[0]);
	r->pid = pid;
	status = ask("run", r, &rep);
	idp = status ? NULL : strstr(rep.out ? rep.out : "", "\"id\":");
	if (!idp) {
		nl_reply_free(&rep);
		close(go[1]); /* the child ends without running anything */
		waitpid(pid, NULL, 0);
		free(r);
		return status ? status : NL_EXIT_FAIL;
	}
	memset(r, 0, sizeof(*r));
	r->id = (__u32)strtoul(idp + 5, NULL, 10);
	nl_reply_free(&rep);
	child_pid = pid;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (write(go[1], "x", 1) != 1)
		nl_err("cannot start the command: %s", strerror(errno));
	close(go[1]);
	while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
		;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	child_pid = 0;
	r->op = NL_REQ_RUN_END;
	r->wstatus = wst;
	r->json = json;
	r->quiet = quiet;
	r->duration_ms = (__u64)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
	snprintf(r->command, sizeof(r->command), "%s", argv[at]);
	status = ask("run", r, NULL);
	free(r);
	return status;
}

int nl_client_run(const char *cmd, int argc, char **argv)
{
	struct nl_request *r;
	int status;

	if (!strcmp(cmd, "run"))
		return user_run(argc, argv);
	r = calloc(1, sizeof(*r));
	if (!r)
		return NL_EXIT_FAIL;
	r->op = op_of(cmd);
	if (!add_args(r, 1, argc, argv)) {
		nl_err("%s: the arguments are too long for the netlimit service", cmd);
		free(r);
		return NL_EXIT_USAGE;
	}
	status = ask(cmd, r, NULL);
	free(r);
	return status;
}
