build2/user/inspect.o: user/inspect.c user/exitcode.h user/inspect.h \
 user/json.h user/log.h user/meter.h include/dataplane.h user/opts.h \
 user/prefix.h user/rate.h user/size.h user/state.h user/text.h \
 user/usage.h
user/exitcode.h:
user/inspect.h:
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
