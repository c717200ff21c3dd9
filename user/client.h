/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The user side of the netlimit service: a command run by a user who is not
 * root goes through the service's socket (user/daemon.c) instead of bpffs.
 */
#ifndef NETLIMIT_CLIENT_H
#define NETLIMIT_CLIENT_H

#include <stdbool.h>

/* Whether a user's `netlimit CMD` goes through the service (not --help: that is local). */
bool nl_client_wants(const char *cmd, int argc, char **argv);
/* Run it there: the command's exit status. */
int nl_client_run(const char *cmd, int argc, char **argv);

#endif
