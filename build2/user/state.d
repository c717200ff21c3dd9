build2/user/state.o: user/state.c user/log.h user/state.h
user/log.h:
user/state.h:
