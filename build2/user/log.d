build2/user/log.o: user/log.c user/log.h user/text.h
user/log.h:
user/text.h:
