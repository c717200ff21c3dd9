/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* `netlimit watch`: alerts when a rate passes a threshold, and when it recovers. */
#ifndef NETLIMIT_WATCH_H
#define NETLIMIT_WATCH_H

int nl_cmd_watch(int argc, char **argv);

#endif
