build2/bpf/refmeter.bpf.o: tests/refmeter.bpf.c vmlinux.h \
  include/dataplane.h

vmlinux.h:

include/dataplane.h:
