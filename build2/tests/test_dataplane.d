build2/tests/test_dataplane.o: tests/test_dataplane.c tests/harness.h \
 build2/tests/tests.inc tests/helpers.h
tests/harness.h:
build2/tests/tests.inc:
tests/helpers.h:
