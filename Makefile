# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# netlimit: one Makefile, out-of-tree build in $(BUILD), V=1 for verbose.
#
#   make              build build/netlimit
#   make check        install missing Debian packages, build, run the tests
#   make demo         install missing Debian packages, build, run the demo
#   make test         run the tests (already set up)
#   make asan         build and run the tests under ASan + UBSan
#   make fuzz         libFuzzer on the parsers for FUZZ_SECS (default 60) seconds
#   make bench        throughput and per-packet cost against a no-program baseline,
#                     then the scale arm (SCALE_MAX limits, default 10000)
#   make test-scale   the scale tests with 10,000 limits of each kind (SCALE=N)
#   make install      PREFIX=/usr/local DESTDIR=
#   make vmlinux      regenerate vmlinux.h from this kernel's BTF

.DELETE_ON_ERROR:
.SECONDARY:
.SUFFIXES:

BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
VERSION := 0.1.0

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Debian packages the build, the tests and the benchmark need.
DEPS := clang libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config make gcc \
	iproute2 iperf3 ethtool nftables libclang-rt-14-dev libncurses-dev tmux trickle \
	libmicrohttpd-dev libnl-route-3-dev prometheus chromium curl scdoc man-db bash-completion tzdata

# Evaluated lazily: on a fresh machine pkg-config arrives with `make deps`.
LIBBPF_CFLAGS = $(shell pkg-config --cflags libbpf)
# ncurses for top's full screen; threads for its background name lookups.
UI_CFLAGS = $(shell pkg-config --cflags ncursesw)
# libmicrohttpd for serve's HTTP: its header here; serve opens the library when
# it starts (user/serve.c: not linked, so GnuTLS's start-up stays out of every
# other command).
HTTP_CFLAGS = $(shell pkg-config --cflags libmicrohttpd)
# libnl-route-3 for --in-rate's shaper: a veth pair, HTB classes (user/shaper.c).
NLR_CFLAGS = $(shell pkg-config --cflags libnl-route-3.0)
# Debian's archives of libbpf, libelf, zlib, libnl and ncurses are linked in
# (STATIC_LIBS=0: the shared libraries). Each shared library costs every
# start its own mappings and relocations: on the test VM the five made
# `netlimit host` 6.7 ms instead of 4.7 (perf stat -r 30; README, Benchmark).
STATIC_LIBS ?= 1
LIB_NAMES := libbpf libnl-route-3.0 ncursesw
ifeq ($(STATIC_LIBS),1)
LIBS = -Wl,-Bstatic $(filter-out -lpthread -ldl,$(shell pkg-config --static --libs $(LIB_NAMES))) \
	-Wl,-Bdynamic -lpthread -ldl
else
LIBS = $(shell pkg-config --libs $(LIB_NAMES)) -lelf -lz -lpthread -ldl
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter
SAN ?=
CFLAGS ?= -g -O2
ALL_CFLAGS = $(CFLAGS) $(WARN) $(SAN) -std=gnu11 -D_GNU_SOURCE \
	-DNETLIMIT_VERSION='"$(VERSION)"' -Iinclude -Iuser -I$(BUILD) $(LIBBPF_CFLAGS) $(UI_CFLAGS) $(HTTP_CFLAGS) $(NLR_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SAN)

BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -Wall -Werror \
	-I. -Iinclude -MMD -MP

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_NAMES := $(patsubst bpf/%.bpf.c,%,$(BPF_SRCS))
SKELS := $(patsubst %,$(BUILD)/%.skel.h,$(BPF_NAMES))
# The tests' own programs (a reference meter), kept out of netlimit itself.
TEST_BPF_NAMES := $(patsubst tests/%.bpf.c,%,$(wildcard tests/*.bpf.c))
TEST_SKELS := $(patsubst %,$(BUILD)/%.skel.h,$(TEST_BPF_NAMES))

USER_SRCS := $(filter-out user/main.c,$(wildcard user/*.c))
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
MAIN_OBJ := $(BUILD)/user/main.o

TEST_SRCS := $(wildcard tests/test_*.c) tests/harness.c tests/helpers.c
TEST_OBJS := $(patsubst tests/%.c,$(BUILD)/tests/%.o,$(TEST_SRCS))

BINS := $(BUILD)/netlimit $(BUILD)/test_netlimit $(BUILD)/nltraffic $(BUILD)/nltraffic-static \
	$(BUILD)/nlbench $(BUILD)/netlimit.8

all: $(BUILD)/netlimit $(BUILD)/netlimit.8

$(BUILD)/bpf $(BUILD)/user $(BUILD)/tests:
	$(Q)mkdir -p $@

# Kernel side: object, linked object, skeleton.
$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bpf/%.bpf.o: tests/%.bpf.c | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen object $(BUILD)/bpf/$*.linked.o $<
	$(Q)$(BPFTOOL) gen skeleton $(BUILD)/bpf/$*.linked.o name $*_bpf > $@

# serve's page, as a C string: the HTML stays a file of its own.
$(BUILD)/page.inc: user/page.html | $(BUILD)/user
	$(call msg,GEN,$@)
	$(Q)sed 's/\\/\\\\/g; s/"/\\"/g; s/^/"/; s/$$/\\n"/' $< > $@

$(BUILD)/user/serve.o: $(BUILD)/page.inc

# User side; every object waits for the skeletons it may include.
$(BUILD)/user/%.o: user/%.c $(SKELS) | $(BUILD)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c $(SKELS) $(TEST_SKELS) $(BUILD)/tests/tests.inc | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests -I$(BUILD)/tests -c $< -o $@

# test_progs style: every `void test_<name>(void)` is found by name.
$(BUILD)/tests/tests.inc: $(wildcard tests/test_*.c) | $(BUILD)/tests
	$(call msg,GEN,$@)
	$(Q)sed -n 's/^void \(test_[a-z0-9_]*\)(void)$$/DEFINE_TEST(\1)/p' $^ > $@

$(BUILD)/netlimit: $(MAIN_OBJ) $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

$(BUILD)/test_netlimit: $(TEST_OBJS) $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

$(BUILD)/nltraffic: $(BUILD)/tests/nltraffic.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ -lpthread -o $@

# The same, linked statically: what LD_PRELOAD shims such as trickle cannot reach.
# No sanitizers: their runtimes do not link statically.
$(BUILD)/nltraffic-static: tests/nltraffic.c | $(BUILD)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -static $< -lpthread -o $@

$(BUILD)/nlbench: $(BUILD)/tests/nlbench.o $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(LIBS) -o $@

$(BUILD)/tests/nltraffic.o $(BUILD)/tests/nlbench.o: $(BUILD)/tests/%.o: tests/%.c $(SKELS) $(TEST_SKELS) | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests -I$(BUILD)/tests -c $< -o $@

build-tests: $(BINS)

# Install what is missing (needs root; a no-op when all is there).
deps:
	@missing=; for p in $(DEPS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "  APT     $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

test: build-tests
	$(BUILD)/test_netlimit

check: deps
	$(MAKE) --no-print-directory build-tests
	$(BUILD)/test_netlimit

asan: deps
	$(MAKE) --no-print-directory BUILD=$(BUILD)-asan \
		SAN='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
		build-tests
	# The scale tests make 300 of each kind here, not 1,000: every limit is a run of
	# netlimit, and under ASan each takes ~100 ms (make test-scale runs 10,000).
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		NETLIMIT_TEST_SCALE=$${NETLIMIT_TEST_SCALE:-300} $(BUILD)-asan/test_netlimit

demo: deps
	$(MAKE) --no-print-directory $(BUILD)/netlimit $(BUILD)/nltraffic
	tests/demo.sh $(BUILD)

bench: deps
	$(MAKE) --no-print-directory build-tests
	tests/bench.sh $(BUILD)
	tests/bench-scale.sh $(BUILD)
	tests/bench-views.sh $(BUILD)
	SECS=$${RATE_SECS:-10} tests/bench-rate.sh $(BUILD)
	tests/bench-serve.sh $(BUILD)

# serve with 10,000 limits and 1,000 cgroups (N, C to change them).
bench-serve: deps
	$(MAKE) --no-print-directory build-tests
	tests/bench-serve.sh $(BUILD)

# Rates against trickle and tc alone (RATE_SECS a run, RATES to pick).
bench-rate: deps
	$(MAKE) --no-print-directory build-tests
	SECS=$${RATE_SECS:-10} tests/bench-rate.sh $(BUILD)

# libFuzzer on every parser of untrusted text, under ASan and UBSan, for
# FUZZ_SECS seconds; the seed corpus is tests/fuzz/corpus (read only: what
# the fuzzer finds goes to $(BUILD)/fuzz-corpus, the first directory named).
FUZZ_SECS ?= 60
FUZZ_SRCS := tests/fuzz/fuzz_parse.c user/size.c user/rate.c user/prefix.c user/opts.c user/text.c user/log.c \
	user/request.c user/period.c tests/fuzz/dp_stubs.c

$(BUILD)/fuzz_parse: $(FUZZ_SRCS) $(wildcard user/*.h include/*.h) | $(BUILD)/tests
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		$(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuser $(LIBBPF_CFLAGS) \
		$(FUZZ_SRCS) $(LIBS) -o $@

fuzz: deps
	$(MAKE) --no-print-directory $(BUILD)/fuzz_parse
	mkdir -p $(BUILD)/fuzz-corpus
	$(BUILD)/fuzz_parse -max_total_time=$(FUZZ_SECS) -close_fd_mask=2 -print_final_stats=1 \
		$(BUILD)/fuzz-corpus tests/fuzz/corpus

# The scale tests at full size (the default suite makes 1,000 of each kind).
test-scale: build-tests
	NETLIMIT_TEST_SCALE=$${SCALE:-10000} NETLIMIT_TEST_TIMEOUT=7200 $(BUILD)/test_netlimit scale_

UNITDIR ?= /lib/systemd/system
MANDIR ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
UNITS := netlimit-serve.service netlimit.service

# The man page: written in scdoc, made roff here (gzip'ed when installed, as Debian does).
$(BUILD)/netlimit.8: doc/netlimit.8.scd | $(BUILD)/user
	$(call msg,SCDOC,$@)
	$(Q)scdoc < $< > $@

man: $(BUILD)/netlimit.8

# PREFIX=/usr DESTDIR=pkg gives the tree of a Debian package: /usr/sbin, /lib/systemd/system,
# /usr/share/man/man8, /usr/share/bash-completion/completions.
install: $(BUILD)/netlimit $(BUILD)/netlimit.8
	install -D -m 0755 $(BUILD)/netlimit $(DESTDIR)$(PREFIX)/sbin/netlimit
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(COMPLETIONDIR)
	for u in $(UNITS); do \
		sed 's|@SBINDIR@|$(PREFIX)/sbin|g' units/$$u.in > $(DESTDIR)$(UNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	gzip -9n < $(BUILD)/netlimit.8 > $(DESTDIR)$(MANDIR)/man8/netlimit.8.gz
	chmod 0644 $(DESTDIR)$(MANDIR)/man8/netlimit.8.gz
	install -m 0644 completion/netlimit.bash $(DESTDIR)$(COMPLETIONDIR)/netlimit

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/netlimit $(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS)) \
		$(DESTDIR)$(MANDIR)/man8/netlimit.8.gz $(DESTDIR)$(COMPLETIONDIR)/netlimit

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h

clean:
	rm -rf $(BUILD) $(BUILD)-asan

.PHONY: all build-tests deps test check asan demo bench bench-rate bench-serve uninstall test-scale fuzz install man vmlinux clean

-include $(wildcard $(BUILD)/bpf/*.d $(BUILD)/user/*.d $(BUILD)/tests/*.d)
