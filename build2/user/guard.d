build2/user/guard.o: user/guard.c user/cgroup.h user/gc.h user/link.h \
 user/limit.h include/dataplane.h user/prefix.h user/rate.h user/state.h \
 user/guard.h
user/cgroup.h:
user/gc.h:
user/link.h:
user/limit.h:
include/dataplane.h:
user/prefix.h:
user/rate.h:
user/state.h:
user/guard.h:
