// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Receive-side shaping of --in-rate: see user/shaper.h. Links, qdiscs and
 * classes through libnl-route-3; the tc programs through libbpf.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/tc.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/class.h>
#include <netlink/route/classifier.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/qdisc/fifo.h>
#include "dataplane.h"
#include "dataplane_user.h"
#include "link.h"
#include "log.h"
#include "rate.h"
#include "shaper.h"
#include "state.h"
#include "shaper.skel.h"

/* The filters' priority and handle on every interface's ingress. */
#define SHAPE_PRIO 0x4e4c
#define SHAPE_HANDLE 1
/* A 64 KiB packet (loopback's MTU) crosses the pair whole. */
#define SHAPE_MTU 65535
/*
 * What a class may queue: this long at its rate, and never less than 16
 * largest packets. Each TCP flow keeps about 3 ms of the rate there, or two
 * segments (its window is clamped: bpf/dataplane.bpf.c shape_window).
 */
#define SHAPE_QUEUE_MS 100
#define SHAPE_QUEUE_MIN (16 * SHAPE_MTU)
/*
 * HTB releases a backlogged class one packet per timer (at 1 Gbit/s, 89,000
 * timers and as many wake-ups of the receiver a second), unless sch_htb's
 * hysteresis is on: then a class goes on sending until it is a buffer in
 * debt, and waits until it is out of it. The parameter is the machine's, for
 * every HTB qdisc; make_pair turns it on if it was off, and teardown off
 * again (nlshape0's alias says whether it was netlimit's doing). Each class's
 * buffer is SHAPE_BATCH_US at its rate (at least NL_BURST_MIN, one frame), at
 * most half its burst: after an idle spell two buffers pass at once.
 */
#define HTB_HYSTERESIS "/sys/module/sch_htb/parameters/htb_hysteresis"
#define SHAPE_BATCH_US 1000
/* nlshape0's alias: the loopback settings to put back, and whether netlimit turned hysteresis on. */
#define SHAPE_ALIAS "netlimit shaper, lo had route_localnet=%c accept_local=%c, set htb_hysteresis=%c"

static bool shaper_off(void)
{
	const char *v = getenv("NETLIMIT_SHAPER");

	return v && !strcmp(v, "off");
}

bool nl_shaper_present(void)
{
	return if_nametoindex(NL_SHAPE_DEV) != 0;
}

/* The first character of a setting's file ('0' if unreadable); write set there when it is not 0. */
static char knob(const char *path, char set)
{
	char c = '0';
	int fd;

	fd = open(path, set ? O_WRONLY | O_CLOEXEC : O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return c;
	if (set)
		c = write(fd, &set, 1) == 1 ? set : '0';
	else if (read(fd, &c, 1) != 1)
		c = '0';
	close(fd);
	return c;
}

static char lo_sysctl(const char *name, char set)
{
	char path[96];

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/lo/%s", name);
	return knob(path, set);
}

static void ipv6_off(const char *dev)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", dev);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			nl_verbose("cannot turn IPv6 off on %s", dev);
		close(fd);
	}
}

/* Change link name: MTU, up, alias (any of them 0/NULL: unchanged). */
static int link_change(struct nl_sock *sk, const char *name, unsigned mtu, bool up,
		       const char *alias)
{
	struct rtnl_link *old = NULL, *ch = rtnl_link_alloc();
	int err;

	if (!ch)
		return -NLE_NOMEM;
	err = rtnl_link_get_kernel(sk, 0, name, &old);
	if (!err) {
		if (mtu)
			rtnl_link_set_mtu(ch, mtu);
		if (up)
			rtnl_link_set_flags(ch, IFF_UP);
		if (alias)
			rtnl_link_set_ifalias(ch, alias);
		err = rtnl_link_change(sk, old, ch, 0);
	}
	rtnl_link_put(ch);
	if (old)
		rtnl_link_put(old);
	return err;
}

/*
 * nlshape0's root: HTB with a size table of no table, only an overhead of
 * -14, so classes charge skb->len less the link header: IP bytes with one
 * header per GSO packet, as the dataplane counts (HTB alone would charge
 * every segment's headers). libnl has no size tables: the message by hand.
 */
