build2/user/top.o: user/top.c user/dataplane_user.h include/dataplane.h \
 user/exitcode.h user/json.h user/log.h user/meter.h user/opts.h \
 user/prefix.h user/rate.h user/size.h user/state.h user/text.h \
 user/top.h user/usage.h
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
user/top.h:
user/usage.h:
