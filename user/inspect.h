/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* `netlimit inspect PID`: one process, its sockets and the network it sees. */
#ifndef NETLIMIT_INSPECT_H
#define NETLIMIT_INSPECT_H

int nl_cmd_inspect(int argc, char **argv);

#endif
