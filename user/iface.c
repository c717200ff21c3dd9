// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Interface limits: an entry naming the limit (nl_iface_slots or nl_ifaces), and tcx links of
 * the shared tc programs (bpf/iface.bpf.c, loaded once: user/dataplane.c
 * nl_dp__iface) on the interface, counting everything that crosses it into
 * the limit's dataplane slot; the links are pinned in the limit's directory.
 * And `down`/`up`, as netman had them.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include "exitcode.h"
#include "create.h"
#include "gc.h"
#include "iface.h"
#include "link.h"
#include "log.h"
#include "opts.h"
#include "preflight.h"
#include "limit.h"
#include "report.h"
#include "state.h"
#include "guard.h"

static const char iface_usage[] =
	"Usage: netlimit iface IFACE CAPS [OPTIONS]\n"
	"       netlimit down [IFACE...]     (no name: every interface but loopback)\n"
	"       netlimit up IFACE...\n"
	"\n"
	"Count everything that crosses IFACE (in this network namespace), and cap it.\n"
	"\n"
	"Caps: -l, --limit=SIZE (in+out), --in=SIZE, --out=SIZE (a cap or a rate at least)\n"
	NL_RATES_HELP
	NL_PERIOD_HELP
	"Options:\n"
	"      --on-limit=drop   drop what exceeds the cap (default)\n"
	"      --on-limit=down   and bring the interface down at the cap\n"
	"      --on-limit=throttle:RATE  past the cap, let traffic go on at RATE (in+out)\n"
	"      --count=l3|wire   IP bytes (default), or wire bytes as the interface\n"
	"                        counters see them (per-segment headers + link header)\n"
	"  -n, --name=NAME, --json, -v, -q, -h\n"
	"\n"
	"Examples:\n"
	"  sudo netlimit iface wlan0 --limit=2GB --count=wire --on-limit=down\n"
	"  sudo netlimit down && sudo netlimit up eth0\n"
	"  sudo netlimit iface eth0 --out-rate=100mbit\n";

static const char links_usage[] =
	"Usage: netlimit down [IFACE...]     (no name: every interface but loopback)\n"
	"       netlimit up IFACE...\n"
	"\n"
	"Bring interfaces down or up, as netman did. Every name is checked before\n"
	"any changes; IPv6 addresses survive down (keep_addr_on_down).\n"
	"\n"
	"Examples:\n"
	"  sudo netlimit down\n"
	"  sudo netlimit up eth0 wlan0\n";

int nl_cmd_iface(int argc, char **argv)
{
	static const struct option longopts[] = {
		NL_CAP_LONGOPTS,
		{ "count", required_argument, NULL, NL_OPT_COUNT },
		{ "on-limit", required_argument, NULL, NL_OPT_ON_LIMIT },
		NL_COMMON_LONGOPTS,
		{ 0 },
	};
	struct nl_lim_opts qo = { .sz = sizeof(qo) };
	static struct nl_scope_opts scope;
	char target[NL_TARGET_LEN], dir[512];
	const char *name = NULL, *ifname;
	struct nl_create cr = { .own_fd = -1 };
	int c, status, err, ifindex, taken, action = NL_ACT_BLOCK;
	struct nl_common_opts cm;
	bool json;
	__u32 hlen;

	nl_common_init(&cm, &scope);
	cm.scope_count_only = true;
	while ((c = nl_getopt(argc, argv, ":l:n:vqh", longopts, &cm)) != -1) {
		switch (c) {
		case NL_OPT_REFUSED:
			return NL_EXIT_USAGE;
		case NL_OPT_ON_LIMIT:
			if (!strcmp(optarg, "drop")) {
				action = NL_ACT_BLOCK;
			} else if (!strcmp(optarg, "down")) {
				action = NL_ACT_DOWN;
			} else if (!strncmp(optarg, "throttle:", 9)) {
				if (!nl_opt_action(optarg, &action, &cm.caps))
					return NL_EXIT_USAGE;
			} else {
				nl_err("--on-limit: '%s' is not 'drop', 'down' or 'throttle:RATE'", optarg);
				return NL_EXIT_USAGE;
			}
			break;
		case 'h':
			fputs(iface_usage, stdout);
			return NL_EXIT_OK;
		default:
			nl_opt_unknown("iface", c, argv);
			return NL_EXIT_USAGE;
		}
	}
	name = cm.name;
	json = cm.json;
	nl_verbosity = cm.verbosity;
	if (optind != argc - 1) {
		nl_err("iface takes one interface name (see 'netlimit iface --help')");
		return NL_EXIT_USAGE;
	}
	ifname = argv[optind];
	if (!nl_caps_complete(&cm.caps, action, "iface"))
		return NL_EXIT_USAGE;
	status = nl_preflight("netlimit iface");
	if (status)
		return status;
	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex || nl_link_hlen(ifname, &hlen)) {
		nl_err("no interface named '%s' in this network namespace (see 'ip link')", ifname);
		return NL_EXIT_NOTARGET;
	}

	status = nl_create__begin(&cr, "netlimit iface");
	if (status)
		goto out;
	/* One limit per interface: two would both count every packet. */
	taken = nl_lim__iface_owner(cr.st, ifindex, nl_netns_id());
	if (taken) {
		nl_err("%s already has limit %d: change it with 'netlimit set %d'", ifname, taken,
		       taken);
		status = NL_EXIT_USAGE;
		goto out;
	}
	snprintf(target, sizeof(target), "iface %s", ifname);
	qo.kind = NL_KIND_IFACE;
	qo.action = (__u32)action;
	qo.cap_in = cm.caps.in;
	qo.cap_out = cm.caps.out;
	qo.cap_total = cm.caps.total;
	qo.rates = cm.caps.rates;
	qo.period = cm.caps.period;
	qo.name = name;
	qo.target = target;
	qo.wire = scope.wire;
	qo.link_hlen = hlen;
	qo.ifindex = (__u32)ifindex;
	qo.netns = nl_netns_id();
	status = nl_create__limit(&cr, &qo);
	if (status)
		goto out;
	err = nl_lim__attach_iface(cr.q);
	if (err == -ENOSPC) {
		/* As a full limits table (user/create.c). */
		nl_err("netlimit holds at least %d interface limits and has no room for another "
		       "here: remove some with 'netlimit detach'",
		       NL_MAX_IFACES);
		status = nl_exit_for_errno(err);
		goto out;
	}
	if (err) {
		nl_err("cannot attach to %s: %s (tcx links need Linux 6.6 or later)", ifname,
		       strerror(-err));
		status = nl_exit_for_errno(err);
		goto out;
	}
	nl_state__new_path(cr.st, cr.id, dir, sizeof(dir));
	err = nl_lim__pin(cr.q, dir);
	if (err) {
		nl_err("cannot pin the limit's links in %s: %s", dir, strerror(-err));
		status = NL_EXIT_FAIL;
		goto out;
	}
	status = nl_create__commit(&cr);
	if (status)
		goto out;
	if (action == NL_ACT_DOWN) {
		err = nl_guard_start(cr.st, cr.id, cr.own_fd, 0);
		if (err) {
			nl_err("cannot start the watcher that brings %s down: %s", ifname,
			       strerror(-err));
			cr.committed = false;
			status = NL_EXIT_FAIL;
			goto out;
		}
	}
	if (json)
		nl_print_new_json(cr.id, name ? name : "", target);
	else
		printf("%u\n", cr.id);
	nl_info("limit %u on %s (%s at the cap, %s bytes)", cr.id, ifname,
		action == NL_ACT_DOWN ? "down" : "drop", scope.wire ? "wire" : "L3");
	status = NL_EXIT_OK;
out:
	nl_create__end(&cr);
	return status;
}

static int change_links(int argc, char **argv, bool up)
{
	struct if_nameindex *all = NULL;
	const char *cmd = up ? "up" : "down";
	int i, err, n = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(links_usage, stdout);
			return NL_EXIT_OK;
		}
		if (argv[i][0] == '-') {
			nl_err("unknown option '%s' (see 'netlimit %s --help')", argv[i], cmd);
			return NL_EXIT_USAGE;
		}
	}
	if (up && argc < 2) {
		nl_err("up needs the interfaces to bring up, e.g. 'netlimit up eth0'");
		return NL_EXIT_USAGE;
	}
	if (geteuid() != 0) {
		nl_err("netlimit %s needs root to change interfaces; run it with sudo", cmd);
		return NL_EXIT_NOPERM;
	}
	/* Every name is checked before any link changes. */
	for (i = 1; i < argc; i++) {
		if (nl_link_is_up(argv[i]) < 0) {
			nl_err("no interface named '%s' in this network namespace (see 'ip link')",
			       argv[i]);
			return NL_EXIT_NOTARGET;
		}
	}
	if (argc < 2) {
		struct if_nameindex *p;

		all = if_nameindex();
		for (p = all; p && p->if_index; p++) {
			if (!strcmp(p->if_name, "lo") || nl_link_is_up(p->if_name) != 1)
				continue;
			err = nl_link_set_up(p->if_name, false);
			if (err) {
				nl_err("cannot bring %s down: %s", p->if_name, strerror(-err));
				if_freenameindex(all);
				return nl_exit_for_errno(err);
			}
			nl_info("%s down", p->if_name);
			n++;
		}
		if_freenameindex(all);
		if (!n)
			nl_info("no interface but loopback was up");
		return NL_EXIT_OK;
	}
	for (i = 1; i < argc; i++) {
		err = nl_link_set_up(argv[i], up);
		if (err) {
			nl_err("cannot bring %s %s: %s", argv[i], cmd, strerror(-err));
			return nl_exit_for_errno(err);
		}
		nl_info("%s %s", argv[i], cmd);
	}
	return NL_EXIT_OK;
}

int nl_cmd_down(int argc, char **argv)
{
	return change_links(argc, argv, false);
}

int nl_cmd_up(int argc, char **argv)
{
	return change_links(argc, argv, true);
}
