build2/user/size.o: user/size.c include/dataplane.h user/size.h
include/dataplane.h:
user/size.h:
