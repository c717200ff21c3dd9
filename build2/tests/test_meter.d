build2/tests/test_meter.o: tests/test_meter.c tests/harness.h \
 build2/tests/tests.inc user/cgroup.h tests/helpers.h
tests/harness.h:
build2/tests/tests.inc:
user/cgroup.h:
tests/helpers.h:
