build2/user/create.o: user/create.c user/create.h user/exitcode.h \
 user/gc.h user/limit.h include/dataplane.h user/prefix.h user/rate.h \
 user/log.h user/state.h
user/create.h:
user/exitcode.h:
user/gc.h:
user/limit.h:
include/dataplane.h:
user/prefix.h:
user/rate.h:
user/log.h:
user/state.h:
