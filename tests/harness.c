// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Test runner: finds the tests (build/tests/tests.inc, generated from the
 * sources), runs each in a forked child inside a fresh network namespace,
 * asserts that no cgroup, pin or nl_ program is left behind, and ends with
 * "N passed, N failed[, N skipped]".
 *
 *   test_netlimit [-v] [NAME_SUBSTRING...]
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include "harness.h"
#include "helpers.h"

struct test {
	const char *name;
	void (*fn)(void);
};

#define DEFINE_TEST(name) { #name, name },
static const struct test tests[] = {
#include "tests.inc"
};
#undef DEFINE_TEST

#define TEST_TIMEOUT_S 180

/* NETLIMIT_TEST_TIMEOUT (seconds) for long runs: `make test-scale` sets it. */
static int test_timeout(void)
{
	const char *s = getenv("NETLIMIT_TEST_TIMEOUT");
	int v = s ? atoi(s) : 0;

	return v > 0 ? v : TEST_TIMEOUT_S;
}

int test_failures;
bool test_skipped;

/* Shared with the parent so a test that dies still reports what it saw. */
struct outcome {
	int failures;
	bool skipped;
};
static struct outcome *shared;

void test_fail_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	test_failures++;
	if (shared)
		shared->failures = test_failures;
	fprintf(stderr, "    %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool require_root(void)
{
	if (geteuid() == 0)
		return true;
	if (in_ci()) {
		test_fail_at(__FILE__, __LINE__, "needs root, and CI must not skip");
		return false;
	}
	test_skipped = true;
	shared->skipped = true;
	fprintf(stderr, "    skipped: needs root\n");
	return false;
}

static void lo_up(void)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (!ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
}

int count_nl_progs(void)
{
	__u32 id = 0;
	int n = 0;

	while (!bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && !strncmp(info.name, "nl_", 3))
			n++;
		close(fd);
	}
	return n;
}

static int count_entries(const char *dir, bool dirs_only)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (dirs_only && de->d_type != DT_DIR)
			continue;
		n++;
	}
	closedir(d);
	return n;
}

/* Report and then remove whatever a test left, so the next test starts clean. */
static int check_leftovers(int progs_before)
{
	char cg[512];
	int bad = 0, n;

	test_cgroup_parent(cg, sizeof(cg));
	n = count_entries(cg, true);
	if (n) {
		fprintf(stderr, "    leftover: %d cgroup(s) in %s\n", n, cg);
		bad++;
	}
	n = test_ref_cgroups(false);
	if (n) {
		fprintf(stderr, "    leftover: %d server-meter cgroup(s)\n", n);
		bad++;
	}
	n = count_entries(test_state_dir(), false);
	if (n) {
		fprintf(stderr, "    leftover: %d entries in %s\n", n, test_state_dir());
		bad++;
	}
	/* Programs are freed after an RCU grace period: give them a moment. */
	for (int i = 0; i < 50 && (n = count_nl_progs()) > progs_before; i++)
		usleep(20000);
	if (n > progs_before) {
		fprintf(stderr, "    leftover: %d nl_ program(s) still loaded\n", n - progs_before);
		bad++;
	}
	if (bad)
		test_env_scrub();
	return bad;
}

static bool selected(const char *name, int argc, char **argv)
{
	int i, any = 0;

	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		any = 1;
		if (strstr(name, argv[i]))
			return true;
	}
	return !any;
}

static int run_one(const struct test *t)
{
	int status, progs_before = geteuid() == 0 ? count_nl_progs() : 0;
	struct timespec t0, t1;
	time_t deadline;
	pid_t pid, w;

	memset(shared, 0, sizeof(*shared));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGPIPE, SIG_IGN);
		/*
		 * A runner started in the background of a script ignores SIGINT and
		 * SIGQUIT, one under nohup SIGHUP, and so would every command a test
		 * starts: the tests that forward them would wait in vain.
		 */
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (geteuid() == 0) {
			if (unshare(CLONE_NEWNET)) {
				test_fail_at(__FILE__, __LINE__, "unshare(CLONE_NEWNET): %s",
					     strerror(errno));
				_exit(1);
			}
			lo_up();
			if (test_enter_procs()) {
				test_fail_at(__FILE__, __LINE__,
					     "cannot enter the tests' cgroup: %s", strerror(errno));
				_exit(1);
			}
		}
		test_failures = 0;
		test_skipped = false;
		t->fn();
		fflush(NULL);
		_exit(test_failures ? 1 : 0);
	}
	deadline = time(NULL) + test_timeout();
	for (;;) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (time(NULL) > deadline) {
			fprintf(stderr, "    timed out after %d s\n", test_timeout());
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			shared->failures++;
			break;
		}
		usleep(20000);
	}
	kill(-pid, SIGKILL); /* anything the test started and left running */
	if (WIFSIGNALED(status) && !shared->failures) {
		fprintf(stderr, "    died of signal %d\n", WTERMSIG(status));
		shared->failures++;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) && !shared->failures) {
		shared->failures++;
	}
	if (geteuid() == 0 && check_leftovers(progs_before))
		shared->failures++;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fflush(stderr);
	printf("%s %s (%.2fs)\n",
	       shared->failures	 ? "FAIL"
	       : shared->skipped ? "SKIP"
				 : "OK  ",
	       t->name, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return shared->failures ? 1 : shared->skipped ? 2 : 0;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0, skipped = 0;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
		      0);
	if (shared == MAP_FAILED)
		return 1;
	test_env_init(argv[0]);
	if (geteuid() == 0)
		test_env_scrub();
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (!selected(tests[i].name, argc, argv))
			continue;
		switch (run_one(&tests[i])) {
		case 0:
			passed++;
			break;
		case 2:
			skipped++;
			break;
		default:
			failed++;
		}
	}
	if (geteuid() == 0)
		test_env_fini();
	fflush(stderr);
	if (skipped)
		printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	else
		printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
