/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* `netlimit save` and `netlimit restore`: limits as text, across reboots (user/save.c). */
#ifndef NETLIMIT_SAVE_H
#define NETLIMIT_SAVE_H

int nl_cmd_save(int argc, char **argv);
int nl_cmd_restore(int argc, char **argv);

#endif
