/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Removal of limits whose owner died and whose processes are gone. */
#ifndef NETLIMIT_GC_H
#define NETLIMIT_GC_H

#include <stdbool.h>

struct nl_state;

/* Call with the state lock held. Returns how many limits were removed. */
int nl_gc(struct nl_state *st, bool verbose);

#endif
