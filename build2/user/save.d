build2/user/save.o: user/save.c user/cgroup.h user/dataplane_user.h \
 include/dataplane.h user/exitcode.h user/limit.h user/prefix.h \
 user/rate.h user/log.h user/opts.h user/report.h user/json.h user/text.h \
 user/save.h user/size.h user/state.h
user/cgroup.h:
user/dataplane_user.h:
include/dataplane.h:
user/exitcode.h:
user/limit.h:
user/prefix.h:
user/rate.h:
user/log.h:
user/opts.h:
user/report.h:
user/json.h:
user/text.h:
user/save.h:
user/size.h:
user/state.h:
