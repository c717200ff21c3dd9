build2/user/main.o: user/main.c user/exitcode.h user/log.h user/attach.h \
 user/rate.h include/dataplane.h user/opts.h user/prefix.h user/iface.h \
 user/manage.h user/audit.h user/inspect.h user/top.h user/watch.h \
 user/meter.h user/run.h user/save.h user/serve.h
user/exitcode.h:
user/log.h:
user/attach.h:
user/rate.h:
include/dataplane.h:
user/opts.h:
user/prefix.h:
user/iface.h:
user/manage.h:
user/audit.h:
user/inspect.h:
user/top.h:
user/watch.h:
user/meter.h:
user/run.h:
user/save.h:
user/serve.h:
