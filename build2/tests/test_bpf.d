build2/tests/test_bpf.o: tests/test_bpf.c tests/harness.h \
 build2/tests/tests.inc user/dataplane_user.h include/dataplane.h \
 user/limit.h user/prefix.h user/rate.h
tests/harness.h:
build2/tests/tests.inc:
user/dataplane_user.h:
include/dataplane.h:
user/limit.h:
user/prefix.h:
user/rate.h:
