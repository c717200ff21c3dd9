build2/user/dataplane.o: user/dataplane.c user/cgroup.h \
 build2/dataplane.skel.h user/dataplane_user.h include/dataplane.h \
 user/exitcode.h user/log.h user/state.h
user/cgroup.h:
build2/dataplane.skel.h:
user/dataplane_user.h:
include/dataplane.h:
user/exitcode.h:
user/log.h:
user/state.h:
