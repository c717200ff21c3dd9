/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* `netlimit daemon`: the root service that acts for users (see user/daemon.c). */
#ifndef NETLIMIT_DAEMON_H
#define NETLIMIT_DAEMON_H

int nl_cmd_daemon(int argc, char **argv);

#endif
