build2/user/report.o: user/report.c user/limit.h include/dataplane.h \
 user/prefix.h user/rate.h user/gc.h user/report.h user/json.h \
 user/text.h user/size.h
user/limit.h:
include/dataplane.h:
user/prefix.h:
user/rate.h:
user/gc.h:
user/report.h:
user/json.h:
user/text.h:
user/size.h:
