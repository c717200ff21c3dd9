/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Receive-side shaping of --in-rate in the caller's network namespace
 * (kernel half: bpf/shaper.bpf.c). While some limit has an in-rate: a veth
 * pair nlshape0/nlshape1 with an HTB class per in-rated limit on nlshape0,
 * nl_shape_in on the ingress of every other interface, nl_shape_back on
 * nlshape1's, and on loopback route_localnet and accept_local (a packet
 * coming back into lo has lost its route; the old values are kept in
 * nlshape0's alias and put back); sch_htb's hysteresis, the machine's, on
 * if it was off (off again with the pair), so that classes release packets
 * in batches. Without an in-rated limit, none of it.
 * NETLIMIT_SHAPER=off leaves interfaces alone: --in-rate then polices.
 */
#ifndef NETLIMIT_SHAPER_H
#define NETLIMIT_SHAPER_H

#include <stdbool.h>

struct nl_state;
struct nl_dp;

#define NL_SHAPE_DEV "nlshape0"
#define NL_SHAPE_PEER "nlshape1"

/*
 * Make this namespace's shaper match the limits of st: classes for the
 * in-rated ones, all of it gone when there are none. Says what failed.
 */
int nl_shaper_sync(struct nl_state *st, struct nl_dp *dp);
/* Whether this namespace has the shaper set up. */
bool nl_shaper_present(void);

#endif
