// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Making a limit: see user/create.h. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "create.h"
#include "exitcode.h"
#include "gc.h"
#include "limit.h"
#include "log.h"
#include "dataplane_user.h"
#include "shaper.h"
#include "state.h"

int nl_create__begin(struct nl_create *c, const char *cmd)
{
	int err;

	memset(c, 0, sizeof(*c));
	c->own_fd = -1;
	err = nl_state__open(&c->st, true);
	if (err) {
		nl_err("%s: cannot open netlimit's state in bpffs: %s", cmd, strerror(-err));
		return nl_exit_for_errno(err);
	}
	err = nl_state__lock(c->st);
	if (err) {
		nl_err("%s: cannot lock netlimit's state: %s", cmd, strerror(-err));
		return nl_exit_for_errno(err);
	}
	c->locked = true;
	if (nl_gc_due(c->st))
		nl_gc(c->st, false);
	err = nl_lim__alloc_id(c->st, &c->id);
	if (err) {
		if (err == -EUSERS)
			nl_err("netlimit holds at most %d limits and all are in use: remove some "
			       "with 'netlimit detach'",
			       NL_MAX_LIMITS - 1);
		else if (err != -EEXIST) /* an older netlimit's state: said already */
			nl_err("%s: cannot create a limit in %s: %s", cmd, nl_state__root(c->st),
			       strerror(-err));
		return nl_exit_for_errno(err);
	}
	c->own_fd = nl_state__own(c->st, c->id);
	if (c->own_fd < 0) {
		nl_err("%s: cannot lock limit %u: %s", cmd, c->id, strerror(-c->own_fd));
		return NL_EXIT_FAIL;
	}
	return NL_EXIT_OK;
}

int nl_create__limit(struct nl_create *c, struct nl_lim_opts *o)
{
	int err;

	o->id = c->id;
	err = nl_lim__new(c->st, o, &c->q);
	if (err) {
		nl_err("cannot make the limit: %s", strerror(-err));
		return nl_exit_for_errno(err);
	}
	return NL_EXIT_OK;
}

int nl_create__commit(struct nl_create *c)
{
	int err = nl_state__commit(c->st, c->id);

	if (err) {
		nl_err("cannot commit limit %u in %s: %s", c->id, nl_state__root(c->st),
		       strerror(-err));
		return NL_EXIT_FAIL;
	}
	c->committed = true;
	/* What it receives waits in the shaper (user/shaper.c) rather than being dropped. */
	if (c->q && nl_lim__limit(c->q)->rate[NL_B_IN] &&
	    nl_shaper_sync(c->st, nl_lim__dp(c->q)))
		nl_err("limit %u's --in-rate polices what arrives instead (drops, not a queue)",
		       c->id);
	return NL_EXIT_OK;
}

void nl_create__unlock(struct nl_create *c)
{
	if (c->locked)
		nl_state__unlock(c->st);
	c->locked = false;
}

void nl_create__end(struct nl_create *c)
{
	nl_lim__free(c->q);
	c->q = NULL;
	if (c->st && c->id && !c->committed) {
		if (!c->locked)
			c->locked = !nl_state__lock(c->st);
		nl_limit_remove(c->st, c->id, 0);
	}
	nl_create__unlock(c);
	if (c->own_fd >= 0)
		close(c->own_fd);
	c->own_fd = -1;
	nl_state__free(c->st);
	c->st = NULL;
}
