// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* From a setup step's -errno to a documented exit status. */
#include <errno.h>
#include "exitcode.h"

int nl_exit_for_errno(int err)
{
	switch (-err) {
	case EPERM:
	case EACCES:
		return NL_EXIT_NOPERM;
	case ENOSYS:
	case EOPNOTSUPP:
	case ENODEV:
		return NL_EXIT_UNSUPPORTED;
	case ESRCH:
		return NL_EXIT_NOTARGET;
	case EEXIST: /* an older netlimit's state is in the way: said already */
		return NL_EXIT_UNSUPPORTED;
	default:
		return NL_EXIT_FAIL;
	}
}
