// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Checks before any change, so a refusal leaves nothing behind. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "cgroup.h"
#include "exitcode.h"
#include "log.h"
#include "preflight.h"
#include "state.h"

#define BTF_PATH "/sys/kernel/btf/vmlinux"

int nl_preflight(const char *cmd)
{
	char mnt[256], pin[512];

	if (geteuid() != 0) {
		nl_err("%s needs root to load BPF programs and create cgroups; run it with sudo",
		       cmd);
		return NL_EXIT_NOPERM;
	}
	if (nl_cgroup_mount(mnt, sizeof(mnt))) {
		nl_err("no cgroup2 file system is mounted; mount one with 'mount -t cgroup2 none "
		       "/sys/fs/cgroup' or boot with systemd.unified_cgroup_hierarchy=1");
		return NL_EXIT_UNSUPPORTED;
	}
	if (access(BTF_PATH, R_OK)) {
		nl_err("this kernel exposes no BTF (%s is missing); netlimit needs a kernel built "
		       "with CONFIG_DEBUG_INFO_BTF=y",
		       BTF_PATH);
		return NL_EXIT_UNSUPPORTED;
	}
	/* A pinned dataplane is its own proof; the probe loads two programs (0.1 ms). */
	snprintf(pin, sizeof(pin), "%s/dp/prog_out", nl_state_root_path());
	if (access(pin, F_OK) && libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_CGROUP_SKB, NULL) != 1) {
		nl_err("this kernel cannot run cgroup BPF programs; netlimit needs "
		       "CONFIG_BPF_SYSCALL=y and CONFIG_CGROUP_BPF=y");
		return NL_EXIT_UNSUPPORTED;
	}
	return 0;
}
