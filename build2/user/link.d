build2/user/link.o: user/link.c user/link.h
user/link.h:
