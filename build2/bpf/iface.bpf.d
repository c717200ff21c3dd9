build2/bpf/iface.bpf.o: bpf/iface.bpf.c vmlinux.h bpf/charge.h \
  include/dataplane.h

vmlinux.h:

bpf/charge.h:

include/dataplane.h:
