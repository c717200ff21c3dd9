/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What the end-to-end tests share: running binaries, traffic servers, counters. */
#ifndef NETLIMIT_TEST_HELPERS_H
#define NETLIMIT_TEST_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

bool in_ci(void);

/* Test state and cgroup parent, kept apart from a real netlimit's. */
void test_env_init(const char *argv0);
void test_env_scrub(void);
void test_env_fini(void);
const char *test_state_dir(void);
/* Server-side meter cgroups (ref_meter) that exist; remove them when asked. */
int test_ref_cgroups(bool remove);
void test_cgroup_parent(char *buf, size_t len);
/* The tests' cgroup subtree, where the dataplane attaches. */
void test_base_cgroup(char *buf, size_t len);
/* Move this process into <base>/procs, below the dataplane. */
int test_enter_procs(void);
struct proc;
/* A cgroup of the test's own beside the ones `run` makes (below the dataplane). */
bool test_make_cgroup(const char *name, char *path, size_t len);
/* Start argv inside a cgroup (it enters before exec). */
int start_in_cgroup(struct proc *p, const char *cgroup, char **argv);
/* Path of a binary built beside test_netlimit. */
const char *bin(const char *name);

/* A process run by a test, with its stderr captured. */
struct proc {
	pid_t pid;
	int err_fd, out_fd;
	char err[65536];
	char out[16384];
	size_t err_len, out_len;
	int status; /* exit status, or 128+signal; -1 if it timed out */
};

/* A struct proc in memory shared with forked children. */
struct proc *mmap_shared_proc(void);
int proc_start(struct proc *p, char *const argv[]);
int proc_finish(struct proc *p, int timeout_s);
int proc_run(struct proc *p, char *const argv[], int timeout_s);
/* Signal it and reap it at once, even while its children hold its pipes. */
int proc_kill(struct proc *p, int sig);
/* Until p printed "port N" on stdout (at most 5 s): N, or 0. */
int printed_port(struct proc *p);
/* Run argv as user nobody; p must be a mmap_shared_proc(). */
int run_as_nobody(struct proc *p, char **argv);
/* Run build/netlimit with the given arguments (NULL-terminated). */
int netlimit(struct proc *p, ...) __attribute__((sentinel));
int netlimit_bg(struct proc *p, ...) __attribute__((sentinel));

/* A value of the last JSON line in text: number or true/false as 1/0. */
bool json_u64(const char *text, const char *key, unsigned long long *v);
/* The value of key in the first object after anchor ("\"pid\":42,", "\"id\":7,"). */
bool json_u64_after(const char *text, const char *anchor, const char *key, unsigned long long *v);
/* The same, failing the test (at the caller's line) when the key is missing. */
unsigned long long json_at(const char *file, int line, const char *text, const char *key);
#define J(text, key) json_at(__FILE__, __LINE__, (text), (key))

/* A number as an argument string (16 rotating buffers). */
char *num(unsigned long long v);
/* build/nltraffic, the traffic generator the tests run. */
char *traffic(void);

/* Loopback's transmit counters in this namespace: every packet crosses it once. */
void lo_l3(unsigned long long *bytes, unsigned long long *packets);

/* Servers on loopback, run as threads of the test process (outside any limit). */
struct server;
struct server *udp_sink(int family, int *port);
struct server *tcp_sink(int family, int *port);		    /* reads to EOF, then closes */
struct server *tcp_source(int family, int *port, size_t n); /* sends n bytes, closes */
/* A UDP sink on one address (v4 or v6 text). */
struct server *udp_sink_at(const char *addr, int *port);
struct server *tcp_sink_at(const char *addr, int *port);
unsigned long long server_bytes(struct server *s);
unsigned long long server_msgs(struct server *s);
void server_stop(struct server *s);

/*
 * Meter this test process itself (its server threads) in a cgroup of its own:
 * cgroup ingress sees every packet, so the server's ingress is an exact
 * reference for what the client under netlimit sent.
 */
struct ref_meter;
struct nl_limit;
struct ref_meter *ref_meter_start(void);
void ref_meter_stop(struct ref_meter *r, struct nl_limit *out);

/*
 * A peer host: a network namespace held by a child process, linked to this
 * one by a veth pair (here: name, there: peer). It goes with the child.
 */
struct peer {
	pid_t pid;
	int self_ns;
};
int peer_start(struct peer *p, const char *name, const char *peer, bool ipv6);
/* Run a shell command here, or inside the peer's namespace. */
int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int peer_sh(struct peer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Enter the peer's namespace (servers made now live there), and come back. */
int peer_enter(struct peer *p);
void peer_leave(struct peer *p);
void peer_stop(struct peer *p);
/* An interface's counters from /proc/net/dev (this namespace). */
void dev_counters(const char *dev, unsigned long long *rxb, unsigned long long *rxp,
		  unsigned long long *txb, unsigned long long *txp);

/* Wait until a file has content (a PID file), up to timeout_ms. */
pid_t read_pidfile(const char *path, int timeout_ms);
bool pid_alive(pid_t pid);
void msleep(int ms);

#endif
