#!/bin/bash
# shellcheck source-path=SCRIPTDIR disable=SC2317 # t_* run via run_test
# run-make.sh - klp-convert-mini.mk's own logic, and what `make install`
# makes of it, with a stand-in for kbuild.
#
# tests/kernel/run.sh builds the samples with the real kbuild and modpost of
# Debian's 6.1 and 6.12; here a KDIR of a few lines plays kbuild's part, so
# that what the fragment decides (which modpost lines it drops, what it does
# with a module it cannot convert, what it hands to modules_install, where
# an installed copy looks for klp_reloc.h) is tested in seconds, offline.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# The make running this suite (make check) must not leak its flags or its
# level into the makes run here: their messages are compared.
unset MAKEFLAGS MFLAGS MAKELEVEL

# stand_in_kbuild: ./kdir, a kernel build directory whose `modules` "links"
# each module of $(M)/stage that is missing from $(M) by copying it there
# (kbuild links a .ko again when it is missing, and leaves a newer one
# alone), writes $(M)/modules.order from $(M)/stage/modules.order and prints
# $(M)/stage/modpost.err on stderr, as modpost would, and fails if
# $(M)/stage/fail exists.  Module.symvers exports printk.
stand_in_kbuild() {
	mkdir kdir
	printf '0x12345678\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n' >kdir/Module.symvers
	cat >kdir/Makefile <<'EOF'
modules:
	@echo "kbuild: modules KLP_INCLUDE=$(KLP_INCLUDE) KBUILD_MODPOST_WARN=$(KBUILD_MODPOST_WARN)"
	@for f in $(M)/stage/*.ko; do \
		[ -f $(M)/$${f##*/} ] || { echo "  LD [M]  $${f##*/}"; cp $$f $(M)/; }; \
	done
	@sed 's|^|$(M)/|' $(M)/stage/modules.order >$(M)/modules.order
	@cat $(M)/stage/modpost.err >&2
	@! [ -e $(M)/stage/fail ]
modules_install:
	@echo "kbuild: modules_install M=$(M) INSTALL_MOD_PATH=$(INSTALL_MOD_PATH)"
	@mkdir -p $(INSTALL_MOD_PATH)/extra
	@for m in $$(cat $(M)/modules.order); do cp $${m%.*}.ko $(INSTALL_MOD_PATH)/extra/; done
clean:
	@echo "kbuild: clean M=$(M)"
EOF
}

# livepatch_dir DIR MODULE...: DIR holds a livepatch Makefile with obj-m
# MODULE.o... that includes the fragment through $(KLP_MK), and, in
# DIR/stage, each MODULE.ko as the stand-in links it: good*.ko use an
# annotated symbol and printk, bad*.ko also a misspelled symbol nobody
# exports.  modules.order lists them (as 6.12 does, NAME.o) and
# modpost.err is empty.
livepatch_dir() {
	local dir=$1 m
	shift
	mkdir -p "$dir/stage"
	cat >good.c <<'EOF'
#include "klp_reloc.h"
#include "modinfo.h"
MODULE_INFO(livepatch, "Y");
extern int printk(const char *, ...);
extern char *saved_command_line KLP_RELOC_SYMBOL(vmlinux, saved_command_line, 0);
int lp_show(void) { return printk("%s", saved_command_line); }
EOF
	{ cat good.c; echo 'extern int klp_typo; int *klp_typo_ref = &klp_typo;'; } >bad.c
	echo "obj-m := $(printf '%s.o ' "$@")" >"$dir/Makefile"
	cat >>"$dir/Makefile" <<'EOF'
KLP_MK ?= /nowhere/klp-convert-mini.mk
include $(KLP_MK)
EOF
	for m in "$@"; do
		build_kmod "$dir/stage/$m.ko" "${m%%[0-9]*}.c"
		echo "$m.o" >>"$dir/stage/modules.order"
	done
	: >"$dir/stage/modpost.err"
}

# klp_make DIR [ARGS...]: make in DIR with the source tree's fragment and the
# stand-in kbuild; stdout to DIR.out, stderr to DIR.err, the exit status
# returned.
klp_make() {
	local dir=$1
	shift
	make -C "$dir" --no-print-directory KDIR="$PWD/kdir" \
		KLP_MK="$top/klp-convert-mini.mk" KLP_CONVERT="$KLP_CONVERT" "$@" \
		>"$dir.out" 2>"$dir.err"
}

