build2/user/limit.o: user/limit.c user/cgroup.h user/dataplane_user.h \
 include/dataplane.h build2/iface.skel.h user/limit.h user/prefix.h \
 user/rate.h user/log.h user/state.h
user/cgroup.h:
user/dataplane_user.h:
include/dataplane.h:
build2/iface.skel.h:
user/limit.h:
user/prefix.h:
user/rate.h:
user/log.h:
user/state.h:
