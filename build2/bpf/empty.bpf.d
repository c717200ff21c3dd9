build2/bpf/empty.bpf.o: bpf/empty.bpf.c vmlinux.h

vmlinux.h:
