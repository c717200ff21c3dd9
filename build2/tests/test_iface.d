build2/tests/test_iface.o: tests/test_iface.c tests/harness.h \
 build2/tests/tests.inc tests/helpers.h user/link.h
tests/harness.h:
build2/tests/tests.inc:
tests/helpers.h:
user/link.h:
