build2/tests/nltraffic.o: tests/nltraffic.c
