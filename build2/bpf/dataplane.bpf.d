build2/bpf/dataplane.bpf.o: bpf/dataplane.bpf.c vmlinux.h bpf/charge.h \
  include/dataplane.h

vmlinux.h:

bpf/charge.h:

include/dataplane.h:
