// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sock_diag: dump TCP sockets with their cgroup id, destroy the ones asked for. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include "sockets.h"

#define TCP_STATE_TIME_WAIT 6
#define TCP_STATE_LISTEN    10

struct req {
	struct nlmsghdr nlh;
	struct inet_diag_req_v2 r;
};

static int send_req(int fd, __u16 type, __u16 flags, int family, const struct inet_diag_sockid *id)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct req q = { 0 };

	q.nlh.nlmsg_len = sizeof(q);
	q.nlh.nlmsg_type = type;
	q.nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	q.r.sdiag_family = (__u8)family;
	q.r.sdiag_protocol = IPPROTO_TCP;
	/* Every state but TIME_WAIT (it sends nothing of its own) and LISTEN. */
	q.r.idiag_states = ~((1U << TCP_STATE_TIME_WAIT) | (1U << TCP_STATE_LISTEN));
	if (id)
		q.r.id = *id;
	return sendto(fd, &q, sizeof(q), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
}

static __u64 cgroup_of(struct nlmsghdr *h)
{
	struct inet_diag_msg *m = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*m));
	struct rtattr *a = (struct rtattr *)(m + 1);
	__u64 id = 0;

	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == INET_DIAG_CGROUP_ID && RTA_PAYLOAD(a) >= sizeof(id))
			memcpy(&id, RTA_DATA(a), sizeof(id));
	}
	return id;
}

/* Walk one family's sockets; destroy matches when asked. */
static int walk(int family, __u64 cgroup_id, bool destroy)
{
	struct inet_diag_sockid ids[256];
	static char buf[32768];
	int fd, n = 0, nids = 0, i, err;
	bool done = false;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	err = send_req(fd, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, family, NULL);
	while (!err && !done) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (len < 0) {
			err = -errno;
			break;
		}
		for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				err = -EPROTO;
				done = true;
				break;
			}
			if (cgroup_of(h) != cgroup_id)
				continue;
			n++;
			if (destroy && nids < (int)(sizeof(ids) / sizeof(ids[0])))
				ids[nids++] = ((struct inet_diag_msg *)NLMSG_DATA(h))->id;
		}
	}
	/* Destroyed after the dump: the dump must not run while we change it. */
	for (i = 0; !err && i < nids; i++) {
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		err = send_req(fd, SOCK_DESTROY, NLM_F_ACK, family, &ids[i]);
		if (!err && recv(fd, buf, sizeof(buf), 0) > 0 && h->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(h);

			if (e->error && e->error != -ENOENT)
				err = e->error;
		}
	}
	close(fd);
	return err ? err : n;
}

int nl_sockets_count(__u64 cgroup_id)
{
	int a = walk(AF_INET, cgroup_id, false), b;

	if (a < 0)
		return a;
	b = walk(AF_INET6, cgroup_id, false);
	return b < 0 ? b : a + b;
}

int nl_sockets_destroy(__u64 cgroup_id)
{
	int a = walk(AF_INET, cgroup_id, true), b;

	if (a < 0)
		return a;
	b = walk(AF_INET6, cgroup_id, true);
	return b < 0 ? b : a + b;
}
