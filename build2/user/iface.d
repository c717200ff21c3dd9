build2/user/iface.o: user/iface.c user/exitcode.h user/create.h user/gc.h \
 user/iface.h user/link.h user/log.h user/opts.h user/prefix.h \
 user/rate.h include/dataplane.h user/preflight.h user/limit.h \
 user/report.h user/json.h user/text.h user/state.h user/guard.h
user/exitcode.h:
user/create.h:
user/gc.h:
user/iface.h:
user/link.h:
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
user/state.h:
user/guard.h:
