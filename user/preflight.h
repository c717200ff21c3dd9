/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What must hold before netlimit touches the kernel: root, cgroup2, BTF, cgroup BPF. */
#ifndef NETLIMIT_PREFLIGHT_H
#define NETLIMIT_PREFLIGHT_H

/* Print one line saying what is missing; return its exit status, or 0. */
int nl_preflight(const char *cmd);

#endif
