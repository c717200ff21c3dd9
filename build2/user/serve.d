build2/user/serve.o: user/serve.c user/dataplane_user.h \
 include/dataplane.h user/exitcode.h user/json.h user/limit.h \
 user/prefix.h user/rate.h user/log.h user/meter.h user/opts.h \
 user/report.h user/text.h user/serve.h user/state.h user/usage.h \
 build2/page.inc
user/dataplane_user.h:
include/dataplane.h:
user/exitcode.h:
user/json.h:
user/limit.h:
user/prefix.h:
user/rate.h:
user/log.h:
user/meter.h:
user/opts.h:
user/report.h:
user/text.h:
user/serve.h:
user/state.h:
user/usage.h:
build2/page.inc:
