/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* `netlimit serve`: Prometheus metrics, a live page and its JSON, read only (user/serve.c). */
#ifndef NETLIMIT_SERVE_H
#define NETLIMIT_SERVE_H

int nl_cmd_serve(int argc, char **argv);

#endif
