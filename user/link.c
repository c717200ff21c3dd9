// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Interface flags through ioctl; all in the caller's network namespace. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "link.h"

static int ctl(const char *name, unsigned long req, struct ifreq *ifr)
{
	int fd, err = 0;

	if (strlen(name) >= IFNAMSIZ)
		return -ENODEV;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
	if (ioctl(fd, req, ifr))
		err = errno == ENXIO ? -ENODEV : -errno;
	close(fd);
	return err;
}

int nl_link_is_up(const char *name)
{
	struct ifreq ifr = { 0 };
	int err = ctl(name, SIOCGIFFLAGS, &ifr);

	return err ? err : !!(ifr.ifr_flags & IFF_UP);
}

int nl_link_set_up(const char *name, bool up)
{
	struct ifreq ifr = { 0 };
	char path[128];
	int err, fd;

	err = ctl(name, SIOCGIFFLAGS, &ifr);
	if (err)
		return err;
	if (!up) {
		/* IPv6 drops a link's addresses when it goes down unless told not to. */
		snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/keep_addr_on_down", name);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, "1", 1) < 0)
				err = 0;
			close(fd);
		}
	}
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	return ctl(name, SIOCSIFFLAGS, &ifr);
}

int nl_link_hlen(const char *name, __u32 *hlen)
{
	struct ifreq ifr = { 0 };
	int err = ctl(name, SIOCGIFHWADDR, &ifr);

	if (err)
		return err;
	switch (ifr.ifr_hwaddr.sa_family) {
	case ARPHRD_ETHER:
	case ARPHRD_LOOPBACK:
		*hlen = 14;
		break;
	default: /* tun, wireguard, ...: packets start at L3 */
		*hlen = 0;
	}
	return 0;
}

__u64 nl_netns_id(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : st.st_ino;
}