static int htb_root(struct nl_sock *sk, int ifindex)
{
	struct tcmsg t = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex,
			   .tcm_handle = TC_HANDLE(NL_SHAPE_MAJOR, 0), .tcm_parent = TC_H_ROOT };
	struct tc_htb_glob g = { .version = 3, .rate2quantum = 10 };
	struct tc_sizespec sz = { .overhead = -14, .linklayer = TC_LINKLAYER_ETHERNET };
	struct nlattr *nest;
	struct nl_msg *m;

	m = nlmsg_alloc_simple(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE);
	if (!m)
		return -NLE_NOMEM;
	if (nlmsg_append(m, &t, sizeof(t), NLMSG_ALIGNTO) || nla_put_string(m, TCA_KIND, "htb") ||
	    !(nest = nla_nest_start(m, TCA_OPTIONS)) ||
	    nla_put(m, TCA_HTB_INIT, sizeof(g), &g) || nla_nest_end(m, nest) ||
	    !(nest = nla_nest_start(m, TCA_STAB)) ||
	    nla_put(m, TCA_STAB_BASE, sizeof(sz), &sz) || nla_nest_end(m, nest)) {
		nlmsg_free(m);
		return -NLE_NOMEM;
	}
	return nl_send_sync(sk, m);
}

/*
 * The pair and its HTB root; the loopback settings saved in the alias, then
 * set; HTB's hysteresis on (a failure leaves it as it was).
 */
static int make_pair(struct nl_sock *sk)
{
	char alias[128], hy;
	int err, ifindex;

	err = rtnl_link_veth_add(sk, NL_SHAPE_DEV, NL_SHAPE_PEER, getpid());
	if (err && err != -NLE_EXIST)
		return err;
	ipv6_off(NL_SHAPE_DEV);
	ipv6_off(NL_SHAPE_PEER);
	hy = knob(HTB_HYSTERESIS, 0) == '0' && knob(HTB_HYSTERESIS, '1') == '1' ? 'y' : 'n';
	snprintf(alias, sizeof(alias), SHAPE_ALIAS, lo_sysctl("route_localnet", 0),
		 lo_sysctl("accept_local", 0), hy);
	if ((err = link_change(sk, NL_SHAPE_PEER, SHAPE_MTU, true, NULL)) ||
	    (err = link_change(sk, NL_SHAPE_DEV, SHAPE_MTU, true, alias)))
		goto fail;
	ifindex = (int)if_nametoindex(NL_SHAPE_DEV);
	err = htb_root(sk, ifindex);
	if (err)
		goto fail;
	if (if_nametoindex("lo")) {
		lo_sysctl("route_localnet", '1');
		lo_sysctl("accept_local", '1');
	}
	return 0;
fail:
	if (hy == 'y')
		knob(HTB_HYSTERESIS, '0');
	return err;
}

/* Limit l's class on nlshape0: its in-rate, its burst, and a short queue. */
static int put_class(struct nl_sock *sk, int ifindex, __u32 id, const struct nl_limit *l)
{
	__u64 rate = l->rate[NL_B_IN] / 8, burst = l->burst[NL_B_IN], limit, buf;
	struct rtnl_class *c = rtnl_class_alloc();
	struct rtnl_qdisc *q;
	int err;

	if (!c)
		return -NLE_NOMEM;
	rtnl_tc_set_ifindex(TC_CAST(c), ifindex);
	rtnl_tc_set_parent(TC_CAST(c), TC_HANDLE(NL_SHAPE_MAJOR, 0));
	rtnl_tc_set_handle(TC_CAST(c), TC_HANDLE(NL_SHAPE_MAJOR, id));
	err = rtnl_tc_set_kind(TC_CAST(c), "htb");
	if (!err) {
		rtnl_htb_set_rate64(c, rate);
		rtnl_htb_set_ceil64(c, rate);
		buf = rate * SHAPE_BATCH_US / 1000000;
		if (buf < NL_BURST_MIN)
			buf = NL_BURST_MIN;
		if (buf > burst / 2)
			buf = burst / 2;
		rtnl_htb_set_rbuffer(c, (uint32_t)(buf > 0xffffff ? 0xffffff : buf));
		rtnl_htb_set_cbuffer(c, (uint32_t)(buf > 0xffffff ? 0xffffff : buf));
		rtnl_htb_set_quantum(c, SHAPE_MTU);
		err = rtnl_class_add(sk, c, NLM_F_CREATE);
	}
	rtnl_class_put(c);
	if (err)
		return err;
	/* A byte FIFO under it, for a few flows' clamped windows. */
	limit = rate * SHAPE_QUEUE_MS / 1000;
	if (limit < SHAPE_QUEUE_MIN)
		limit = SHAPE_QUEUE_MIN;
	q = rtnl_qdisc_alloc();
	if (!q)
		return -NLE_NOMEM;
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_HANDLE(NL_SHAPE_MAJOR, id));
	err = rtnl_tc_set_kind(TC_CAST(q), "bfifo");
	if (!err) {
		rtnl_qdisc_fifo_set_limit(q, (int)(limit > 0x7fffffff ? 0x7fffffff : limit));
		err = rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_REPLACE);
	}
	rtnl_qdisc_put(q);
	return err;
}

struct classes {
	struct nl_sock *sk;
	const __u8 *want; /* by minor: the class should be there */
	int err;
};

static void drop_stale(struct nl_object *o, void *arg)
{
	struct rtnl_class *c = (struct rtnl_class *)o;
	struct classes *cl = arg;
	__u32 minor = TC_H_MIN(rtnl_tc_get_handle(TC_CAST(c)));
	int err;

	if (TC_H_MAJ(rtnl_tc_get_handle(TC_CAST(c))) != TC_HANDLE(NL_SHAPE_MAJOR, 0) ||
	    cl->want[minor])
		return;
	err = rtnl_class_delete(cl->sk, c);
	if (err && !cl->err)
		cl->err = err;
}

/* Classes on nlshape0 for exactly the limits in want. */
static int sync_classes(struct nl_sock *sk, struct nl_dp *dp, const __u8 *want)
{
	int ifindex = (int)if_nametoindex(NL_SHAPE_DEV), err;
	struct classes cl = { sk, want, 0 };
	struct nl_cache *cache;
	__u32 id;

	if (!ifindex)
		return -NLE_OBJ_NOTFOUND;
	err = rtnl_class_alloc_cache(sk, ifindex, &cache);
	if (err)
		return err;
	nl_cache_foreach(cache, drop_stale, &cl);
	nl_cache_free(cache);
	for (id = 1; id < NL_MAX_LIMITS && !cl.err; id++)
		if (want[id])
			cl.err = put_class(sk, ifindex, id, nl_dp__limit(dp, id));
	return cl.err;
}

/* nl_shape_in on every interface's ingress but the pair's, nl_shape_back on nlshape1's. */
static int attach_filters(struct nl_dp *dp)
{
	struct shaper_bpf *skel[2] = { NULL, NULL }; /* by link header: 14, 0 */
	struct if_nameindex *all = if_nameindex(), *p;
	int dev = (int)if_nametoindex(NL_SHAPE_DEV), err = 0, i;

	if (!all)
		return -errno;
	for (p = all; p->if_index && !err; p++) {
		bool back = !strcmp(p->if_name, NL_SHAPE_PEER);
		__u32 hlen = 14;
		struct shaper_bpf **s;

		if (!strcmp(p->if_name, NL_SHAPE_DEV) || (!back && nl_link_hlen(p->if_name, &hlen)))
			continue;
		s = &skel[hlen ? 0 : 1];
		if (!*s) {
			*s = shaper_bpf__open();
			if (!*s) {
				err = -errno;
				break;
			}
			(*s)->rodata->nl_shape_dev = (__u32)dev;
			(*s)->rodata->nl_shape_hlen = hlen;
			if ((err = bpf_map__reuse_fd((*s)->maps.nl_limits,
						     nl_dp__map_fd(dp, NL_MAP_LIMITS))) ||
			    (err = bpf_map__reuse_fd((*s)->maps.nl_scopes,
						     nl_dp__map_fd(dp, NL_MAP_SCOPES))) ||
			    (err = bpf_map__reuse_fd((*s)->maps.nl_rings,
						     nl_dp__map_fd(dp, NL_MAP_RINGS))) ||
			    (err = bpf_map__reuse_fd((*s)->maps.nl_socks,
						     nl_dp__map_fd(dp, NL_MAP_SOCKS))) ||
			    (err = shaper_bpf__load(*s)))
				break;
		}
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)p->if_index,
				    .attach_point = BPF_TC_INGRESS);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = SHAPE_HANDLE,
				    .priority = SHAPE_PRIO, .flags = BPF_TC_F_REPLACE);
		opts.prog_fd = bpf_program__fd(back ? (*s)->progs.nl_shape_back :
						      (*s)->progs.nl_shape_in);
		err = bpf_tc_hook_create(&hook);
		if (err == -EEXIST)
			err = 0;
		if (!err)
			err = bpf_tc_attach(&hook, &opts);
		if (err)
			nl_err("cannot attach the shaper to %s: %s", p->if_name, strerror(-err));
	}
	if_freenameindex(all);
	for (i = 0; i < 2; i++)
		shaper_bpf__destroy(skel[i]); /* the filters hold the programs */
	return err;
}

/* Number of filters left on ifindex's clsact (ingress and egress), or -1. */
static int filters_left(struct nl_sock *sk, int ifindex)
{
	__u32 parents[2] = { TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS),
			     TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS) };
	struct nl_cache *cache;
	int n = 0, i;

	for (i = 0; i < 2; i++) {
		if (rtnl_cls_alloc_cache(sk, ifindex, parents[i], &cache))
			return -1;
		n += nl_cache_nitems(cache);
		nl_cache_free(cache);
	}
	return n;
}

/* Every piece of the shaper off this namespace, the loopback settings back. */
static int teardown(struct nl_sock *sk)
{
	struct rtnl_link *dev = NULL;
	struct if_nameindex *all = if_nameindex(), *p;
	char rl = '0', al = '0', hy = 'n';
	const char *alias;
	int err;

	for (p = all; p && p->if_index; p++) {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)p->if_index,
				    .attach_point = BPF_TC_INGRESS);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = SHAPE_HANDLE,
				    .priority = SHAPE_PRIO);

		if (bpf_tc_detach(&hook, &opts))
			continue;
		/* Its clsact goes too when nothing else is on it. */
		if (filters_left(sk, (int)p->if_index) == 0) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
		}
	}
	if (all)
		if_freenameindex(all);
	err = rtnl_link_get_kernel(sk, 0, NL_SHAPE_DEV, &dev);
	if (err)
		return err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV ? 0 : err;
	alias = rtnl_link_get_ifalias(dev);
	if (alias && sscanf(alias, SHAPE_ALIAS, &rl, &al, &hy) >= 2 && if_nametoindex("lo")) {
		lo_sysctl("route_localnet", rl);
		lo_sysctl("accept_local", al);
	}
	if (hy == 'y')
		knob(HTB_HYSTERESIS, '0');
	err = rtnl_link_delete(sk, dev);
	rtnl_link_put(dev);
	return err;
}

int nl_shaper_sync(struct nl_state *st, struct nl_dp *dp)
{
	__u8 *want = NULL;
	struct nl_sock *sk;
	size_t n = 0, i, shaped = 0;
	__u32 *ids = NULL;
	int err;

	if (shaper_off())
		return 0;
	want = calloc(NL_MAX_LIMITS, 1);
	if (!want || nl_state__ids(st, &ids, &n)) {
		free(want);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct nl_limit *l = nl_dp__limit(dp, ids[i]);

		if (l && l->kind && l->rate[NL_B_IN] && ids[i] <= 0xffff) {
			want[ids[i]] = 1;
			shaped++;
		}
	}
	free(ids);
	sk = nl_socket_alloc();
	if (!sk || nl_connect(sk, NETLINK_ROUTE)) {
		nl_err("cannot reach the kernel's routing netlink to shape --in-rate");
		err = -EIO;
		goto out;
	}
	if (!shaped) {
		err = teardown(sk);
		if (err)
			nl_err("cannot remove the --in-rate shaper (%s): %s", NL_SHAPE_DEV,
			       nl_geterror(err));
		goto out;
	}
	err = nl_shaper_present() ? 0 : make_pair(sk);
	if (err) {
		nl_err("cannot set up the --in-rate shaper (%s): %s", NL_SHAPE_DEV,
		       nl_geterror(err));
		goto out;
	}
	err = sync_classes(sk, dp, want);
	if (err) {
		nl_err("cannot set the --in-rate shaper's classes on %s: %s", NL_SHAPE_DEV,
		       nl_geterror(err));
		goto out;
	}
	err = attach_filters(dp);
out:
	if (sk)
		nl_socket_free(sk);
	free(want);
	return err ? -EIO : 0;
}
