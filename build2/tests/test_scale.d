build2/tests/test_scale.o: tests/test_scale.c tests/harness.h \
 build2/tests/tests.inc tests/helpers.h
tests/harness.h:
build2/tests/tests.inc:
tests/helpers.h:
