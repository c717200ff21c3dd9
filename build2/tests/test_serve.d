build2/tests/test_serve.o: tests/test_serve.c tests/harness.h \
 build2/tests/tests.inc tests/helpers.h
tests/harness.h:
build2/tests/tests.inc:
tests/helpers.h:
