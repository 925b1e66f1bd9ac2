#!/bin/bash
# shellcheck source-path=SCRIPTDIR disable=SC2317 # t_* run via run_test
# run-harness.sh - the checkers the other suites rely on can say no.
#
# klpcheck and the eu-elflint filter decide many PASS lines; a checker
# that accepts everything would make those lines worthless.  Each test
# feeds them a file or a message they must reject.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# Only elflint's two messages about SHN_LIVEPATCH and SHF_RELA_LIVEPATCH on
# klp names are dropped; the same messages about other names, other flags,
# and anything else are kept.
t_elflint_filter() {
	cat >in <<'EOF'
section [ 2] '.klp.rela.vmlinux..text' contains unknown flag(s) 0x100000
section [12] '.symtab': symbol 14 (.klp.sym.vmlinux.foo,0): invalid section index
No errors
section [ 3] '.rela.text' contains unknown flag(s) 0x100000
section [ 2] '.klp.rela.vmlinux..text' contains unknown flag(s) 0x200000
section [12] '.symtab': symbol 15 (foo): invalid section index
section [ 2] '.rela.text' has wrong type: expected RELA, is REL
EOF
	filter_elflint <in >out || true
	compare "kept elflint messages" out <<'EOF'
section [ 3] '.rela.text' contains unknown flag(s) 0x100000
section [ 2] '.klp.rela.vmlinux..text' contains unknown flag(s) 0x200000
section [12] '.symtab': symbol 15 (foo): invalid section index
section [ 2] '.rela.text' has wrong type: expected RELA, is REL
EOF
}
run_test elflint_filter_drops_only_the_two_klp_messages t_elflint_filter

# A hand-made "conversion" (elfpoke) with the defects the kernel rejects.
# sample.S symbols: 8 saved_command_line (vmlinux), 9 target_fn and
# 13 counter (klp_target); [2] .rela.text holds printk, then all three.
t_klpcheck() {
	need_x86_64
	sample sample.S
	build_ko good.ko sample.S
	# Unconverted: klpcheck refuses.
	! "$builddir/klpcheck" good.ko >out || fail "klpcheck accepted an unconverted module"
	assert_grep "was not converted" out
	# Converted names without the ",pos" the kernel's sscanf needs, a
	# section name that reads as object "vmlinux__data", an exported
	# symbol (printk) in a klp section, and a
	# module-specific section that names a vmlinux symbol.
	cp good.ko bad.ko
	elfpoke bad.ko \
		sym 8 name .klp.sym.vmlinux.saved_command_line sym 8 shndx 0xff20 \
		sym 9 name .klp.sym.klp_target.target_fn,1 sym 9 shndx 0xff20 \
		sym 13 name .klp.sym.vmlinux.counter,2 sym 13 shndx 0xff20 \
		shdr 2 flags 0x100042 shdr 2 name .klp.rela.klp_target..text \
		shdr 5 flags 0x100042 shdr 5 name .klp.rela.vmlinux__data
	! "$builddir/klpcheck" bad.ko >out || fail "klpcheck accepted bad.ko"
	cat out
	assert_grep "symbol '\\.klp\\.sym\\.vmlinux\\.saved_command_line' has an incorrectly formatted name" out
	assert_grep "section '\\.klp\\.rela\\.vmlinux__data': the kernel reads object 'vmlinux__data'" out
	assert_grep "symbol printk is not marked as a livepatch symbol" out
	assert_grep "invalid access to vmlinux symbol 'counter' from module-specific livepatch relocation section '\\.klp\\.rela\\.klp_target\\.\\.text'" out
	# And the real tool's output of the same file passes.
	run_tool 0 good.ko
	klpcheck good.ko
}
run_test klpcheck_rejects_what_the_kernel_rejects t_klpcheck

# make bench checks every output it times: the tool's and bare-convert's
# with klp-verify.  bare-convert is a reference only: a size it refuses
# (more objects than a byte holds) gets no bare time, and a note, but the
# bench goes on and still judges the tool.
t_bench_references() {
	KLP_CONVERT=$KLP_CONVERT "$top/bench/bench.sh" --no-lint --runs 1 \
		--sizes small,50:20:400:300 >out 2>&1 || {
		cat out
		fail "make bench's script failed"
	}
	assert_grep "^bench: all outputs correct$" out
	assert_grep "^  note: no bare-convert reference: .*: more than 255 objects$" out
	# every size's rounds time the start-up too, wall and CPU
	assert_grep "^  the start-up in each size's rounds: small [0-9]+\.[0-9]{2} ms \(CPU [0-9]+\.[0-9]{2}\), 50:20:400:300 [0-9]+\.[0-9]{2} ms \(CPU [0-9]+\.[0-9]{2}\)$" out
	# the wall table's "bare ms" column (9th): a time for small, none
	# for the size it refused
	awk '/^Wall time/ { w = 1 } /^CPU time/ { w = 0 }
	     w && $1 == "small" { print "small", ($9 ~ /^[0-9]+\.[0-9]+$/) }
	     w && $1 == "50:20:400:300" { print "wide", $9 }' out >bare
	compare "bare ms column" bare <<'EOF'
small 1
wide -
EOF
}

# The test scripts themselves stay shellcheck-clean (bash, every warning
# level), so a quoting slip cannot quietly turn an assertion into a no-op.
t_shellcheck() {
	command -v shellcheck >/dev/null || skip "shellcheck not installed"
	(cd "$srcdir" && shellcheck -x -s bash lib.sh check.sh run-*.sh \
		malformed/subr.sh kernel/*.sh ../demo/*.sh ../bench/bench.sh ../fuzz/*.sh \
		../scripts/*.sh ../.ci/run) ||
		fail "shellcheck found problems"
}
# Not again in the sanitizer rerun: it does not depend on the tool.
if [ -z "$test_prefix" ]; then
	run_test test_scripts_are_shellcheck_clean t_shellcheck
	run_test bench_checks_bare_convert_and_goes_on_without_it t_bench_references
fi

end_suite
