build2/user/watch.o: user/watch.c user/cgroup.h user/exitcode.h \
 user/json.h user/log.h user/meter.h include/dataplane.h user/opts.h \
 user/prefix.h user/rate.h user/size.h user/state.h user/text.h \
 user/usage.h user/watch.h
user/cgroup.h:
user/exitcode.h:
user/json.h:
user/log.h:
user/meter.h:
include/dataplane.h:
user/opts.h:
user/prefix.h:
user/rate.h:
user/size.h:
user/state.h:
user/text.h:
user/usage.h:
user/watch.h:
