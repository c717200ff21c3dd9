// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * What `make install` puts in place: the tree a Debian package would have,
 * a man page that man(1) renders and that names every command and option,
 * bash completion (driven the way bash drives it), the service's unit run
 * by its own command line; `make uninstall` takes it all away.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"
#include "helpers.h"

static const char *build_dir(void)
{
	static char build[512];

	snprintf(build, sizeof(build), "%s", bin("netlimit"));
	*strrchr(build, '/') = '\0';
	return build;
}

/* `make install` as a Debian package's rules would run it, into tmp. */
static bool install_into(const char *tmp)
{
	return !sh("make -s BUILD=%s install PREFIX=/usr DESTDIR=%s >/dev/null", build_dir(), tmp);
}

void test_install_package_tree(void)
{
	char tmp[] = "/tmp/nl-pkg-XXXXXX";
	struct proc p;
	char *argv[] = { "/bin/sh", "-c", NULL, NULL }, cmd[1024];

	if (!require_root())
		return;
	if (!ASSERT_TRUE(mkdtemp(tmp), "dir"))
		return;
	if (!ASSERT_TRUE(install_into(tmp), "make install"))
		goto out;
	snprintf(cmd, sizeof(cmd), "cd %s && find . -type f -printf '%%m %%p\\n' | sort", tmp);
	argv[2] = cmd;
	proc_run(&p, argv, 20);
	ASSERT_STREQ(p.out,
		     "644 ./lib/systemd/system/netlimit-serve.service\n"
		     "644 ./lib/systemd/system/netlimit.service\n"
		     "644 ./usr/share/bash-completion/completions/netlimit\n"
		     "644 ./usr/share/man/man8/netlimit.8.gz\n"
		     "755 ./usr/sbin/netlimit\n",
		     "a Debian package's tree, modes and all");
	ASSERT_EQ(sh("grep -q '^ExecStart=/usr/sbin/netlimit daemon ' "
		     "%s/lib/systemd/system/netlimit.service",
		     tmp),
		  0, "the unit runs the installed binary");
	/* man renders it: sections, every command, the exit statuses. */
	snprintf(cmd, sizeof(cmd), "MANWIDTH=100 man -l %s/usr/share/man/man8/netlimit.8.gz", tmp);
	proc_run(&p, argv, 20);
	ASSERT_EQ(p.status, 0, "man -l");
	ASSERT_HAS(p.out, "netlimit - meter and cap network traffic", "NAME");
	ASSERT_HAS(p.out, "EXIT STATUS", "EXIT STATUS");
	ASSERT_HAS(p.out, "netlimit ended the command at its cap", "status 120 explained");
	ASSERT_HAS(p.out, "EXAMPLES", "EXAMPLES");
	ASSERT_HAS(p.out, "USERS", "what users may do");
	ASSERT_EQ(sh("make -s BUILD=%s uninstall PREFIX=/usr DESTDIR=%s >/dev/null", build_dir(),
		     tmp),
		  0, "make uninstall");
	snprintf(cmd, sizeof(cmd), "find %s -type f", tmp);
	proc_run(&p, argv, 20);
	ASSERT_STREQ(p.out, "", "nothing left");
out:
	sh("rm -rf %s", tmp);
}

/* Every command of `netlimit --help`, and every --option of each command's --help, in the page. */
void test_install_man_covers_all(void)
{
	char cmd[2048];
	struct proc p;
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };

	snprintf(cmd, sizeof(cmd),
		 "page=$(MANWIDTH=200 man -l %s/netlimit.8 2>/dev/null); missing=; n=0; "
		 "for c in $(%s --help | sed -n 's/^  \\([a-z]*\\) .*/\\1/p'); do n=$((n+1)); "
		 "  echo \"$page\" | grep -qw -- \"$c\" || missing=\"$missing $c\"; "
		 "  for o in $(%s $c --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do "
		 "    echo \"$page\" | grep -q -- \"$o\" || missing=\"$missing $c:$o\"; "
		 "  done; "
		 "done; echo \"$n missing:$missing\"",
		 build_dir(), bin("netlimit"), bin("netlimit"));
	proc_run(&p, argv, 60);
	/* Every command netlimit has, not a list that came out empty. */
	ASSERT_GT(atoi(p.out), 20, "commands checked");
	ASSERT_HAS(p.out, " missing:\n", "the man page names every command and option");
	ASSERT_FALSE(strstr(p.out, " missing: "), "none missing");
}

/* Ask the completion what bash would offer for the words given; the last word is completed. */
static void complete(struct proc *p, const char *words)
{
	char cmd[2048];
	char *argv[] = { "/bin/bash", "-c", cmd, NULL };

	snprintf(cmd, sizeof(cmd),
		 "PATH=%s:/usr/bin:/bin; . completion/netlimit.bash; COMP_WORDS=(%s); "
		 "[ \"${words: -1}\" = ' ' ] && COMP_WORDS+=(''); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); "
		 "_netlimit; printf '%%s\\n' \"${COMPREPLY[@]}\" | sort",
		 build_dir(), words);
	proc_run(p, argv, 20);
}

void test_install_completion(void)
{
	struct proc p;

	if (!require_root())
		return;
	ASSERT_EQ(sh("bash -c '. completion/netlimit.bash && complete -p netlimit' >/dev/null"), 0,
		  "registered for netlimit");
	complete(&p, "netlimit a");
	ASSERT_STREQ(p.out, "attach\naudit\n", "commands");
	complete(&p, "netlimit attach --p");
	ASSERT_STREQ(p.out, "--period=\n--pid=\n", "a command's options");
	complete(&p, "netlimit run --on-limit=");
	ASSERT_STREQ(p.out, "--on-limit=block\n--on-limit=down\n--on-limit=drop\n--on-limit=kill\n"
			    "--on-limit=throttle:\n",
		     "an option's values");
	complete(&p, "netlimit run --period=mo");
	ASSERT_STREQ(p.out, "--period=month\n--period=month:\n", "periods");
	/* The test's own network namespace: loopback and one veth of ours. */
	ASSERT_EQ(sh("ip link add nlc0 type veth peer name nlc1"), 0, "veth");
	complete(&p, "netlimit iface nl");
	ASSERT_STREQ(p.out, "nlc0\nnlc1\n", "interfaces");
	complete(&p, "netlimit down l");
	ASSERT_STREQ(p.out, "lo\n", "interfaces for down");
	sh("ip link del nlc0");
	netlimit(&p, "host", "192.0.2.77", "--in=1M", "--name=compl-test", "-q", NULL);
	complete(&p, "netlimit show comp");
	ASSERT_STREQ(p.out, "compl-test\n", "limit names");
	complete(&p, "netlimit set compl-test --in");
	ASSERT_STREQ(p.out, "--in-rate=\n--in=\n", "set's options");
	complete(&p, "netlimit run --limit=1M -- cur");
	ASSERT_STREQ(p.out, "\n", "run's command is the shell's to complete");
	netlimit(&p, "detach", "compl-test", "-q", NULL);
}

/* netlimit.service's own command line (paths moved to a temporary dir): serves, saves, stops. */
void test_install_service_unit(void)
{
	char tmp[] = "/tmp/nl-unitd-XXXXXX", exec[1024], cmd[2048];
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	struct proc d = { .pid = 0 }, p;
	bool up = false;

	if (!require_root())
		return;
	if (!ASSERT_TRUE(mkdtemp(tmp), "dir"))
		return;
	if (!ASSERT_TRUE(install_into(tmp), "make install"))
		goto out;
	snprintf(cmd, sizeof(cmd),
		 "sed -n 's|^ExecStart=||p' %s/lib/systemd/system/netlimit.service | "
		 "sed 's|/usr/sbin/|%s/usr/sbin/|; s|/run/netlimit|%s/run|; s|/var/lib/netlimit|%s|'",
		 tmp, tmp, tmp, tmp);
	proc_run(&p, argv, 20);
	snprintf(exec, sizeof(exec), "%.*s", (int)strcspn(p.out, "\n"), p.out);
	ASSERT_HAS(exec, "--save-interval=5m", "saves every 5 minutes (README's figure)");
	snprintf(cmd, sizeof(cmd), "exec %s", exec);
	proc_start(&d, argv);
	for (int i = 0; i < 100 && !up; i++) {
		msleep(50);
		up = !sh("test -S %s/run/netlimit.sock", tmp);
	}
	if (!ASSERT_TRUE(up, "the unit's command listens"))
		goto out;
	netlimit(&p, "host", "192.0.2.78", "--in=3M", "--name=unit-kept", "-q", NULL);
	proc_kill(&d, SIGTERM);
	d.pid = 0;
	ASSERT_EQ(d.status, 0, "stops cleanly at SIGTERM (systemctl stop)");
	ASSERT_EQ(sh("grep -q 'name=unit-kept' %s/limits", tmp), 0, "and saved at stop");
out:
	netlimit(&p, "detach", "unit-kept", "-q", NULL);
	if (d.pid > 0)
		proc_kill(&d, SIGKILL);
	sh("rm -rf %s", tmp);
}
