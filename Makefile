# SPDX-License-Identifier: GPL-2.0-or-later
# klp-convert-mini: build, test, install.  `make help` lists the targets.

VERSION		:= 0.1

PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
INCLUDEDIR	?= $(PREFIX)/include
MANDIR		?= $(PREFIX)/share/man
DATADIR		?= $(PREFIX)/share/klp-convert-mini
INSTALL		?= install

PKG_CONFIG	?= pkg-config
LIBELF_CFLAGS	:= $(shell $(PKG_CONFIG) --cflags libelf 2>/dev/null)
LIBELF_LIBS	:= $(shell $(PKG_CONFIG) --libs libelf 2>/dev/null || echo -lelf)

CFLAGS		?= -O2 -g
WARNINGS	:= -Wall -Wextra -Wmissing-prototypes -Wmissing-declarations \
		   -Wwrite-strings -Wshadow -Wformat=2 -Wvla
ifeq ($(WERROR),1)
WARNINGS	+= -Werror
endif
KLP_CFLAGS	:= -std=gnu11 -pthread $(WARNINGS) $(LIBELF_CFLAGS) \
		   -DKLP_CONVERT_VERSION='"$(VERSION)"' -MMD -MP
# The ThreadSanitizer build takes these, never SANITIZE=1's ASan flags
# (the two sanitizers do not mix).
TSAN_CFLAGS	:= $(KLP_CFLAGS)
TSAN_LDFLAGS	:= $(LDFLAGS)
SAN_FLAGS	:= -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer
TSAN_FLAGS	:= -fsanitize=thread

PROG		:= klp-convert-mini
PROG_SAN	:= build/san/$(PROG)
PROG_TSAN	:= build/tsan/$(PROG)
SRCS		:= klp-convert-mini.c convert.c stream.c check.c klp.c arch.c elf-file.c diag.c
OBJS		:= $(SRCS:%.c=build/%.o)
OBJS_SAN	:= $(SRCS:%.c=build/san/%.o)
OBJS_TSAN	:= $(SRCS:%.c=build/tsan/%.o)

# SANITIZE=1: the tool itself is built with ASan+UBSan.
ifeq ($(SANITIZE),1)
KLP_CFLAGS	+= $(SAN_FLAGS)
LDFLAGS		+= $(SAN_FLAGS)
endif

.DELETE_ON_ERROR:
.PHONY: all check install uninstall clean help deps-test deps-kernel deps-bench \
	deps-fuzz fuzz \
	demo bench lint

all: $(PROG)

$(PROG): $(OBJS)
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(LIBELF_LIBS)

build/%.o: %.c | build
	$(CC) $(CPPFLAGS) $(KLP_CFLAGS) $(CFLAGS) -c -o $@ $<

$(PROG_SAN): $(OBJS_SAN)
	$(CC) $(LDFLAGS) $(SAN_FLAGS) -pthread -o $@ $^ $(LIBELF_LIBS)

build/san/%.o: %.c | build/san
	$(CC) $(CPPFLAGS) $(KLP_CFLAGS) $(CFLAGS) $(SAN_FLAGS) -c -o $@ $<

# ThreadSanitizer: the helper threads share the model (tests/run-convert.sh).
$(PROG_TSAN): $(OBJS_TSAN)
	$(CC) $(TSAN_LDFLAGS) $(TSAN_FLAGS) -pthread -o $@ $^ $(LIBELF_LIBS)

build/tsan/%.o: %.c | build/tsan
	$(CC) $(CPPFLAGS) $(TSAN_CFLAGS) $(CFLAGS) $(TSAN_FLAGS) -c -o $@ $<

build build/san build/tsan:
	mkdir -p $@

-include $(OBJS:.o=.d) $(OBJS_SAN:.o=.d) $(OBJS_TSAN:.o=.d)

# Test environment: the scripts find everything through these.
TEST_ENV	= LC_ALL=C KLP_TOPDIR=$(CURDIR) \
		  KLP_CONVERT=$(CURDIR)/$(PROG) \
		  KLP_CONVERT_SAN=$(CURDIR)/$(PROG_SAN) \
		  KLP_CONVERT_TSAN=$(CURDIR)/$(PROG_TSAN)
# VALGRIND=1: every tool run of the offline suites under memcheck, and
# no ASan rerun (the two do not mix).
ifeq ($(VALGRIND),1)
TEST_ENV	+= KLP_VALGRIND=1 KLP_CONVERT_SAN=
endif

# `make check` runs everything: the offline suite with the normal and the
# ASan+UBSan build, then the kernel suite (qemu, Debian's 6.1 and 6.12).
# KLP_SKIP_KERNEL=1 skips the kernel suite, and says so in the count.
check: deps-test
	$(MAKE) $(PROG) $(PROG_SAN) $(PROG_TSAN)
	$(TEST_ENV) tests/check.sh

# The fragment is told where klp_reloc.h went (INCLUDEDIR, never DESTDIR:
# that is only where the files are staged).
install: $(PROG)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DATADIR)
	$(INSTALL) -m 0755 $(PROG) $(DESTDIR)$(BINDIR)/$(PROG)
	$(INSTALL) -m 0644 klp_reloc.h $(DESTDIR)$(INCLUDEDIR)/klp_reloc.h
	$(INSTALL) -m 0644 $(PROG).1 $(DESTDIR)$(MANDIR)/man1/$(PROG).1
	sed 's|^klp_installed_include :=.*|klp_installed_include := $(INCLUDEDIR)|' \
		klp-convert-mini.mk >$(DESTDIR)$(DATADIR)/klp-convert-mini.mk
	chmod 0644 $(DESTDIR)$(DATADIR)/klp-convert-mini.mk

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/$(PROG) $(DESTDIR)$(INCLUDEDIR)/klp_reloc.h \
		$(DESTDIR)$(MANDIR)/man1/$(PROG).1 \
		$(DESTDIR)$(DATADIR)/klp-convert-mini.mk
	-rmdir $(DESTDIR)$(DATADIR) 2>/dev/null

demo: deps-kernel
	$(MAKE) $(PROG)
	$(TEST_ENV) demo/demo.sh

bench: deps-bench
	$(MAKE) $(PROG)
	$(TEST_ENV) bench/bench.sh

# libFuzzer on the whole pipeline, on the straight path against the model
# and on the name parser; crashes found
# are copied to tests/fuzz-regress/, which `make check` replays.
FUZZ_SECONDS	?= 60
fuzz: deps-fuzz
	$(MAKE) -C fuzz run FUZZ_SECONDS=$(FUZZ_SECONDS)

# Packages first: the build itself needs libelf-dev.
deps-test:
	scripts/install-deps.sh build test cross kernel
deps-kernel:
	scripts/install-deps.sh build kernel
deps-bench:
	scripts/install-deps.sh build bench
deps-fuzz:
	scripts/install-deps.sh build fuzz cross

lint:
	scripts/install-deps.sh lint
	cppcheck -q --enable=warning,style,performance,portability \
		--error-exitcode=1 --inline-suppr --suppress=missingIncludeSystem $(SRCS)
	clang-tidy --quiet --warnings-as-errors='*' $(SRCS) -- -std=gnu11 $(LIBELF_CFLAGS)
	shellcheck scripts/*.sh .ci/run

clean:
	rm -rf build $(PROG)

help:
	@echo 'Targets:'
	@echo '  all        build ./$(PROG) (default)'
	@echo '  check      install missing packages, run every test (offline, ASan+UBSan, qemu kernels)'
	@echo '  demo       the conference demo: build, convert, boot a kernel, patch it'
	@echo '  bench      time and memory against cp and objcopy on generated modules'
	@echo '  fuzz       run the libFuzzer targets FUZZ_SECONDS each (default 60)'
	@echo '  lint       cppcheck, clang-tidy and shellcheck'
	@echo '  install    install binary, klp_reloc.h, man page and make fragment'
	@echo '  uninstall  remove what install installed'
	@echo '  clean      remove build products'
	@echo 'Variables: PREFIX=$(PREFIX) DESTDIR= SANITIZE=1 WERROR=1 CC=$(CC)'
	@echo '           VALGRIND=1 (check under valgrind memcheck)'
	@echo '           KLP_SKIP_KERNEL=1 (check without the qemu suite)'
