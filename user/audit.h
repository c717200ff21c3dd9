/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* `netlimit audit`: one record per connection of every process (user/audit.c). */
#ifndef NETLIMIT_AUDIT_H
#define NETLIMIT_AUDIT_H

int nl_cmd_audit(int argc, char **argv);

#endif
