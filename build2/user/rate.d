build2/user/rate.o: user/rate.c include/dataplane.h user/rate.h \
 user/size.h
include/dataplane.h:
user/rate.h:
user/size.h:
