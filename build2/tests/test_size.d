build2/tests/test_size.o: tests/test_size.c tests/harness.h \
 build2/tests/tests.inc include/dataplane.h user/rate.h user/size.h
tests/harness.h:
build2/tests/tests.inc:
include/dataplane.h:
user/rate.h:
user/size.h:
