build2/user/json.o: user/json.c include/dataplane.h user/json.h \
 user/text.h
include/dataplane.h:
user/json.h:
user/text.h:
