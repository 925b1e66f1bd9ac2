# SPDX-License-Identifier: GPL-2.0-or-later
#
# klp-convert-mini.mk - post-link step for out-of-tree livepatch modules.
#
# Include it from the Makefile of a livepatch module that uses klp_reloc.h:
#
#	obj-m := livepatch_foo.o
#	KLP_MK ?= /usr/local/share/klp-convert-mini/klp-convert-mini.mk
#	include $(KLP_MK)
#
# and run `make KDIR=/path/to/kernel/build`.  It lets kbuild compile and link
# the modules as usual, then converts every module of obj-m in place with
# klp-convert-mini, checking against the kernel's Module.symvers that no
# undefined symbol is left that the kernel does not export.  The conversion
# must come after the last link: linkers keep neither SHN_LIVEPATCH symbols
# nor SHF_RELA_LIVEPATCH sections.
#
# kbuild reads this Makefile twice: once as the command you ran (the "outer"
# pass, KERNELRELEASE unset) and once from the kernel tree as the module's
# kbuild file.  The outer pass hands its absolute paths to the inner one on
# the command line, which is why the include must go through $(KLP_MK) (or an
# absolute path).
#
# Variables (set them on the command line or before the include):
#   KDIR          kernel build directory
#                 (default /lib/modules/$(uname -r)/build)
#   KLP_CONVERT   the tool (default: klp-convert-mini on PATH)
#   KLP_INCLUDE   directory of klp_reloc.h (default: the INCLUDEDIR that
#                 `make install` wrote into this copy; in the source tree,
#                 beside this file)
#   KLP_SYMVERS   more Module.symvers files whose exports the livepatch may
#                 use (modules it depends on); KBUILD_EXTRA_SYMBOLS and this
#                 directory's own Module.symvers are passed as well
#   KLP_CONVERT_FLAGS  more options for the tool, e.g. -v
#
# Targets: all and modules (build, then convert), modules_install (kbuild's,
# with M=, after the conversion), clean, and klp-build (kbuild only: the
# modules it leaves are not converted).
#
# modpost: the annotated symbols (.klp.sym.rela.*) are undefined when modpost
# runs, so the build sets KBUILD_MODPOST_WARN=1 to turn "undefined!" into a
# warning, and drops exactly those warnings from the output.  Every other
# warning stays visible, and a real undefined symbol (a typo, a forgotten
# annotation) still fails the build: after conversion the tool's --symvers
# check refuses any undefined symbol that no Module.symvers exports.
# modpost (6.1 and 6.12) prints the first 10 "undefined!" warnings of a run,
# then "suppressed N unresolved symbol warnings because there were too
# many)", without saying which.  That line is dropped only when kbuild
# succeeded, the build goes on to the conversion and every module kbuild
# built (its modules.order) is one of obj-m: --symvers then checks them all
# and names any real symbol among the suppressed ones.  `make klp-build`, a
# failed kbuild, or a module this file does not convert keeps it.
#
# A module whose conversion fails is removed, so that no unconverted .ko is
# left to be installed or packaged as if it were finished; the others are
# still converted, and the run fails once they all have been tried.  The next
# `make` has kbuild link the removed module again, and tries once more.

KLP_MK_FILE := $(abspath $(lastword $(MAKEFILE_LIST)))
KLP_MK_DIR := $(patsubst %/,%,$(dir $(KLP_MK_FILE)))
# `make install` writes its INCLUDEDIR (without DESTDIR) here, in the copy
# it installs; in the source tree klp_reloc.h is beside this file.
klp_installed_include :=
KLP_INCLUDE ?= $(or $(klp_installed_include),$(KLP_MK_DIR))

ifneq ($(KERNELRELEASE),)
# ---- inner pass: kbuild reads this as the module's kbuild file ----------

ccflags-y += -I$(KLP_INCLUDE)

else
# ---- outer pass: the command the user ran --------------------------------

KDIR ?= /lib/modules/$(shell uname -r)/build
KLP_CONVERT ?= klp-convert-mini
KLP_SYMVERS ?=
KLP_CONVERT_FLAGS ?=

# kbuild, told where this file and klp_reloc.h are for its pass.
klp_kbuild = $(MAKE) -C $(KDIR) M=$(CURDIR) KLP_MK=$(KLP_MK_FILE) KLP_INCLUDE=$(KLP_INCLUDE)
klp_kos = $(patsubst %.o,%.ko,$(obj-m))
klp_symvers = $(KDIR)/Module.symvers $(wildcard $(CURDIR)/Module.symvers) \
	$(KBUILD_EXTRA_SYMBOLS) $(KLP_SYMVERS)

# WARNING: modpost: ".klp.sym.rela.vmlinux.vmlinux.foo.0" [/dir/lp.ko] undefined!
klp_modpost_noise = ^WARNING: modpost: "\.klp\.sym\.rela\.[^"]*" \[[^]]*\] undefined!$$
# WARNING: modpost: suppressed 2 unresolved symbol warnings because there were too many)
klp_modpost_suppressed = ^WARNING: modpost: suppressed [0-9]+ unresolved symbol warnings because there were too many[)]$$

# Succeeds if every module kbuild built is one that klp-convert converts
# with --symvers.  modules.order names them /dir/foo.ko (6.1) or /dir/foo.o
# (6.12); anything else, or no modules.order, fails.
klp_checks_all = awk -v kos='$(addprefix $(CURDIR)/,$(klp_kos))' \
	'BEGIN { n = split(kos, k, " "); for (i = 1; i <= n; i++) conv[k[i]] } \
	 { sub(/\.o$$/, ".ko") } !($$0 in conv) { other = 1 } END { exit other }' \
	$(CURDIR)/modules.order

.PHONY: all modules modules_install klp-build klp-convert clean

all: modules
modules: klp-convert

# The build goes on to the conversion: klp-build, as a prerequisite of
# klp-convert, checks for the tool first and may drop modpost's
# "suppressed" line.
klp-convert: klp_converting := 1

# modpost's warnings go to stderr: filter only stderr, keep stdout as it is.
# kbuild's exit status survives the pipe through a file (/bin/sh may be dash,
# which has no pipefail).  The "suppressed" line is held until kbuild is done
# and modules.order is known.
klp-build:
	@test -f $(KDIR)/Module.symvers || \
		{ echo "klp-convert-mini.mk: $(KDIR)/Module.symvers not found; set KDIR to a kernel build directory" >&2; exit 1; }
	@test -f $(KLP_INCLUDE)/klp_reloc.h || \
		{ echo "klp-convert-mini.mk: $(KLP_INCLUDE)/klp_reloc.h not found; set KLP_INCLUDE" >&2; exit 1; }
	@$(if $(klp_converting),command -v $(firstword $(KLP_CONVERT)) >/dev/null 2>&1 || \
		{ echo "klp-convert-mini.mk: '$(KLP_CONVERT)' not found; install klp-convert-mini or set KLP_CONVERT" >&2; exit 1; })
	@status=$$(mktemp); held=$$(mktemp); \
	{ { $(klp_kbuild) KBUILD_MODPOST_WARN=1 modules 2>&1 1>&3; echo $$? >"$$status"; } | \
	  awk -v held="$$held" '/$(klp_modpost_noise)/ { next } \
		/$(klp_modpost_suppressed)/ { print >held; next } { print }' >&2; } 3>&1; \
	rc=$$(cat "$$status"); \
	if [ -s "$$held" ] && ! { [ $$rc = 0 ] && $(if $(klp_converting),$(klp_checks_all),false); }; then \
		cat "$$held" >&2; \
	fi; \
	rm -f "$$status" "$$held"; exit $$rc

# One run per module: with two file arguments the tool reads IN OUT.  Every
# module is tried; one that fails is removed (see the top of this file).
klp-convert: klp-build
	@failed=0; for ko in $(klp_kos); do \
		echo "  KLP-CONVERT $$ko"; \
		$(KLP_CONVERT) $(KLP_CONVERT_FLAGS) \
			$(foreach f,$(klp_symvers),--symvers $(f)) "$$ko" || { \
			failed=1; rm -f "$$ko"; \
			echo "klp-convert-mini.mk: $$ko: not converted; removed it" >&2; }; \
	done; \
	exit $$failed

# kbuild installs what modules.order lists (INSTALL_MOD_PATH, INSTALL_MOD_DIR
# and INSTALL_MOD_STRIP pass through), and signs it if the kernel's config
# says so, which must come after the conversion.  Depending on klp-convert
# means an unconverted module is never installed; when the build is up to
# date, neither kbuild nor the tool writes anything.
modules_install: klp-convert
	$(klp_kbuild) modules_install

clean:
	$(klp_kbuild) clean

endif
