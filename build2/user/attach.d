build2/user/attach.o: user/attach.c user/attach.h user/rate.h \
 include/dataplane.h user/opts.h user/prefix.h user/cgroup.h \
 user/create.h user/exitcode.h user/gc.h user/log.h user/guard.h \
 user/preflight.h user/dataplane_user.h user/limit.h user/report.h \
 user/json.h user/text.h user/state.h
user/attach.h:
user/rate.h:
include/dataplane.h:
user/opts.h:
user/prefix.h:
user/cgroup.h:
user/create.h:
user/exitcode.h:
user/gc.h:
user/log.h:
user/guard.h:
user/preflight.h:
user/dataplane_user.h:
user/limit.h:
user/report.h:
user/json.h:
user/text.h:
user/state.h:
