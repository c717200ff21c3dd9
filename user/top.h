/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* `netlimit top`: what uses the network, live (user/top.c, figures from user/usage.c). */
#ifndef NETLIMIT_TOP_H
#define NETLIMIT_TOP_H

int nl_cmd_top(int argc, char **argv);

#endif
