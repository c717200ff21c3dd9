build2/tests/test_scope.o: tests/test_scope.c tests/harness.h \
 build2/tests/tests.inc tests/helpers.h user/prefix.h
tests/harness.h:
build2/tests/tests.inc:
tests/helpers.h:
user/prefix.h:
