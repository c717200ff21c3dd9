/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The limits that exist, from any terminal: list, show, set, reset, detach, wait, gc. */
#ifndef NETLIMIT_MANAGE_H
#define NETLIMIT_MANAGE_H

int nl_cmd_list(int argc, char **argv);
int nl_cmd_show(int argc, char **argv);
int nl_cmd_set(int argc, char **argv);
int nl_cmd_reset(int argc, char **argv);
int nl_cmd_detach(int argc, char **argv);
int nl_cmd_wait(int argc, char **argv);
int nl_cmd_gc(int argc, char **argv);

#endif
