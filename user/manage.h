/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The limits that exist, from any terminal: list, show, set, reset, detach, wait, gc. */
#ifndef NETLIMIT_MANAGE_H
#define NETLIMIT_MANAGE_H

#include <linux/types.h>

int nl_cmd_list(int argc, char **argv);
int nl_cmd_show(int argc, char **argv);
int nl_cmd_set(int argc, char **argv);
int nl_cmd_reset(int argc, char **argv);
int nl_cmd_detach(int argc, char **argv);
int nl_cmd_wait(int argc, char **argv);
int nl_cmd_gc(int argc, char **argv);

struct nl_state;
/* An id, or the name of exactly one limit: 0, or an exit status after one line. */
int nl_limit_resolve(struct nl_state *st, const char *arg, __u32 *id);

#endif
