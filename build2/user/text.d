build2/user/text.o: user/text.c user/text.h
user/text.h:
