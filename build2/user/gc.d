build2/user/gc.o: user/gc.c user/cgroup.h user/link.h user/gc.h \
 user/log.h user/dataplane_user.h include/dataplane.h user/limit.h \
 user/prefix.h user/rate.h user/sockets.h user/state.h
user/cgroup.h:
user/link.h:
user/gc.h:
user/log.h:
user/dataplane_user.h:
include/dataplane.h:
user/limit.h:
user/prefix.h:
user/rate.h:
user/sockets.h:
user/state.h:
