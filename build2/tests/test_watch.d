build2/tests/test_watch.o: tests/test_watch.c tests/harness.h \
 build2/tests/tests.inc tests/helpers.h
tests/harness.h:
build2/tests/tests.inc:
tests/helpers.h:
