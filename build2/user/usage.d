build2/user/usage.o: user/usage.c user/cgroup.h user/dataplane_user.h \
 include/dataplane.h user/json.h user/limit.h user/prefix.h user/rate.h \
 user/meter.h user/report.h user/text.h user/usage.h
user/cgroup.h:
user/dataplane_user.h:
include/dataplane.h:
user/json.h:
user/limit.h:
user/prefix.h:
user/rate.h:
user/meter.h:
user/report.h:
user/text.h:
user/usage.h:
