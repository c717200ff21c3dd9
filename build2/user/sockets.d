build2/user/sockets.o: user/sockets.c user/sockets.h
user/sockets.h:
