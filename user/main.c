// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* netlimit's entry point: finds the subcommand and hands over. */
#include <stdio.h>
#include <string.h>
#include "exitcode.h"
#include "log.h"
#include "attach.h"
#include "iface.h"
#include "manage.h"
#include "audit.h"
#include "inspect.h"
#include "top.h"
#include "watch.h"
#include "meter.h"
#include "run.h"
#include "save.h"
#include "serve.h"
#include "client.h"
#include "daemon.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
	{ "run", nl_cmd_run, "run a command under a data cap" },
	{ "attach", nl_cmd_attach, "cap processes or a cgroup that already run" },
	{ "host", nl_cmd_host, "cap traffic with an address or prefix, system-wide" },
	{ "iface", nl_cmd_iface, "cap everything crossing a network interface" },
	{ "down", nl_cmd_down, "bring interfaces down (no name: all but loopback)" },
	{ "up", nl_cmd_up, "bring interfaces up" },
	{ "list", nl_cmd_list, "every limit, with its use and state" },
	{ "show", nl_cmd_show, "one limit in full" },
	{ "top", nl_cmd_top, "what uses the network, live: processes, hosts, limits..." },
	{ "set", nl_cmd_set, "change a limit's caps live" },
	{ "reset", nl_cmd_reset, "zero a limit's counters" },
	{ "detach", nl_cmd_detach, "remove a limit" },
	{ "wait", nl_cmd_wait, "wait until a limit's cap is reached" },
	{ "gc", nl_cmd_gc, "remove limits whose targets are gone" },
	{ "audit", nl_cmd_audit, "one record per connection: who talked to whom, and how much" },
	{ "inspect", nl_cmd_inspect, "one process: its sockets, limits and network context" },
	{ "watch", nl_cmd_watch, "alert when a rate stays above a threshold, and at recovery" },
	{ "serve", nl_cmd_serve, "Prometheus metrics and a live page over HTTP, read only" },
	{ "save", nl_cmd_save, "write the limits that can be made again to a file" },
	{ "restore", nl_cmd_restore, "make the limits of a saved file again" },
	{ "meter", nl_cmd_meter, "count every socket's traffic: on, off, status" },
	{ "stat", nl_cmd_stat, "the meter's totals per cgroup and per process" },
	{ "daemon", nl_cmd_daemon, "the service: restores, saves, and acts for users who are not root" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"Usage: netlimit COMMAND [OPTIONS]\n\n"
		"Meter and cap network traffic with eBPF.\n\nCommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f,
		"\n'netlimit COMMAND --help' tells more. Examples:\n"
		"  sudo netlimit run --limit=25M -- curl -O https://example.com/file\n"
		"  sudo netlimit run --in=1G --on-limit=block -- ./backup.sh\n"
		"  sudo netlimit attach --pid=4242 --limit=100M --name=dl\n"
		"  sudo netlimit list\n"
		"  sudo netlimit top\n"
		"  sudo netlimit watch --above=10mbit --for=5s\n"
		"  sudo netlimit audit --json --output=/var/log/netlimit-audit.jsonl\n");
}

int main(int argc, char **argv)
{
	size_t i;

	nl_log_init();
	if (argc < 2) {
		usage(stderr);
		return NL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return NL_EXIT_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("netlimit %s\n", NETLIMIT_VERSION);
		return NL_EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		/* Users who are not root: through the netlimit service (user/client.c). */
		if (nl_client_wants(argv[1], argc - 1, argv + 1))
			return nl_client_run(argv[1], argc - 1, argv + 1);
		return commands[i].fn(argc - 1, argv + 1);
	}
	nl_err("unknown command '%s' (see 'netlimit --help')", argv[1]);
	return NL_EXIT_USAGE;
}
