/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* `netlimit iface`, `netlimit down`, `netlimit up`. */
#ifndef NETLIMIT_IFACE_H
#define NETLIMIT_IFACE_H

int nl_cmd_iface(int argc, char **argv);
int nl_cmd_down(int argc, char **argv);
int nl_cmd_up(int argc, char **argv);

#endif
