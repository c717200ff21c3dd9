build2/user/cgroup.o: user/cgroup.c user/cgroup.h
user/cgroup.h:
