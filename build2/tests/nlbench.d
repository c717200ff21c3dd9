build2/tests/nlbench.o: tests/nlbench.c user/cgroup.h build2/empty.skel.h \
 user/dataplane_user.h include/dataplane.h user/limit.h user/prefix.h \
 user/rate.h
user/cgroup.h:
build2/empty.skel.h:
user/dataplane_user.h:
include/dataplane.h:
user/limit.h:
user/prefix.h:
user/rate.h:
