build2/tests/test_run.o: tests/test_run.c tests/harness.h \
 build2/tests/tests.inc tests/helpers.h include/dataplane.h
tests/harness.h:
build2/tests/tests.inc:
tests/helpers.h:
include/dataplane.h:
