build2/tests/test_attach.o: tests/test_attach.c tests/harness.h \
 build2/tests/tests.inc tests/helpers.h
tests/harness.h:
build2/tests/tests.inc:
tests/helpers.h:
