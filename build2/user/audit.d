build2/user/audit.o: user/audit.c user/audit.h user/cgroup.h \
 user/dataplane_user.h include/dataplane.h user/exitcode.h user/json.h \
 user/log.h user/meter.h user/opts.h user/prefix.h user/rate.h \
 user/size.h user/state.h user/text.h
user/audit.h:
user/cgroup.h:
user/dataplane_user.h:
include/dataplane.h:
user/exitcode.h:
user/json.h:
user/log.h:
user/meter.h:
user/opts.h:
user/prefix.h:
user/rate.h:
user/size.h:
user/state.h:
user/text.h:
