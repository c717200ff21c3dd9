/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Making a limit, the one protocol run, attach, host and iface share:
 *
 *	struct nl_create c;
 *	status = nl_create__begin(&c, "netlimit attach");  // state, lock, gc, id, owner lock
 *	status = nl_create__limit(&c, &opts);               // the slot, filled
 *	... nl_lim__attach_*(c.q, ...) ...
 *	status = nl_create__commit(&c);                     // listed from here on
 *	nl_create__end(&c);  // unlock; a limit never committed is taken out again
 *
 * Each step prints its one line on failure and returns an exit status
 * (0 on success); nl_create__end() is the one abort path.
 */
#ifndef NETLIMIT_CREATE_H
#define NETLIMIT_CREATE_H

#include <stdbool.h>
#include <linux/types.h>

struct nl_state;
struct nl_lim;
struct nl_lim_opts;

struct nl_create {
	struct nl_state *st;
	struct nl_lim *q;
	__u32 id;
	int own_fd;	/* the owner's lock on the limit's directory */
	bool locked;	/* the state lock */
	bool committed; /* listed: nl_create__end keeps it */
};

int nl_create__begin(struct nl_create *c, const char *cmd);
/* Fill the slot; o->id is set here. */
int nl_create__limit(struct nl_create *c, struct nl_lim_opts *o);
int nl_create__commit(struct nl_create *c);
/* Let other invocations in while the limit stays (run, before its command starts). */
void nl_create__unlock(struct nl_create *c);
void nl_create__end(struct nl_create *c);

#endif
