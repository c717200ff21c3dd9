build2/tests/test_hardening.o: tests/test_hardening.c tests/harness.h \
 build2/tests/tests.inc user/cgroup.h user/text.h tests/helpers.h
tests/harness.h:
build2/tests/tests.inc:
user/cgroup.h:
user/text.h:
tests/helpers.h:
