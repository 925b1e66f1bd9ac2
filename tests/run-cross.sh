#!/bin/bash
# shellcheck source-path=SCRIPTDIR disable=SC2317 # t_* run via run_test
# run-cross.sh - the same sample on every architecture livepatch supports
# that Debian has a cross compiler for, and natively.
#
# tests/src/sample.c is compiled with each architecture's kernel-module
# code model and linked with the matching `ld -r`; the converted module
# must be exactly what tests/predict.awk derives from the unconverted one
# (same relocation offsets, types and addends, now in the klp sections),
# pass klpcheck and eu-elflint.  s390x is big-endian; ppc64le reaches its
# data through .toc; aarch64 splits addresses over ADRP/LDR pairs.
#
# A missing cross compiler FAILS the test (apt-get install
# gcc-aarch64-linux-gnu gcc-s390x-linux-gnu gcc-powerpc64le-linux-gnu
# gcc-riscv64-linux-gnu), unless KLP_SKIP_CROSS=1.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

need_cross() {
	local cross=$1
	if ! command -v "${cross}gcc" >/dev/null || ! command -v "${cross}ld" >/dev/null; then
		if [ "${KLP_SKIP_CROSS:-0}" = 1 ]; then
			skip "${cross}gcc not installed (KLP_SKIP_CROSS=1)"
		fi
		fail "${cross}gcc or ${cross}ld not installed (set KLP_SKIP_CROSS=1 to skip)"
	fi
}

# t_arch CROSS-PREFIX "EXPECTED HEADER" FLAGS...
t_arch() {
	local cross=$1 header=$2
	shift 2
	[ -z "$cross" ] || need_cross "$cross"
	sample sample.c
	CROSS=$cross build_ko mod.ko sample.c -- "$@"
	dump -h mod.ko >h
	compare "ELF header" h <<<"$header"
	# The fixture has something to move from code and from data.
	local n
	n=$(dump -r mod.ko | grep -c '\.klp\.sym\.rela\.')
	[ "$n" -ge 6 ] || fail "only $n relocations against annotated symbols"
	save mod.ko
	run_tool 0 mod.ko
	assert_converted "$t.save/mod.ko" mod.ko
	assert_no_temp
	# The tool's own verifier agrees with klpcheck on this arch.
	run_tool 0 --check mod.ko
	# Converting again changes nothing.
	cp mod.ko once.ko
	run_tool 0 mod.ko
	cmp -s once.ko mod.ko || fail "second run changed the file"
}

# The kernel's own flags for modules, per architecture, where they decide
# the relocations: x86_64 -mcmodel=kernel; s390 modules are -fPIC; riscv
# uses -mcmodel=medany and, when it can, -mno-relax; ppc64le -mcmodel=medium.
run_test "cross_arch_sample_converts_as_predicted[x86_64]" t_arch "" \
	"class=ELF64 data=LSB type=1 machine=62" \
	-fno-pic -fno-pie -mcmodel=kernel -mno-red-zone -fno-asynchronous-unwind-tables
run_test "cross_arch_sample_converts_as_predicted[aarch64]" t_arch aarch64-linux-gnu- \
	"class=ELF64 data=LSB type=1 machine=183" \
	-fno-pic -fno-pie -mcmodel=small -fno-asynchronous-unwind-tables
run_test "cross_arch_sample_converts_as_predicted[s390x]" t_arch s390x-linux-gnu- \
	"class=ELF64 data=MSB type=1 machine=22" \
	-fPIC -fno-asynchronous-unwind-tables
run_test "cross_arch_sample_converts_as_predicted[powerpc64le]" t_arch powerpc64le-linux-gnu- \
	"class=ELF64 data=LSB type=1 machine=21" \
	-mcmodel=medium -fno-asynchronous-unwind-tables
run_test "cross_arch_sample_converts_as_predicted[riscv64]" t_arch riscv64-linux-gnu- \
	"class=ELF64 data=LSB type=1 machine=243" \
	-fno-pic -fno-pie -mcmodel=medany -mno-relax -fno-asynchronous-unwind-tables

# riscv64 -mcmodel=medany: `lla`/loads of an extern are AUIPC+ADDI/LD, a
# PCREL_HI20 naming the symbol and a PCREL_LO12 naming the AUIPC's label.
# The kernel pairs them within one relocation section, and a LO12 cannot
# move to a klp section (its symbol is no SHN_LIVEPATCH symbol).  Either
# the tool refuses, naming the relocation, or its output must keep every
# pair loadable (klpcheck checks exactly the kernel's search).
t_riscv_pairs() {
	need_cross riscv64-linux-gnu-
	cat >m.c <<'EOF'
#include "klp_reloc.h"
#include "modinfo.h"
MODULE_INFO(livepatch, "Y");
extern char *saved_command_line KLP_RELOC_SYMBOL(vmlinux, saved_command_line, 0);
int lp_fn(void) { return saved_command_line[0]; }
EOF
	CROSS=riscv64-linux-gnu- build_ko mod.ko m.c -- -fno-pic -fno-pie -mcmodel=medany -mno-relax
	dump -r mod.ko | grep -q 'type=23 .*saved_command_line' || fail "fixture: no PCREL_HI20"
	save mod.ko
	local rc=0
	timeout -k 5 "${KLP_TEST_TIMEOUT:-60}" "$KLP_CONVERT" mod.ko >"$t.out" 2>"$t.err" || rc=$?
	cat "$t.err"
	if [ "$rc" = 1 ]; then
		assert_grep "^$me: error: mod\\.ko: \\[[0-9]+\\] \\.text\\+0x[0-9a-f]+ \\([^)]+\\): symbol '[^']+': " "$t.err"
		assert_unchanged mod.ko
	elif [ "$rc" = 0 ]; then
		klpcheck mod.ko
	else
		fail "exit $rc"
	fi
}
run_test riscv64_pcrel_hi20_lo12_pairs_are_not_split t_riscv_pairs

# arm64's apply_relocate_add() has no GOT relocations: code built with
# -fPIC reaches an extern through ADR_GOT_PAGE/LD64_GOT_LO12_NC, which the
# tool must refuse, one line per relocation, on this arch as on x86_64.
t_aarch64_got() {
	need_cross aarch64-linux-gnu-
	cat >m.c <<'EOF'
#include "klp_reloc.h"
#include "modinfo.h"
MODULE_INFO(livepatch, "Y");
extern char *saved_command_line KLP_RELOC_SYMBOL(vmlinux, saved_command_line, 0);
int lp_fn(void) { return saved_command_line[0]; }
EOF
	CROSS=aarch64-linux-gnu- build_ko mod.ko m.c -- -fPIC
	local s=.klp.sym.rela.vmlinux.vmlinux.saved_command_line.0
	dump -r mod.ko | grep -q 'type=311 .*saved_command_line' || fail "fixture: no ADR_GOT_PAGE"
	save mod.ko
	run_tool 1 mod.ko
	refused mod.ko 2 \
		"^$me: error: mod\\.ko: $(where mod.ko "$s" 1): symbol '$(re "$s")': .*not supported by the kernel" \
		"^$me: error: mod\\.ko: $(where mod.ko "$s" 2): symbol '$(re "$s")': .*not supported by the kernel"
	# arch/arm64/kernel/module.c's words, with the type in decimal
	assert_grep "\\[relocation-type\\] \\(kernel: \"module \\.\\.\\.: unsupported RELA relocation: 311\"\\)\$" "$t.err"
}
run_test "cross_arch_refuses_type_the_kernel_cannot_apply[aarch64]" t_aarch64_got

# Module-specific relocations in .init* are refused where the loader
# frees those sections after init (the generic module_init_section());
# powerpc's module_init_section() is always false, so ppc64 keeps them and
# the same module converts there.
t_init_kept_on_ppc64() {
	need_cross powerpc64le-linux-gnu-
	need_cross aarch64-linux-gnu-
	cat >m.c <<'EOF'
#include "klp_reloc.h"
#include "modinfo.h"
MODULE_INFO(livepatch, "Y");
extern int a KLP_RELOC_SYMBOL(klp_target, a, 0);
__attribute__((section(".init.data"))) int *lp_init_ptr = &a;
EOF
	CROSS=powerpc64le-linux-gnu- build_ko ppc.ko m.c -- \
		-mcmodel=medium -fno-asynchronous-unwind-tables
	CROSS=aarch64-linux-gnu- build_ko arm.ko m.c -- \
		-fno-pic -fno-pie -mcmodel=small -fno-asynchronous-unwind-tables
	save ppc.ko arm.ko
	run_tool 0 -o ppc-out.ko ppc.ko
	assert_converted "$t.save/ppc.ko" ppc-out.ko
	dump -S ppc-out.ko | grep -q ' \.klp\.rela\.klp_target\.\.init\.data ' ||
		fail "no .klp.rela.klp_target..init.data on ppc64le"
	run_tool 0 --check ppc-out.ko
	rm ppc-out.ko
	run_tool 1 arm.ko
	local s=.klp.sym.rela.klp_target.klp_target.a.0
	refused arm.ko 1 "^$me: error: arm\\.ko: $(where arm.ko "$s"): symbol '$(re "$s")': .*init section"
	assert_unchanged ppc.ko
}
run_test module_specific_relocation_in_init_section_converts_on_ppc64_only t_init_kept_on_ppc64

# ppc64: a call to a klp symbol goes through a stub, and the kernel's
# restore_r2() wants a nop after the bl to turn into the reload of r2;
# anything else fails the load ("Expected nop after call").  gcc always
# emits it; hand-written assembly may not.  A plain branch needs none.
t_ppc64_call_nop() {
	need_cross powerpc64le-linux-gnu-
	local s=.klp.sym.rela.vmlinux.vmlinux.some_fn.0 v
	for v in addi nop b; do
		{
			printf '\t.pushsection .modinfo,"a"\n\t.asciz "livepatch=Y"\n\t.popsection\n'
			printf '\t.text\n\t.globl h\n\t.type h, @function\nh:\n'
			case $v in
			b) printf '\tb "%s"\n\tnop\n' "$s" ;;
			nop) printf '\tbl "%s"\n\tnop\n' "$s" ;;
			addi) printf '\tbl "%s"\n\taddi 3,3,1\n' "$s" ;;
			esac
			printf '\tblr\n\t.size h, .-h\n'
		} >"$v.S"
		CROSS=powerpc64le-linux-gnu- build_ko "$v.ko" "$v.S"
		save "$v.ko"
		if [ "$v" = addi ]; then
			run_tool 1 "$v.ko"
			refused "$v.ko" 1 "^$me: error: addi\\.ko: $(where "$v.ko" "$s"): symbol '$(re "$s")': a call to a klp symbol must be followed by a nop, .* followed by 38630001 \\[ppc64-call-without-nop\\] \\(kernel: \"\\.\\.\\.: Expected nop after call, got 38630001 at \\.\\.\\.\"\\)$"
		else
			run_tool 0 "$v.ko"
			run_tool 0 --check "$v.ko"
		fi
	done
}
run_test ppc64_call_to_klp_symbol_needs_a_nop_after_it t_ppc64_call_nop

# From 2 MiB of input the writer runs on a thread of its own beside the
# result check, and translates what it writes to the file's byte order.
# The s390x sample, padded past 2 MiB with a non-allocated section, must
# convert exactly as predicted there too, and under ThreadSanitizer
# (when make check gives its build) with no report and the same bytes.
t_big_endian_writer_thread() {
	local cross=s390x-linux-gnu-
	need_cross "$cross"
	sample sample.c
	CROSS=$cross build_ko mod.ko sample.c -- -fPIC -fno-asynchronous-unwind-tables
	head -c $((3 << 20)) /dev/zero >pad.bin
	"${cross}objcopy" --add-section .comment.pad=pad.bin \
		--set-section-flags .comment.pad=readonly mod.ko big.ko ||
		fail "cannot pad the module"
	[ "$(stat -c %s big.ko)" -ge $((2 << 20)) ] || fail "the padded module is under 2 MiB"
	save big.ko
	cp big.ko tsan.ko
	run_tool 0 big.ko
	assert_converted "$t.save/big.ko" big.ko
	run_tool 0 --check big.ko
	[ -z "${KLP_CONVERT_TSAN:-}" ] ||
		tsan_converts_alike big.ko tsan.ko -q tsan.ko
}
run_test big_endian_module_converts_as_predicted_with_the_writer_thread t_big_endian_writer_thread

end_suite