# The first 10 "undefined!" warnings of a modpost run, all about annotated
# symbols, another warning, and the line modpost prints after the 10th.
modpost_err() {
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		echo "WARNING: modpost: \".klp.sym.rela.vmlinux.vmlinux.sym$i.0\" [$PWD/lp/good.ko] undefined!"
	done
	echo "WARNING: modpost: missing MODULE_DESCRIPTION() in $PWD/lp/good.o"
	echo "WARNING: modpost: suppressed 2 unresolved symbol warnings because there were too many)"
}

# Every annotated symbol's warning is dropped.  The "suppressed" line is
# dropped only when the build goes on to convert, with --symvers, every
# module kbuild built (modules.order as 6.1 and as 6.12 write it); it stays
# for `make klp-build`, when kbuild fails, and when modules.order names a
# module that obj-m does not.  Other warnings always stay.
t_modpost_suppressed() {
	stand_in_kbuild
	livepatch_dir lp good
	modpost_err >lp/stage/modpost.err
	klp_make lp || { cat lp.out lp.err; fail "make failed"; }
	compare "stderr of make (6.12's modules.order)" lp.err <<EOF
WARNING: modpost: missing MODULE_DESCRIPTION() in $PWD/lp/good.o
EOF
	echo good.ko >lp/stage/modules.order
	klp_make lp || { cat lp.out lp.err; fail "make failed"; }
	compare "stderr of make (6.1's modules.order)" lp.err <<EOF
WARNING: modpost: missing MODULE_DESCRIPTION() in $PWD/lp/good.o
EOF
	klp_make lp klp-build || { cat lp.out lp.err; fail "make klp-build failed"; }
	compare "stderr of make klp-build" lp.err <<EOF
WARNING: modpost: missing MODULE_DESCRIPTION() in $PWD/lp/good.o
WARNING: modpost: suppressed 2 unresolved symbol warnings because there were too many)
EOF
	touch lp/stage/fail
	! klp_make lp || { cat lp.out lp.err; fail "make succeeded"; }
	compare "stderr of make, kbuild failed" <(grep -v '^make\(\[1\]\)\?: \*\*\*' lp.err) <<EOF
WARNING: modpost: missing MODULE_DESCRIPTION() in $PWD/lp/good.o
WARNING: modpost: suppressed 2 unresolved symbol warnings because there were too many)
EOF
	rm lp/stage/fail
	echo other.ko >>lp/stage/modules.order
	klp_make lp || { cat lp.out lp.err; fail "make failed"; }
	compare "stderr of make, a module obj-m does not name" lp.err <<EOF
WARNING: modpost: missing MODULE_DESCRIPTION() in $PWD/lp/good.o
WARNING: modpost: suppressed 2 unresolved symbol warnings because there were too many)
EOF
	klpcheck lp/good.ko >/dev/null
}
run_test modpost_suppressed_line_dropped_only_when_every_module_is_checked t_modpost_suppressed

# A module that fails to convert does not stop the others; it is named,
# removed, and the run fails at the end.  The next make links it again and
# fails the same way, and leaves the converted module alone.
t_failed_module() {
	stand_in_kbuild
	livepatch_dir lp bad good2 bad3
	! klp_make lp || { cat lp.out lp.err; fail "make succeeded"; }
	cat lp.out lp.err
	assert_grep "^  KLP-CONVERT bad\.ko$" lp.out
	assert_grep "^  KLP-CONVERT good2\.ko$" lp.out
	assert_grep "^  KLP-CONVERT bad3\.ko$" lp.out
	assert_grep "^$me: error: bad\.ko: .*symbol 'klp_typo':? is not exported" lp.err
	assert_grep "^$me: error: bad3\.ko: .*symbol 'klp_typo':? is not exported" lp.err
	assert_grep "^klp-convert-mini\.mk: bad\.ko: not converted; removed it$" lp.err
	assert_grep "^klp-convert-mini\.mk: bad3\.ko: not converted; removed it$" lp.err
	assert_no_grep "good2\.ko: not converted" lp.err
	[ ! -e lp/bad.ko ] || fail "bad.ko left in place"
	[ ! -e lp/bad3.ko ] || fail "bad3.ko left in place"
	assert_converted lp/stage/good2.ko lp/good2.ko
	ls -A lp >before
	(cd lp && save good2.ko)
	! klp_make lp || { cat lp.out lp.err; fail "make succeeded the second time"; }
	cat lp.out lp.err
	assert_grep "^  LD \[M\]  bad\.ko$" lp.out
	assert_no_grep "LD \[M\]  good2\.ko" lp.out
	assert_grep "^klp-convert-mini\.mk: bad\.ko: not converted; removed it$" lp.err
	(cd lp && assert_unchanged good2.ko)
	ls -A lp >after
	compare_files "the directory after a second make" before after
}
run_test failed_module_removed_others_converted_run_fails t_failed_module

# A tool that is not there stops the build before kbuild leaves any
# unconverted module behind.
t_no_tool() {
	stand_in_kbuild
	livepatch_dir lp good
	! klp_make lp KLP_CONVERT=/nonexistent/klp-convert-mini ||
		fail "make succeeded"
	cat lp.out lp.err
	assert_grep "^klp-convert-mini\.mk: '/nonexistent/klp-convert-mini' not found; install klp-convert-mini or set KLP_CONVERT$" lp.err
	[ ! -e lp/good.ko ] || fail "an unconverted good.ko was left"
}
run_test missing_tool_stops_the_build_before_kbuild t_no_tool

# modules_install converts first (a module left unconverted by `make
# klp-build` is not installed as it is), then hands over to kbuild's with
# M= and the INSTALL_MOD_* variables; a failed conversion installs nothing.
t_modules_install() {
	stand_in_kbuild
	livepatch_dir lp good
	klp_make lp klp-build || { cat lp.out lp.err; fail "make klp-build failed"; }
	klp_make lp modules_install INSTALL_MOD_PATH="$PWD/root" ||
		{ cat lp.out lp.err; fail "make modules_install failed"; }
	cat lp.out lp.err
	assert_grep "^  KLP-CONVERT good\.ko$" lp.out
	assert_grep "^kbuild: modules_install M=$PWD/lp INSTALL_MOD_PATH=$PWD/root$" lp.out
	assert_converted lp/stage/good.ko root/extra/good.ko
	livepatch_dir lp2 bad
	! klp_make lp2 modules_install INSTALL_MOD_PATH="$PWD/root2" ||
		fail "make modules_install succeeded"
	[ ! -e root2 ] || fail "modules_install ran after a failed conversion"
}
run_test modules_install_installs_converted_modules_only t_modules_install

# The source tree's fragment uses the klp_reloc.h beside it.  An installed
# one uses the INCLUDEDIR it was installed with, whatever DATADIR is, and
# DESTDIR, where the files are only staged, is not part of the path.
t_install() {
	[ -x "$top/klp-convert-mini" ] || skip "no $top/klp-convert-mini (run make)"
	stand_in_kbuild
	livepatch_dir lp good
	klp_make lp || { cat lp.out lp.err; fail "make failed"; }
	assert_grep "^kbuild: modules KLP_INCLUDE=$top KBUILD_MODPOST_WARN=1$" lp.out
	# -o: never rebuild the tool under the other suites' feet.
	make -C "$top" -o klp-convert-mini --no-print-directory install \
		PREFIX=/usr INCLUDEDIR=/usr/include/klp-convert-mini \
		DATADIR=/usr/lib/klp DESTDIR="$PWD/dest" >install.out 2>&1 ||
		{ cat install.out; fail "make install failed"; }
	assert_grep "^klp_installed_include := /usr/include/klp-convert-mini$" dest/usr/lib/klp/klp-convert-mini.mk
	assert_no_grep "$PWD/dest" dest/usr/lib/klp/klp-convert-mini.mk
	[ -f dest/usr/include/klp-convert-mini/klp_reloc.h ] || fail "klp_reloc.h not installed"
	# Installed for real (no DESTDIR) under a non-default layout, then used.
	make -C "$top" -o klp-convert-mini --no-print-directory install \
		PREFIX="$PWD/inst" INCLUDEDIR="$PWD/inst/include/klp-convert-mini" \
		DATADIR="$PWD/inst/lib/klp" >install.out 2>&1 ||
		{ cat install.out; fail "make install failed"; }
	klp_make lp KLP_MK="$PWD/inst/lib/klp/klp-convert-mini.mk" ||
		{ cat lp.out lp.err; fail "make with the installed fragment failed"; }
	assert_grep "^kbuild: modules KLP_INCLUDE=$PWD/inst/include/klp-convert-mini KBUILD_MODPOST_WARN=1$" lp.out
}
run_test installed_fragment_finds_klp_reloc_h_where_it_was_installed t_install

end_suite
