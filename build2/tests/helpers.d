build2/tests/helpers.o: tests/helpers.c user/cgroup.h tests/harness.h \
 build2/tests/tests.inc user/limit.h include/dataplane.h user/prefix.h \
 user/rate.h build2/refmeter.skel.h tests/helpers.h
user/cgroup.h:
tests/harness.h:
build2/tests/tests.inc:
user/limit.h:
include/dataplane.h:
user/prefix.h:
user/rate.h:
build2/refmeter.skel.h:
tests/helpers.h:
