# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# hmmscope: eBPF tracing for Linux HMM and device-memory migration.
#
#   make              build everything into $(OUTPUT)
#   make V=1          ... showing the commands
#   make deps         install the Debian 12 packages that are missing (as root)
#   make check        deps, build, the lab kernels and image, then every test
#   make demo         build and boot one lab kernel (6.1): record a workload, show the report,
#                     hmmtop and where the heatmap and Perfetto trace are
#   make bench        run the benchmarks and write docs/PERFORMANCE.md
#   make fuzz         run every fuzz target (or FUZZ_TARGETS) for FUZZ_TIME seconds (600) each
#   make soak         hmm_exporter for SOAK seconds (600) in the lab: memory and scrape cost
#   make check SANITIZE=1   the unit and host suites built with ASan and UBSan
#   make lab          the lab kernels (cached outside the tree) and the initramfs
#   make vmlinux      regenerate vmlinux/$(ARCH)/vmlinux.h from the 6.12 lab kernel's BTF
#   make install      the tools, man pages, bash completions, systemd unit and Prometheus rules
#                     under PREFIX (/usr/local); DESTDIR, sbindir, mandir ... as usual
#   make uninstall    remove what make install installed (same variables)
#   make dist         $(OUTPUT)/hmmscope-VERSION.tar.gz, the version written into it

# SANITIZE=1: everything built with ASan and UBSan (dynamically linked: ASan cannot be static)
# into its own output directory; `make check SANITIZE=1` runs the unit and host suites with it.
# The lab needs static binaries, so its cases are left out of that run.
ifeq ($(SANITIZE),1)
OUTPUT ?= build-san
else
OUTPUT ?= build
endif
override OUTPUT := $(abspath $(OUTPUT))

CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' -e 's/ppc64le/powerpc/')

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(patsubst $(OUTPUT)/%,%,$(2))";
MAKEFLAGS += --no-print-directory
endif
NPROC := $(shell nproc 2>/dev/null || echo 1)

CFLAGS ?= -O2 -g
# Everything that runs inside the lab guest links statically: the initramfs has no libc.
STATIC_LDFLAGS := -static
# STATIC=0: dynamically linked binaries (valgrind needs them to see malloc); not for the lab.
ifeq ($(STATIC),0)
STATIC_LDFLAGS :=
endif
ifeq ($(SANITIZE),1)
override CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
STATIC_LDFLAGS :=
endif
WARNINGS := -Wall -Wextra -Werror
DEPFLAGS = -MMD -MP
# CPPFLAGS and LDFLAGS are the caller's (a distribution's hardening flags: debian/rules).
ALL_CFLAGS := $(CPPFLAGS) $(CFLAGS) $(WARNINGS) -std=gnu11

# The lab kernel series (tests/vm/lib.sh says where each one's source package comes from).
LAB_KERNELS := 5.10 6.1 6.12 7.3
LAB := tests/vm

# clang's own system include dirs for BPF: -target bpf drops them (libbpf-bootstrap).
CLANG_BPF_SYS_INCLUDES ?= $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
BPF_CFLAGS := -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_$(ARCH) -Ivmlinux/$(ARCH) -Ibpf \
	$(CLANG_BPF_SYS_INCLUDES)
BPF_UNITS := maps hmm migrate notifier uffd proc
BPF_OBJS := $(patsubst %,$(OUTPUT)/bpf/%.bpf.o,$(BPF_UNITS))
SKEL := $(OUTPUT)/include/hmmscope.skel.h

LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(patsubst lib/%.c,$(OUTPUT)/lib/%.o,$(LIB_SRCS))
LIBHMM := $(OUTPUT)/libhmmscope.a
LIB_CFLAGS := $(ALL_CFLAGS) -I$(OUTPUT)/include -Ilib
# Tools are static: the same binary runs on the host and in the lab's initramfs.
TOOL_LDLIBS := $(STATIC_LDFLAGS) -lbpf -lelf -ldeflate -lz -ljansson -lm -lpthread

TOOLS := hmmtrace hmm_exporter hmmtop
TOOL_BINS := $(patsubst %,$(OUTPUT)/%,$(TOOLS))
hmmtrace_SRCS := $(wildcard tools/hmmtrace/*.c) tools/common.c tools/opt.c
# Debian's libmicrohttpd.a needs GnuTLS, which cannot link statically: notls.c stands in for it
# in static builds (SANITIZE=1 links dynamically, against the real GnuTLS).
hmm_exporter_SRCS := $(filter-out $(if $(STATIC_LDFLAGS),,%/notls.c),$(wildcard tools/hmm_exporter/*.c)) \
	tools/common.c tools/opt.c
hmm_exporter_LDLIBS := -lmicrohttpd -lpthread
hmmtop_SRCS := $(wildcard tools/hmmtop/*.c) tools/common.c tools/opt.c
# ncursesw and its terminfo reader, static like everything else (the lab's batch mode needs no
# terminfo).
hmmtop_LDLIBS := -lncursesw -ltinfo

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/unit/%,$(UNIT_SRCS))

TEST_BINS := $(OUTPUT)/tests/hmm_workload $(OUTPUT)/tests/count_faults
LAB_HMM_TESTS := $(foreach v,$(LAB_KERNELS),$(OUTPUT)/lab/hmm-tests-$(v))
LAB_UAPI_CHECKS := $(foreach v,$(LAB_KERNELS),$(OUTPUT)/lab/uapi-check-$(v).stamp)
LAB_IMAGE := $(OUTPUT)/lab/initramfs.cpio.gz
LAB_IMAGE_BINS := $(TEST_BINS) $(LAB_HMM_TESTS) $(TOOL_BINS) $(OUTPUT)/tests/floor

.DELETE_ON_ERROR:
.PHONY: all tools deps check check-build check-run demo bench soak fuzz lab lab-kernels lab-image \
	vmlinux install uninstall dist clean help

all: $(TOOL_BINS) $(TEST_BINS) $(UNIT_BINS)

help:
	@sed -n '2,/^$$/p' Makefile | sed -e '/^$$/d' -e 's/^# \{0,1\}//'

deps:
	$(Q)scripts/deps.sh

$(OUTPUT) $(OUTPUT)/tests $(OUTPUT)/tests/unit $(OUTPUT)/lab $(OUTPUT)/bpf $(OUTPUT)/lib \
$(OUTPUT)/include $(OUTPUT)/tools:
	$(Q)mkdir -p $@

# ---- BPF ----------------------------------------------------------------------------------------

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -MF $@.d -c $< -o $@

# One object from the per-path files: they share maps through extern declarations.
$(OUTPUT)/bpf/hmmscope.bpf.o: $(BPF_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(SKEL): $(OUTPUT)/bpf/hmmscope.bpf.o | $(OUTPUT)/include
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name hmmscope_bpf > $@

# ---- lib and tools ------------------------------------------------------------------------------

$(OUTPUT)/lib/%.o: lib/%.c $(SKEL) | $(OUTPUT)/lib
	$(call msg,CC,$@)
	$(Q)$(CC) $(LIB_CFLAGS) $(DEPFLAGS) -MF $@.d -c $< -o $@

$(LIBHMM): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(OUTPUT)/tools/%.o: tools/%.c $(SKEL) | $(OUTPUT)/tools
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(LIB_CFLAGS) $(DEPFLAGS) -MF $@.d -c $< -o $@

# The version (scripts/version.sh) as a header that tools/common.c alone includes, rewritten only
# when it changes: a new commit relinks the tools and rebuilds nothing else.
VERSION_H := $(OUTPUT)/include/version.h
$(VERSION_H): FORCE | $(OUTPUT)/include
	$(Q)printf '#define HMMSCOPE_VERSION "%s"\n' "$$(scripts/version.sh)" >$@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(OUTPUT)/tools/common.o: $(VERSION_H)

define tool_rule
$(OUTPUT)/$(1): $(patsubst tools/%.c,$(OUTPUT)/tools/%.o,$($(1)_SRCS)) $(LIBHMM)
	$$(call msg,LINK,$$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $$@ $$^ $($(1)_LDLIBS) $(TOOL_LDLIBS)
endef
$(foreach t,$(TOOLS),$(eval $(call tool_rule,$(t))))

# Bash completions, generated from each tool's own --help (scripts/gen-completion.sh).
COMPLETIONS := $(patsubst %,$(OUTPUT)/completions/%,$(TOOLS))
$(OUTPUT)/completions/%: $(OUTPUT)/% scripts/gen-completion.sh
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)scripts/gen-completion.sh $< >$@

# What `make install` and the Debian package install, built alone (no tests, no lab).
tools: $(TOOL_BINS) $(COMPLETIONS)
all: $(COMPLETIONS)

.SECONDEXPANSION:

# A unit test of a tool's own code (not the library's) links that code in, named by
# test_NAME_SRCS, and includes its headers by name, as the tool does.
test_top_model_SRCS := tools/hmmtop/model.c
test_diff_SRCS := tools/hmmtrace/diff_lines.c
test_stacks_SRCS := tools/hmmtrace/stacks.c
unit_incs = $(patsubst %/,-I%,$(sort $(dir $($(1)_SRCS))))

$(OUTPUT)/tests/unit/%: tests/unit/%.c $$($$*_SRCS) $(LIBHMM) | $(OUTPUT)/tests/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -I. -Ilib $(call unit_incs,$*) -I$(OUTPUT)/include $(DEPFLAGS) \
		-MF $@.d $< $($*_SRCS) -o $@ $(LIBHMM) -lcmocka -lbpf -lelf -ldeflate -lz -ljansson \
		-lm -lpthread

# ---- trace file format: benchmark and fuzzer ----------------------------------------------------

$(OUTPUT)/tests/bench_trace: tests/bench/bench_trace.c $(LIBHMM) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -I. -I$(OUTPUT)/include $(DEPFLAGS) -MF $@.d $< -o $@ $(LIBHMM) \
		-ldeflate -lz -ljansson -lm -lpthread

# How cost grows with owners, drivers and series (tests/bench/scale.sh): the exporter's renderer
# and validator are the tool's, not the library's, so they are linked in.
BENCH_SCALE_SRCS := tools/hmm_exporter/prom.c tools/hmm_exporter/validate.c
$(OUTPUT)/tests/bench_scale: tests/bench/bench_scale.c $(BENCH_SCALE_SRCS) $(LIBHMM) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -I. -I$(OUTPUT)/include $(DEPFLAGS) -MF $@.d $< $(BENCH_SCALE_SRCS) \
		-o $@ $(LIBHMM) -lbpf -lelf -ldeflate -lz -ljansson -lm -lpthread

# The exporter's render cost (tests/bench/exporter.sh): it includes prom.c itself.
$(OUTPUT)/tests/bench_prom: tests/bench/bench_prom.c tools/hmm_exporter/prom.c $(LIBHMM) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -I. -I$(OUTPUT)/include $(DEPFLAGS) -MF $@.d $< -o $@ $(LIBHMM) \
		-lbpf -lelf -ldeflate -lz -ljansson -lm -lpthread

# The floor of the icount overhead benchmark (tests/bench/icount.sh): empty fentry/fexit programs
# and their loader, static like the tools (it runs in the lab guest).
$(OUTPUT)/tests/floor.bpf.o: tests/bench/floor.bpf.c | $(OUTPUT)/tests
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -MF $@.d -c $< -o $@
$(OUTPUT)/include/floor.skel.h: $(OUTPUT)/tests/floor.bpf.o | $(OUTPUT)/include
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name floor_bpf > $@
$(OUTPUT)/tests/floor: tests/bench/floor.c $(OUTPUT)/include/floor.skel.h | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -I$(OUTPUT)/include $(DEPFLAGS) -MF $@.d $< -o $@ \
		$(STATIC_LDFLAGS) -lbpf -lelf -lz

# The fuzzer compiles the reader's sources itself with clang (libFuzzer, ASan, UBSan), with CRC
# checks off so that mutations reach what they guard; `all` builds it only where clang's libFuzzer
# runtime (libclang-rt-14-dev) is installed.
FUZZ_TIME ?= 600
FUZZ_TRACE := $(OUTPUT)/fuzz/fuzz_trace
# The trace file format and everything that reads records: the reader and writer, the record
# descriptors they check records with, and what those render and aggregate through; the library
# without the kernel-facing loader (tracer.c, kernel.c: libbpf).
TRACE_SRCS := $(filter-out lib/tracer.c lib/kernel.c,$(LIB_SRCS))
FUZZ_TRACE_SRCS := tests/fuzz/fuzz_trace.c $(TRACE_SRCS)
# The histogram file reader and merge (the fuzzer fixes up the CRC itself: no switch in the
# library), and the exporter's HTTP request handling: http.c included by the fuzzer and driven
# through the system's libmicrohttpd, dynamically linked.
FUZZ_HISTFILE := $(OUTPUT)/fuzz/fuzz_histfile
FUZZ_HISTFILE_SRCS := tests/fuzz/fuzz_histfile.c lib/histfile.c lib/hist.c lib/kmap.c
FUZZ_HTTP := $(OUTPUT)/fuzz/fuzz_http
FUZZ_HTTP_SRCS := tests/fuzz/fuzz_http.c tools/hmm_exporter/prom.c $(TRACE_SRCS)
# Every renderer of the tools on arbitrary trace bytes: hmmtrace's commands (but main()) and
# hmmtop's model, linked with the whole library.
FUZZ_RENDER := $(OUTPUT)/fuzz/fuzz_render
FUZZ_RENDER_SRCS := tests/fuzz/fuzz_render.c $(LIB_SRCS) tools/common.c tools/opt.c \
	$(filter-out tools/hmmtrace/main.c,$(wildcard tools/hmmtrace/*.c)) tools/hmmtop/model.c
FUZZ_BINS := $(FUZZ_TRACE) $(FUZZ_HISTFILE) $(FUZZ_HTTP) $(FUZZ_RENDER)
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $(WARNINGS) \
	-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -std=gnu11 -I. -Ilib
FUZZ_RT = $(wildcard $(shell $(CLANG) -print-resource-dir 2>/dev/null)/lib/linux/$\
	libclang_rt.fuzzer-$(shell uname -m).a)
# The benchmark programs are built with everything else, so that a change that breaks one fails
# the build, not a later `make bench`.
BENCH_BINS := $(OUTPUT)/tests/bench_trace $(OUTPUT)/tests/bench_scale $(OUTPUT)/tests/bench_prom \
	$(OUTPUT)/tests/floor
all: $(BENCH_BINS) $(if $(FUZZ_RT),$(FUZZ_BINS))

$(FUZZ_TRACE): $(FUZZ_TRACE_SRCS) $(wildcard lib/*.h) bpf/hmmscope.h
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		$(WARNINGS) -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -std=gnu11 -I. -Ilib \
		$(FUZZ_TRACE_SRCS) -o $@ -ldeflate -lz -ljansson -lm -lpthread

$(FUZZ_HISTFILE): $(FUZZ_HISTFILE_SRCS) $(wildcard lib/*.h) bpf/hmmscope.h
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_HISTFILE_SRCS) -o $@ -lz -lm

$(FUZZ_HTTP): $(FUZZ_HTTP_SRCS) tools/hmm_exporter/http.c $(wildcard tools/hmm_exporter/*.h) \
		tools/common.h $(wildcard lib/*.h) bpf/hmmscope.h
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_HTTP_SRCS) -o $@ -lmicrohttpd -ldeflate -lz -ljansson -lm \
		-lpthread

$(FUZZ_RENDER): $(FUZZ_RENDER_SRCS) $(wildcard lib/*.h tools/*.h tools/*/*.h) bpf/hmmscope.h $(SKEL) \
		$(VERSION_H)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -I$(OUTPUT)/include -Itools/hmmtop $(FUZZ_RENDER_SRCS) -o $@ \
		-lbpf -lelf -ldeflate -lz -ljansson -lm -lpthread

# Each target for FUZZ_TIME seconds, one after the other (tests/fuzz/run.sh); crashes land in
# $(OUTPUT)/fuzz/artifacts.
fuzz: $(FUZZ_BINS) $(OUTPUT)/tests/top_trace_gen
	$(Q)OUTPUT=$(OUTPUT) FUZZ_TIME=$(FUZZ_TIME) FUZZ_TARGETS="$(FUZZ_TARGETS)" tests/fuzz/run.sh

# ---- tests and lab binaries ---------------------------------------------------------------------

# The accuracy test's independent counter: its own tiny BPF object, nothing shared with bpf/.
$(OUTPUT)/accuracy/count.bpf.o: tests/accuracy/count.bpf.c
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/accuracy/count.skel.h: $(OUTPUT)/accuracy/count.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name count_bpf > $@

$(OUTPUT)/tests/count_faults: tests/accuracy/count.c $(OUTPUT)/accuracy/count.skel.h | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -I$(OUTPUT)/accuracy $< -o $@ $(STATIC_LDFLAGS) -lbpf -lelf -lz

# hmmtop's synthetic traces (tests/cases/top-tmux.sh, tests/bench/top.sh).
$(OUTPUT)/tests/top_trace_gen: tests/top_trace_gen.c $(LIBHMM) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -I. -I$(OUTPUT)/include $(DEPFLAGS) -MF $@.d $< -o $@ $(LIBHMM) \
		-lbpf -lelf -ldeflate -lz -ljansson -lm
all: $(OUTPUT)/tests/top_trace_gen
# Slow and idle HTTP clients for the exporter's crowd test (tests/cases/exporter-crowd.sh).
$(OUTPUT)/tests/http_crowd: tests/http_crowd.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -MF $@.d $< -o $@
all: $(OUTPUT)/tests/http_crowd

$(OUTPUT)/tests/%: tests/%.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -MF $@.d -pthread $< -o $@ $(STATIC_LDFLAGS)

# Each lab series' source, as one line (its extracted path: series and package version), rewritten
# only when it changes, so that what is built from a source package is rebuilt exactly when a new
# one arrives. Extracting (and, for series from other Debian suites, fetching) happens here, at
# build time, not when make reads this file.
$(OUTPUT)/lab/src-%.key: FORCE | $(OUTPUT)/lab
	$(Q)src=$$($(LAB)/labinfo.sh extract $*) && \
		{ echo "$$src" | cmp -s - $@ || echo "$$src" >$@; }

# Our copy of the test_hmm ABI (tests/hmm_uapi.h) must equal each source package's header.
$(OUTPUT)/lab/uapi-check-%.stamp: tests/uapi_check.c tests/hmm_uapi.h $(OUTPUT)/lab/src-%.key
	$(call msg,UAPI,linux-source-$*/lib/test_hmm_uapi.h)
	$(Q)$(CC) -fsyntax-only $(WARNINGS) -I"$$(cat $(OUTPUT)/lab/src-$*.key)/lib" $<
	$(Q)touch $@

# The kernel's own HMM selftest, built from the same source package as each lab kernel.
$(OUTPUT)/lab/hmm-tests-%: $(OUTPUT)/lab/src-%.key $(LAB)/build-hmm-tests.sh
	$(call msg,SELFTEST,$@)
	$(Q)$(LAB)/build-hmm-tests.sh $* $@

.PHONY: FORCE
FORCE:
# Kept between runs: they are what says the source has not changed.
.SECONDARY: $(foreach v,$(LAB_KERNELS),$(OUTPUT)/lab/src-$(v).key)

# ---- the lab ------------------------------------------------------------------------------------

lab-kernels:
	$(Q)for v in $(LAB_KERNELS); do $(LAB)/build-kernel.sh $$v >/dev/null || exit 1; done

$(LAB_IMAGE): $(LAB_IMAGE_BINS) $(LAB)/make-initramfs.sh $(LAB)/guest/init | $(OUTPUT)/lab
	$(call msg,CPIO,$@)
	$(Q)$(LAB)/make-initramfs.sh $@ $(LAB_IMAGE_BINS)

lab-image: $(LAB_IMAGE) $(LAB_UAPI_CHECKS)

lab: lab-kernels lab-image

vmlinux:
	$(Q)kdir=$$($(LAB)/build-kernel.sh 6.12) && \
		$(BPFTOOL) btf dump file $$kdir/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h.tmp && \
		mv vmlinux/$(ARCH)/vmlinux.h.tmp vmlinux/$(ARCH)/vmlinux.h
	$(call msg,GEN,vmlinux/$(ARCH)/vmlinux.h)

# ---- tests and demo -----------------------------------------------------------------------------

# `make check` installs what is missing first, then re-reads this Makefile (the lab paths above
# depend on the installed source packages).
check:
	$(Q)$(MAKE) deps
	$(Q)$(MAKE) -j$(NPROC) check-build
	$(Q)$(MAKE) check-run

# The build with one job per CPU, then the tests (tests/run-tests.sh) in two lanes of their own,
# which also build the lab kernels that are not in the cache yet, in the background
# (HMM_LAB_BUILD=1), while the cases that need none of them run.
ifeq ($(SANITIZE),1)
check-build: all
check-run: all
	$(Q)OUTPUT=$(OUTPUT) NO_LAB=1 tests/run-tests.sh
else
check-build: all lab-image
check-run: all lab-image
	$(Q)OUTPUT=$(OUTPUT) HMM_LAB_BUILD=1 tests/run-tests.sh
endif

# Benchmarks (not timed tests): figures go to docs/PERFORMANCE.md.
bench: all lab
	$(Q)tests/bench/bench.sh

# The long soak: hmm_exporter scraped every second for SOAK seconds (default 600) in the lab while
# the workload runs, resident memory sampled; prints the same section make bench writes.
soak: all lab
	$(Q)OUTPUT=$(OUTPUT) SOAK=$${SOAK:-600} tests/bench/exporter.sh

# make demo: one lab kernel (DEMO_KERNEL, the only one built), an image with just the tools and
# the workload generator, and the guest job tests/lab/demo.sh; the recording, the heatmap and the
# Chrome trace land in DEMO_OUT on this machine.
DEMO_KERNEL ?= 6.1
DEMO_OUT ?= $(OUTPUT)/demo
DEMO_IMAGE := $(OUTPUT)/lab/demo-initramfs.cpio.gz
DEMO_BINS := $(TOOL_BINS) $(OUTPUT)/tests/hmm_workload

$(DEMO_IMAGE): $(DEMO_BINS) $(LAB)/make-initramfs.sh $(LAB)/guest/init | $(OUTPUT)/lab
	$(call msg,CPIO,$@)
	$(Q)$(LAB)/make-initramfs.sh $@ $(DEMO_BINS)

demo:
	$(Q)$(MAKE) deps
	$(Q)$(MAKE) $(DEMO_IMAGE)
	$(Q)$(LAB)/build-kernel.sh $(DEMO_KERNEL) >/dev/null
	$(Q)mkdir -p $(DEMO_OUT)
	$(Q)$(LAB)/run.sh -k $(DEMO_KERNEL) -t 900 -i $(DEMO_IMAGE) -o $(DEMO_OUT) tests/lab/demo.sh \
		$(abspath $(DEMO_OUT))

# ---- install ------------------------------------------------------------------------------------

# The GNU names (prefix, sbindir, mandir ...) and PREFIX for prefix; DESTDIR for staging.
PREFIX ?= /usr/local
prefix ?= $(PREFIX)
exec_prefix ?= $(prefix)
sbindir ?= $(exec_prefix)/sbin
datarootdir ?= $(prefix)/share
datadir ?= $(datarootdir)
mandir ?= $(datarootdir)/man
man8dir ?= $(mandir)/man8
# bash-completion looks in $XDG_DATA_DIRS/bash-completion/completions: /usr/local/share and
# /usr/share by default; systemd in /usr/local/lib/systemd/system and /lib/systemd/system.
bashcompdir ?= $(datarootdir)/bash-completion/completions
systemdunitdir ?= $(prefix)/lib/systemd/system
rulesdir ?= $(datadir)/hmmscope/prometheus
INSTALL ?= install
INSTALL_PROGRAM ?= $(INSTALL) -m 0755
INSTALL_DATA ?= $(INSTALL) -m 0644
MANPAGES := $(patsubst %,man/man8/%.8,$(TOOLS))

install: $(TOOL_BINS) $(COMPLETIONS)
	$(call msg,INSTALL,$(DESTDIR)$(prefix))
	$(Q)$(INSTALL) -d $(DESTDIR)$(sbindir) $(DESTDIR)$(man8dir) $(DESTDIR)$(bashcompdir) \
		$(DESTDIR)$(systemdunitdir) $(DESTDIR)$(rulesdir)
	$(Q)$(INSTALL_PROGRAM) $(TOOL_BINS) $(DESTDIR)$(sbindir)/
	$(Q)$(INSTALL_DATA) $(MANPAGES) $(DESTDIR)$(man8dir)/
	$(Q)$(INSTALL_DATA) $(COMPLETIONS) $(DESTDIR)$(bashcompdir)/
	$(Q)sed 's|/usr/local/sbin/hmm_exporter|$(sbindir)/hmm_exporter|g' contrib/hmm_exporter.service \
		>$(OUTPUT)/hmm_exporter.service.tmp
	$(Q)$(INSTALL_DATA) $(OUTPUT)/hmm_exporter.service.tmp \
		$(DESTDIR)$(systemdunitdir)/hmm_exporter.service
	$(Q)rm -f $(OUTPUT)/hmm_exporter.service.tmp
	$(Q)$(INSTALL_DATA) contrib/prometheus/hmmscope.rules.yml $(DESTDIR)$(rulesdir)/

# Shared directories (sbin, man8 ...) stay; hmmscope's own under datadir go once empty.
uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(prefix))
	$(Q)rm -f $(patsubst %,$(DESTDIR)$(sbindir)/%,$(TOOLS)) \
		$(patsubst %,$(DESTDIR)$(man8dir)/%.8,$(TOOLS)) \
		$(patsubst %,$(DESTDIR)$(bashcompdir)/%,$(TOOLS)) \
		$(DESTDIR)$(systemdunitdir)/hmm_exporter.service \
		$(DESTDIR)$(rulesdir)/hmmscope.rules.yml
	$(Q)for d in $(DESTDIR)$(rulesdir) $(DESTDIR)$(datadir)/hmmscope; do \
		[ ! -d $$d ] || rmdir --ignore-fail-on-non-empty $$d; done

# ---- release tarball ----------------------------------------------------------------------------

# $(OUTPUT)/hmmscope-VERSION.tar.gz, with the full version in its VERSION file (scripts/dist.sh).
dist:
	$(Q)t=$$(scripts/dist.sh $(OUTPUT)) && printf '  %-8s %s\n' DIST "$$t"

clean:
	$(call msg,CLEAN,$(OUTPUT))
	$(Q)rm -rf $(OUTPUT)

-include $(wildcard $(OUTPUT)/*/*.d $(OUTPUT)/*/*/*.d)
