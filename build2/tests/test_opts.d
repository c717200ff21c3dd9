build2/tests/test_opts.o: tests/test_opts.c user/exitcode.h \
 tests/harness.h build2/tests/tests.inc include/dataplane.h user/run.h \
 user/rate.h user/opts.h user/prefix.h
user/exitcode.h:
tests/harness.h:
build2/tests/tests.inc:
include/dataplane.h:
user/run.h:
user/rate.h:
user/opts.h:
user/prefix.h:
