build2/user/preflight.o: user/preflight.c user/cgroup.h user/exitcode.h \
 user/log.h user/preflight.h
user/cgroup.h:
user/exitcode.h:
user/log.h:
user/preflight.h:
