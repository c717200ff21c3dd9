build2/user/opts.o: user/opts.c user/exitcode.h user/log.h user/opts.h \
 user/prefix.h user/rate.h include/dataplane.h user/size.h
user/exitcode.h:
user/log.h:
user/opts.h:
user/prefix.h:
user/rate.h:
include/dataplane.h:
user/size.h:
