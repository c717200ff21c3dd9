build2/user/meter.o: user/meter.c user/cgroup.h user/dataplane_user.h \
 include/dataplane.h user/exitcode.h user/gc.h user/log.h user/meter.h \
 user/preflight.h user/report.h user/json.h user/text.h user/state.h
user/cgroup.h:
user/dataplane_user.h:
include/dataplane.h:
user/exitcode.h:
user/gc.h:
user/log.h:
user/meter.h:
user/preflight.h:
user/report.h:
user/json.h:
user/text.h:
user/state.h:
