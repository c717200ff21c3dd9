/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * netlimit's state in bpffs: <root>/<id>/ per limit, holding its pinned maps
 * and links. <root> is /sys/fs/bpf/netlimit, or $NETLIMIT_STATE.
 * A flock on <root> serialises changes between netlimit invocations; a flock
 * on <root>/<id> is held by the process that owns that limit (`run`), so a
 * later gc can tell a dead owner from a live one without trusting PIDs.
 */
#ifndef NETLIMIT_STATE_H
#define NETLIMIT_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct nl_state;

/* create: mount bpffs if missing and create <root>; else -ENOENT if absent. */
int nl_state__open(struct nl_state **st, bool create);
void nl_state__free(struct nl_state *st);
const char *nl_state__root(const struct nl_state *st);
/* <root> itself, before any state is opened. */
const char *nl_state_root_path(void);
/* The state directory, open (for locks of its own entries). */
int nl_state__dirfd(const struct nl_state *st);

int nl_state__lock(struct nl_state *st);
void nl_state__unlock(struct nl_state *st);

/*
 * A limit is built in <root>/new-<id> (ids come from nl_lim__alloc_id());
 * nl_state__commit() renames it to <root>/<id> once it is complete, so no
 * half-made limit is ever listed.
 */
/* Make <root>/new-<id> for a given id; -EEXIST if the id has state already. */
int nl_state__reserve_id(struct nl_state *st, __u32 id);
int nl_state__commit(struct nl_state *st, __u32 id);
/* Remove new-* directories whose builder died. Lock held. */
void nl_state__gc_new(struct nl_state *st);
int nl_state__remove_dir(const char *path);
/* Ids in use, ascending; *ids is malloc'ed. */
int nl_state__ids(struct nl_state *st, __u32 **ids, size_t *n);
int nl_state__path(const struct nl_state *st, __u32 id, const char *file, char *buf, size_t len);
/* The same inside <root>/new-<id>, while it is being built. */
int nl_state__new_path(const struct nl_state *st, __u32 id, char *buf, size_t len);
/* Unpin everything of a limit and remove its directory. */
int nl_state__remove(struct nl_state *st, __u32 id);

/* Take the owner lock of a limit; returns the fd to keep open, or -errno. */
int nl_state__own(struct nl_state *st, __u32 id);
/* Whether a live process holds the owner lock of a limit. */
bool nl_state__owned(struct nl_state *st, __u32 id);

#endif
