/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Network interfaces: up and down, link header size, namespace. */
#ifndef NETLIMIT_LINK_H
#define NETLIMIT_LINK_H

#include <stdbool.h>
#include <linux/types.h>

/* 1 up, 0 down, -errno (-ENODEV: no such interface). */
int nl_link_is_up(const char *name);
/* Bring a link up or down; keeps its IPv6 addresses across down. */
int nl_link_set_up(const char *name, bool up);
/* Bytes of link header before L3 (Ethernet and loopback 14, none 0). */
int nl_link_hlen(const char *name, __u32 *hlen);
/* Inode of this process's network namespace. */
__u64 nl_netns_id(void);

#endif
