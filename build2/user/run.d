build2/user/run.o: user/run.c user/cgroup.h user/exitcode.h user/create.h \
 user/gc.h user/log.h user/opts.h user/prefix.h user/rate.h \
 include/dataplane.h user/preflight.h user/limit.h user/report.h \
 user/json.h user/text.h user/run.h user/size.h user/sockets.h \
 user/state.h
user/cgroup.h:
user/exitcode.h:
user/create.h:
user/gc.h:
user/log.h:
user/opts.h:
user/prefix.h:
user/rate.h:
include/dataplane.h:
user/preflight.h:
user/limit.h:
user/report.h:
user/json.h:
user/text.h:
user/run.h:
user/size.h:
user/sockets.h:
user/state.h:
