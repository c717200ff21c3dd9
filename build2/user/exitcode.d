build2/user/exitcode.o: user/exitcode.c user/exitcode.h
user/exitcode.h:
