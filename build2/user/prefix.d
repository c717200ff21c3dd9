build2/user/prefix.o: user/prefix.c user/prefix.h
user/prefix.h:
