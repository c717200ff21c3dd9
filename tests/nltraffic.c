// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Traffic the tests run under netlimit, with exactly known byte counts:
 *   nltraffic udp ADDR PORT COUNT SIZE [GAP_US]   COUNT datagrams of SIZE bytes
 *   nltraffic tcp-send ADDR PORT BYTES [FLOWS]    FLOWS parallel connections
 *   nltraffic tcp-recv ADDR PORT                  read until the server closes
 *   nltraffic tcp-blast ADDR PORT BYTES           queue BYTES in a big send buffer and
 *                                                 exit at once: the kernel sends them
 *   nltraffic daemon PIDFILE CMD [ARGS...]        double-fork CMD, detach it
 *   nltraffic serve ADDR BYTES                    send BYTES to every client; prints
 *                                                 "port N", serves until killed
 *   nltraffic udp-threads ADDR PORT THREADS COUNT SIZE GAP_US
 *                                                 THREADS threads, each like `udp`
 *   nltraffic fork-after MS|@FILE CMD [ARGS...]   sleep MS, or wait until FILE exists,
 *                                                 then fork CMD and wait
 *   nltraffic sleep MS
 *   nltraffic flood ADDR PORT COUNT SIZE         like `udp`, as fast as it can; prints "pps N"
 *   nltraffic udp-sink ADDR PORT                  receive and drop datagrams until killed
 *   nltraffic park N                              N child processes that wait; prints their
 *                                                 PIDs, ends them at SIGTERM
 *   nltraffic udp-on-usr1 ADDR PORT COUNT SIZE    like `udp`, once SIGUSR1 arrives
 *   nltraffic udp-fork ADDR PORT COUNT SIZE       send COUNT, and a child process
 *                                                 2 x COUNT; prints "child PID"
 *   nltraffic hold ADDR UPORT COUNT SIZE TPORT    COUNT datagrams on a connected UDP socket,
 *                                                 then a TCP connection to TPORT; prints
 *                                                 "ready", holds both until killed
 *   nltraffic conns-serve ADDR                    serve with nothing to send, for tcp-conns at
 *                                                 high rates (one thread, epoll); "port N"
 *   nltraffic tcp-conns ADDR PORT N SIZE          N connections in turn, each sends SIZE
 *                                                 bytes and closes; prints "conns N rate R"
 *   nltraffic udp-peers ADDR PORT1 PORT2 COUNT SIZE  one unconnected UDP socket: COUNT
 *                                                 datagrams to each port, alternating
 *   nltraffic sockets ADDR PORT N                 N connected UDP sockets, one datagram each,
 *                                                 held until killed; prints "ready"
 *   nltraffic forks N                             fork N children that exit at once, one
 *                                                 at a time; prints "us_per_fork X"
 *   nltraffic timed CMD [ARGS...]                 run CMD (its output to /dev/null) and
 *                                                 print its wall time, "us X"; exits as CMD
 *   nltraffic tcp-for ADDR PORT MS [FLOWS]        FLOWS connections send as fast as they
 *                                                 may for MS ms, then reset; prints "queued N"
 *   nltraffic udp-for ADDR PORT MS SIZE           datagrams of SIZE as fast as they go, MS ms
 *   nltraffic tcp-recv-for ADDR PORT MS           read for MS ms, then reset; "received N"
 *   nltraffic tcp-mss ADDR PORT                   connect, print the segment size the
 *                                                 connection got ("mss N"), close
 *   nltraffic echo-serve ADDR                     echo every byte back; prints "port N"
 *   nltraffic ping-pong ADDR PORT N               N one-byte round trips; prints
 *                                                 "rtt_us p50 X p99 Y"
 * Prints what it did on stdout ("sent N", "received N").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

static long serve_bytes;

static int addr_of(const char *host, const char *port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((unsigned short)atoi(port));
		*len = sizeof(*a4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((unsigned short)atoi(port));
		*len = sizeof(*a6);
		return AF_INET6;
	}
	fprintf(stderr, "nltraffic: bad address %s\n", host);
	exit(2);
}

static int connect_to(const char *host, const char *port, int type)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int family = addr_of(host, port, &ss, &len);
	int fd = socket(family, type, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len)) {
		perror("nltraffic: connect");
		exit(1);
	}
	return fd;
}

static int udp(int argc, char **argv)
{
	long count, size, gap_us = 0, i, sent = 0;
	char *buf;
	int fd;

	if (argc < 6)
		return 2;
	count = atol(argv[4]);
	size = atol(argv[5]);
	if (argc > 6)
		gap_us = atol(argv[6]);
	buf = calloc(1, (size_t)size + 1);
	fd = connect_to(argv[2], argv[3], SOCK_DGRAM);
	for (i = 0; i < count; i++) {
		/* A refused datagram is lost, as on a congested link: keep going. */
		if (send(fd, buf, (size_t)size, 0) == size)
			sent++;
		if (gap_us)
			usleep((useconds_t)gap_us);
	}
	printf("sent %ld\n", sent);
	free(buf);
	close(fd);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int flood(int argc, char **argv)
{
	long count, size, i;
	char buf[65536] = { 0 };
	double t0;
	int fd;

	if (argc < 6)
		return 2;
	count = atol(argv[4]);
	size = atol(argv[5]);
	if (size < 0 || size > (long)sizeof(buf))
		return 2;
	fd = connect_to(argv[2], argv[3], SOCK_DGRAM);
	t0 = now_s();
	for (i = 0; i < count; i++)
		if (send(fd, buf, (size_t)size, 0) < 0 && errno != ENOBUFS && errno != EPERM)
			break;
	printf("pps %.0f\n", (double)count / (now_s() - t0));
	close(fd);
	return 0;
}

static int udp_sink_cmd(int argc, char **argv)
{
	struct sockaddr_storage ss;
	char buf[65536];
	socklen_t len;
	int fd, big = 8 << 20;

	if (argc < 4)
		return 2;
	fd = socket(addr_of(argv[2], argv[3], &ss, &len), SOCK_DGRAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len))
		return 1;
	for (;;)
		if (recv(fd, buf, sizeof(buf), 0) < 0 && errno != EINTR)
			return 1;
}

/* Sockets with known traffic that stay open, for `netlimit inspect`. */
static int hold(int argc, char **argv)
{
	long count, size, i;
	char *buf;
	int u, t;

	if (argc < 7)
		return 2;
	count = atol(argv[4]);
	size = atol(argv[5]);
	buf = calloc(1, (size_t)size + 1);
	u = connect_to(argv[2], argv[3], SOCK_DGRAM);
	t = connect_to(argv[2], argv[6], SOCK_STREAM);
	if (!buf || u < 0 || t < 0)
		return 1;
	for (i = 0; i < count; i++)
		if (send(u, buf, (size_t)size, 0) != size)
			return 1;
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}

static int tcp_conns(int argc, char **argv)
{
	long n, size, i, done = 0, failed = 0;
	struct sockaddr_storage ss;
	struct timespec a, b;
	socklen_t len;
	char *buf;
	int family;

	if (argc < 6)
		return 2;
	n = atol(argv[4]);
	size = atol(argv[5]);
	buf = calloc(1, (size_t)size + 1);
	family = addr_of(argv[2], argv[3], &ss, &len);
	if (!buf)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		int fd = socket(family, SOCK_STREAM, 0);

		if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len)) {
			if (!failed++)
				perror("nltraffic: tcp-conns: connect");
		} else if (send(fd, buf, (size_t)size, 0) == size) {
			done++;
		}
		if (fd >= 0)
			close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("conns %ld rate %.0f failed %ld\n", done,
	       (double)done / ((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9),
	       failed);
	free(buf);
	return failed ? 1 : 0;
}

static int udp_peers(int argc, char **argv)
{
	struct sockaddr_in to[2] = { 0 };
	long count, size, i;
	char *buf;
	int fd;

	if (argc < 7)
		return 2;
	count = atol(argv[5]);
	size = atol(argv[6]);
	buf = calloc(1, (size_t)size + 1);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (!buf || fd < 0)
		return 1;
	for (i = 0; i < 2; i++) {
		to[i].sin_family = AF_INET;
		to[i].sin_port = htons((unsigned short)atoi(argv[3 + i]));
		inet_pton(AF_INET, argv[2], &to[i].sin_addr);
	}
	for (i = 0; i < 2 * count; i++)
		if (sendto(fd, buf, (size_t)size, 0, (struct sockaddr *)&to[i % 2], sizeof(to[0])) !=
		    size)
			return 1;
	printf("sent %ld\n", 2 * count);
	close(fd);
	free(buf);
	return 0;
}

/* Many open, metered sockets: what `top` must walk each round. */
static int sockets(int argc, char **argv)
{
	long n, i;

	if (argc < 5)
		return 2;
	n = atol(argv[4]);
	for (i = 0; i < n; i++) {
		int fd = connect_to(argv[2], argv[3], SOCK_DGRAM);

		if (fd < 0 || send(fd, "x", 1, 0) != 1) {
			fprintf(stderr, "nltraffic: socket %ld of %ld: %s\n", i, n, strerror(errno));
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}

/* Fork and reap n children in turn: what fork and exit cost, tracepoints included. */
static int forks(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 0, i;
	struct timespec a, b;

	if (n <= 0)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0)
			_exit(0);
		waitpid(pid, NULL, 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("us_per_fork %.2f\n",
	       ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / 1e3 /
		       (double)n);
	return 0;
}

/* A whole command's time as a user's shell sees it, without the shell's own fork. */
static int timed(int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	struct timespec a, b;
	extern char **environ;
	int st, err;
	pid_t pid;

	if (argc < 3)
		return 2;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	err = posix_spawnp(&pid, argv[2], &fa, NULL, argv + 2, environ);
	if (!err)
		waitpid(pid, &st, 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	posix_spawn_file_actions_destroy(&fa);
	if (err) {
		fprintf(stderr, "nltraffic timed: %s: %s\n", argv[2], strerror(err));
		return 127;
	}
	printf("us %.0f\n",
	       ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / 1e3);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static volatile sig_atomic_t park_stop;

static void on_term(int sig)
{
	park_stop = 1;
}

static int park(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 0, i;
	pid_t *kids = calloc((size_t)(n > 0 ? n : 1), sizeof(*kids));

	signal(SIGTERM, on_term);
	for (i = 0; i < n && kids; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			signal(SIGTERM, SIG_DFL);
			for (;;)
				pause();
		}
		printf("%d\n", (int)kids[i]);
	}
	printf("parked\n");
	fflush(stdout);
	while (!park_stop)
		pause();
	for (i = 0; i < n && kids; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	free(kids);
	return 0;
}

/* Wait for SIGUSR1 (blocked before anything else, so none is missed). */
static int udp_on_usr1(int argc, char **argv)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("ready\n");
	fflush(stdout);
	if (sigwait(&set, &sig))
		return 1;
	return udp(argc, argv);
}

static int udp_fork(int argc, char **argv)
{
	char twice[32];
	int st;
	pid_t pid;

	if (argc < 6)
		return 2;
	snprintf(twice, sizeof(twice), "%ld", 2 * atol(argv[4]));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		argv[4] = twice;
		_exit(udp(argc, argv));
	}
	printf("child %d\n", (int)pid);
	udp(argc, argv);
	waitpid(pid, &st, 0);
	return 0;
}

struct flow {
	const char *host, *port;
	long bytes;
	int ok;
};

static void *send_flow(void *arg)
{
	static char buf[65536];
	struct flow *f = arg;
	long left = f->bytes;
	ssize_t n;
	int fd = connect_to(f->host, f->port, SOCK_STREAM);

	while (left > 0) {
		n = write(fd, buf, left < (long)sizeof(buf) ? (size_t)left : sizeof(buf));
		if (n <= 0)
			break;
		left -= n;
	}
	shutdown(fd, SHUT_WR);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	f->ok = left == 0;
	return NULL;
}

static int tcp_send(int argc, char **argv)
{
	struct flow flows[64];
	pthread_t t[64];
	long i, nflows = 1;
	int ok = 1;

	if (argc < 5)
		return 2;
	if (argc > 5)
		nflows = atol(argv[5]);
	if (nflows < 1 || nflows > 64)
		return 2;
	for (i = 0; i < nflows; i++) {
		flows[i] = (struct flow){ argv[2], argv[3], atol(argv[4]), 0 };
		pthread_create(&t[i], NULL, send_flow, &flows[i]);
	}
	for (i = 0; i < nflows; i++) {
		pthread_join(t[i], NULL);
		ok &= flows[i].ok;
	}
	printf("sent %ld\n", ok ? nflows * atol(argv[4]) : -1);
	return ok ? 0 : 1;
}

static int tcp_blast(int argc, char **argv)
{
	static char buf[65536];
	int fd, big = 32 << 20;
	long left;

	if (argc < 5)
		return 2;
	left = atol(argv[4]);
	fd = socket(strchr(argv[2], ':') ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	close(fd);
	fd = connect_to(argv[2], argv[3], SOCK_STREAM);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	while (left > 0) {
		ssize_t n = send(fd, buf, left < (long)sizeof(buf) ? (size_t)left : sizeof(buf),
				 MSG_DONTWAIT);

		if (n <= 0)
			break;
		left -= n;
	}
	printf("queued %ld\n", atol(argv[4]) - left);
	return 0; /* exit without close: the orphan flushes what is queued */
}

static int tcp_recv(int argc, char **argv)
{
	char buf[65536];
	long total = 0;
	ssize_t n;
	int fd;

	if (argc < 4)
		return 2;
	fd = connect_to(argv[2], argv[3], SOCK_STREAM);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	close(fd);
	printf("received %ld\n", total);
	return 0;
}

static void *serve_one(void *arg)
{
	static char buf[65536];
	long fd = (long)arg, left = serve_bytes;
	ssize_t n;

	while (left > 0) {
		n = write((int)fd, buf, left < (long)sizeof(buf) ? (size_t)left : sizeof(buf));
		if (n <= 0)
			break;
		left -= n;
	}
	shutdown((int)fd, SHUT_WR);
	while (read((int)fd, buf, sizeof(buf)) > 0)
		;
	close((int)fd);
	return NULL;
}

static int serve(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int family, fd, one = 1;

	if (argc < 4)
		return 2;
	serve_bytes = atol(argv[3]);
	family = addr_of(argv[2], "0", &ss, &len);
	fd = socket(family, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 4096) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len)) {
		perror("nltraffic: serve");
		return 1;
	}
	printf("port %d\n", ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
						    : ((struct sockaddr_in6 *)&ss)->sin6_port));
	fflush(stdout);
	for (;;) {
		long c = accept(fd, NULL, NULL);
		pthread_t t;

		if (c < 0)
			continue;
		if (pthread_create(&t, NULL, serve_one, (void *)c))
			close((int)c);
		else
			pthread_detach(t);
	}
}

/*
 * serve with nothing to send, in one thread with epoll: the same exchange
 * per connection (our side closed at once, theirs read to its end), without
 * a thread start per connection, which caps `serve` near 5,000 a second
 * here and overflows its backlog, so clients wait out SYN retransmits.
 */
static int conns_serve(int argc, char **argv)
{
	static char buf[65536];
	struct epoll_event ev, evs[256];
	struct sockaddr_storage ss;
	socklen_t len;
	int family, fd, ep, one = 1;

	if (argc < 3)
		return 2;
	family = addr_of(argv[2], "0", &ss, &len);
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ep = epoll_create1(0);
	if (fd < 0 || ep < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 4096) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len)) {
		perror("nltraffic: conns-serve");
		return 1;
	}
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = fd };
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	printf("port %d\n", ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
						    : ((struct sockaddr_in6 *)&ss)->sin6_port));
	fflush(stdout);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < n; i++) {
			int c = evs[i].data.fd;
			ssize_t r;

			if (c == fd) {
				while ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					shutdown(c, SHUT_WR);
					ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = c };
					if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev))
						close(c);
				}
				continue;
			}
			while ((r = read(c, buf, sizeof(buf))) > 0)
				;
			if (r == 0 || errno != EAGAIN)
				close(c); /* leaves the epoll set with its last descriptor */
		}
	}
}

struct uflow {
	char **argv;
	long sent;
};

static void *udp_thread(void *arg)
{
	struct uflow *f = arg;
	long i, count = atol(f->argv[5]), size = atol(f->argv[6]), gap = atol(f->argv[7]);
	char *buf = calloc(1, (size_t)size + 1);
	int fd = connect_to(f->argv[2], f->argv[3], SOCK_DGRAM);

	for (i = 0; i < count; i++) {
		if (send(fd, buf, (size_t)size, 0) == size)
			f->sent++;
		if (gap)
			usleep((useconds_t)gap);
	}
	close(fd);
	free(buf);
	return NULL;
}

static int udp_threads(int argc, char **argv)
{
	struct uflow flows[64];
	pthread_t t[64];
	long i, n, sent = 0;

	if (argc < 8)
		return 2;
	n = atol(argv[4]);
	if (n < 1 || n > 64)
		return 2;
	for (i = 0; i < n; i++) {
		flows[i] = (struct uflow){ argv, 0 };
		pthread_create(&t[i], NULL, udp_thread, &flows[i]);
	}
	for (i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		sent += flows[i].sent;
	}
	printf("sent %ld\n", sent);
	return 0;
}

static int fork_after(int argc, char **argv)
{
	pid_t pid;
	int st;

	if (argc < 4)
		return 2;
	/* @FILE: the test makes FILE once it is ready (attached): no race with a sleep. */
	if (argv[2][0] == '@') {
		for (int i = 0; i < 6000 && access(argv[2] + 1, F_OK); i++)
			usleep(5000);
	} else {
		usleep((useconds_t)atol(argv[2]) * 1000);
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execvp(argv[3], argv + 3);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static int daemonize(int argc, char **argv)
{
	pid_t pid;
	FILE *f;

	if (argc < 4)
		return 2;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid > 0)
		return 0; /* the parent goes: the daemon is nobody's child */
	setsid();
	pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid > 0)
		_exit(0);
	f = fopen(argv[2], "w");
	if (f) {
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
	}
	if (!freopen("/dev/null", "w", stdout))
		_exit(1);
	execvp(argv[3], argv + 3);
	_exit(127);
}

/* Close at once: a reset, not a drain of what is still queued under a rate. */
static void reset_close(int fd)
{
	struct linger l = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

struct timed_flow {
	const char *host, *port;
	double until;
	long queued;
};

static void *timed_send(void *arg)
{
	static char buf[65536];
	struct timed_flow *f = arg;
	int fd = connect_to(f->host, f->port, SOCK_STREAM);
	ssize_t n;

	while (now_s() < f->until) {
		n = send(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			f->queued += n;
		} else {
			struct timespec nap = { 0, 200000 };

			nanosleep(&nap, NULL);
		}
	}
	reset_close(fd);
	return NULL;
}

static int tcp_mss(int argc, char **argv)
{
	socklen_t len = sizeof(int);
	int fd, mss = 0;

	if (argc < 4)
		return 2;
	fd = connect_to(argv[2], argv[3], SOCK_STREAM);
	if (getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &len))
		return 1;
	printf("mss %d\n", mss);
	close(fd);
	return 0;
}

static int tcp_for(int argc, char **argv)
{
	struct timed_flow flows[64];
	pthread_t t[64];
	long i, nflows = 1, total = 0;
	double until;

	if (argc < 5)
		return 2;
	if (argc > 5)
		nflows = atol(argv[5]);
	if (nflows < 1 || nflows > 64)
		return 2;
	until = now_s() + (double)atol(argv[4]) / 1e3;
	for (i = 0; i < nflows; i++) {
		flows[i] = (struct timed_flow){ argv[2], argv[3], until, 0 };
		pthread_create(&t[i], NULL, timed_send, &flows[i]);
	}
	for (i = 0; i < nflows; i++) {
		pthread_join(t[i], NULL);
		total += flows[i].queued;
	}
	printf("queued %ld\n", total);
	return 0;
}

static int udp_for(int argc, char **argv)
{
	static char buf[65536];
	double until;
	long sent = 0, size;
	int fd;

	if (argc < 6)
		return 2;
	size = atol(argv[5]);
	if (size < 1 || size > (long)sizeof(buf))
		return 2;
	fd = connect_to(argv[2], argv[3], SOCK_DGRAM);
	until = now_s() + (double)atol(argv[4]) / 1e3;
	while (now_s() < until) {
		/* Refused datagrams come back as errors on a connected socket: go on. */
		if (send(fd, buf, (size_t)size, 0) == size)
			sent++;
	}
	printf("sent %ld\n", sent);
	return 0;
}

static int tcp_recv_for(int argc, char **argv)
{
	static char buf[65536];
	long total = 0;
	double until;
	ssize_t n;
	int fd;

	if (argc < 5)
		return 2;
	fd = connect_to(argv[2], argv[3], SOCK_STREAM);
	until = now_s() + (double)atol(argv[4]) / 1e3;
	while (now_s() < until) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			total += n;
		} else if (n == 0) {
			break;
		} else {
			struct timespec nap = { 0, 200000 };

			nanosleep(&nap, NULL);
		}
	}
	reset_close(fd);
	printf("received %ld\n", total);
	return 0;
}

static void *echo_conn(void *arg)
{
	char buf[4096];
	int fd = (int)(long)arg;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			break;
	close(fd);
	return NULL;
}

static int echo_serve(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd, fd, one = 1;
	pthread_t t;

	if (argc < 3)
		return 2;
	addr_of(argv[2], "0", &ss, &len);
	lfd = socket(ss.ss_family, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&ss, len) || listen(lfd, 64))
		return 1;
	len = sizeof(ss);
	getsockname(lfd, (struct sockaddr *)&ss, &len);
	printf("port %d\n", ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
						       : ((struct sockaddr_in6 *)&ss)->sin6_port));
	fflush(stdout);
	while ((fd = accept(lfd, NULL, NULL)) >= 0) {
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		pthread_create(&t, NULL, echo_conn, (void *)(long)fd);
		pthread_detach(t);
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int ping_pong(int argc, char **argv)
{
	double *rtt, t0;
	long i, n;
	int fd, one = 1;
	char c = 'x';

	if (argc < 5)
		return 2;
	n = atol(argv[4]);
	if (n < 1 || n > 1000000)
		return 2;
	rtt = calloc((size_t)n, sizeof(*rtt));
	if (!rtt)
		return 1;
	fd = connect_to(argv[2], argv[3], SOCK_STREAM);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (i = 0; i < n; i++) {
		t0 = now_s();
		if (write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1) {
			free(rtt);
			return 1;
		}
		rtt[i] = (now_s() - t0) * 1e6;
		usleep(2000);
	}
	qsort(rtt, (size_t)n, sizeof(*rtt), cmp_double);
	printf("rtt_us p50 %.1f p99 %.1f\n", rtt[n / 2], rtt[n * 99 / 100]);
	free(rtt);
	reset_close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	/* A peer ended at its cap must not take the sender down with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2)
		goto usage;
	if (!strcmp(argv[1], "udp"))
		return udp(argc, argv);
	if (!strcmp(argv[1], "tcp-send"))
		return tcp_send(argc, argv);
	if (!strcmp(argv[1], "tcp-blast"))
		return tcp_blast(argc, argv);
	if (!strcmp(argv[1], "tcp-recv"))
		return tcp_recv(argc, argv);
	if (!strcmp(argv[1], "udp-threads"))
		return udp_threads(argc, argv);
	if (!strcmp(argv[1], "flood"))
		return flood(argc, argv);
	if (!strcmp(argv[1], "udp-sink"))
		return udp_sink_cmd(argc, argv);
	if (!strcmp(argv[1], "park"))
		return park(argc, argv);
	if (!strcmp(argv[1], "forks"))
		return forks(argc, argv);
	if (!strcmp(argv[1], "timed"))
		return timed(argc, argv);
	if (!strcmp(argv[1], "hold"))
		return hold(argc, argv);
	if (!strcmp(argv[1], "sockets"))
		return sockets(argc, argv);
	if (!strcmp(argv[1], "tcp-conns"))
		return tcp_conns(argc, argv);
	if (!strcmp(argv[1], "udp-peers"))
		return udp_peers(argc, argv);
	if (!strcmp(argv[1], "udp-on-usr1"))
		return udp_on_usr1(argc, argv);
	if (!strcmp(argv[1], "udp-fork"))
		return udp_fork(argc, argv);
	if (!strcmp(argv[1], "fork-after"))
		return fork_after(argc, argv);
	if (!strcmp(argv[1], "serve"))
		return serve(argc, argv);
	if (!strcmp(argv[1], "conns-serve"))
		return conns_serve(argc, argv);
	if (!strcmp(argv[1], "tcp-for"))
		return tcp_for(argc, argv);
	if (!strcmp(argv[1], "tcp-mss"))
		return tcp_mss(argc, argv);
	if (!strcmp(argv[1], "udp-for"))
		return udp_for(argc, argv);
	if (!strcmp(argv[1], "tcp-recv-for"))
		return tcp_recv_for(argc, argv);
	if (!strcmp(argv[1], "echo-serve"))
		return echo_serve(argc, argv);
	if (!strcmp(argv[1], "ping-pong"))
		return ping_pong(argc, argv);
	if (!strcmp(argv[1], "daemon"))
		return daemonize(argc, argv);
	if (!strcmp(argv[1], "sleep") && argc > 2) {
		usleep((useconds_t)atol(argv[2]) * 1000);
		return 0;
	}
usage:
	fprintf(stderr, "usage: nltraffic udp|tcp-send|tcp-recv|serve|daemon|sleep ...\n");
	return 2;
}
