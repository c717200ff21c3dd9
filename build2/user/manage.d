build2/user/manage.o: user/manage.c user/dataplane_user.h \
 include/dataplane.h user/exitcode.h user/gc.h user/log.h user/manage.h \
 user/opts.h user/prefix.h user/rate.h user/limit.h user/report.h \
 user/json.h user/text.h user/size.h user/state.h
user/dataplane_user.h:
include/dataplane.h:
user/exitcode.h:
user/gc.h:
user/log.h:
user/manage.h:
user/opts.h:
user/prefix.h:
user/rate.h:
user/limit.h:
user/report.h:
user/json.h:
user/text.h:
user/size.h:
user/state.h:
