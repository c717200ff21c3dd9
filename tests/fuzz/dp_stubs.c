// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The fuzzer links user/period.c for its parser; the dataplane calls that
 * file also makes are never reached from a parser: these stand in for them.
 */
#include <stdlib.h>
#include "dataplane_user.h"

int nl_dp__map_fd(const struct nl_dp *dp, enum nl_dp_map m)
{
	(void)dp;
	(void)m;
	abort();
}

struct nl_limit *nl_dp__limit(const struct nl_dp *dp, __u32 id)
{
	(void)dp;
	(void)id;
	abort();
}

int nl_dp__period_fd(const struct nl_dp *dp)
{
	(void)dp;
	abort();
}

int nl_dp__open(struct nl_state *st, bool create, struct nl_dp **dp)
{
	(void)st;
	(void)create;
	(void)dp;
	abort();
}

void nl_dp__free(struct nl_dp *dp)
{
	(void)dp;
	abort();
}
