#!/bin/bash
# shellcheck source-path=SCRIPTDIR disable=SC2317 # t_* run via run_test
# run-refuse.sh - every refusal of klp-convert-mini, one test each.
#
# Each test builds a module with exactly the defect it names and asserts
# what the contract promises for a refusal: exit 1; one error line per
# problem, each "klp-convert-mini: error: FILE: ..." with the contract's
# key phrase, the symbol and, where the contract gives one, the exact
# location (".symtab entry N" for a symbol, "[IDX] SEC+0xOFF (FUNC+0xOFF)"
# for a relocation); nothing on stdout; the input byte-identical with the
# same mtime; no temporary file left in the directory.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

E="^$me: error: mod\\.ko: "

# lp_module NAME...: a C module annotated from its arguments: each is
# "extern-declaration-suffix" used through a pointer in .data.
header() {
	cat <<'EOF'
#include "klp_reloc.h"
#include "modinfo.h"
MODULE_INFO(livepatch, "Y");
EOF
}

# Symbol-name problems: reported per symbol, at its .symtab entry.
# symbol_refusal NAME PHRASE-ERE: the file annotates NAME (as a raw asm
# label, so that any spelling can be tried) and a valid symbol, and the
# tool must refuse NAME alone.
symbol_refusal_src() {
	header
	local i=0 n
	for n in "$@"; do
		i=$((i + 1))
		printf 'extern int bad%d __asm__("\\"%s\\"");\n' "$i" "$n"
	done
	echo 'extern int good KLP_RELOC_SYMBOL(vmlinux, good, 0);'
	printf 'int *ptrs[] = { &good'
	for ((j = 1; j <= i; j++)); do printf ', &bad%d' "$j"; done
	printf ' };\n'
}

# expect_symbol_refusals PHRASE-ERE NAME...: one line per NAME.
expect_symbol_refusals() {
	local phrase=$1 n args=()
	shift
	symbol_refusal_src "$@" >m.c
	build_kmod mod.ko m.c
	save mod.ko
	run_tool 1 mod.ko
	for n in "$@"; do
		args+=("$E\\.symtab entry $(symidx mod.ko "$n"): symbol '$(re "$n")': .*$phrase")
	done
	refused mod.ko $# "${args[@]}"
}

# unknown_symbol_texts NAME...: each NAME's refusal ends with the kernel's
# "Unknown symbol": left undefined, nothing exports it.
unknown_symbol_texts() {
	local n
	for n in "$@"; do
		assert_grep "symbol '$(re "$n")': .* \\(kernel: \"\\.\\.\\.: Unknown symbol $(re "$n") \\(err -2\\)\"\\)\$" "$t.err"
	done
}

t_defined() {
	# A defined symbol with an annotated name: the converter must not
	# turn a definition into an SHN_LIVEPATCH reference.
	header >m.c
	cat >>m.c <<'EOF'
int defined_one __asm__("\".klp.sym.rela.vmlinux.vmlinux.defined_one.0\"") = 1;
void defined_fn(void) __asm__("\".klp.sym.rela.klp_target.klp_target.defined_fn.0\"");
void defined_fn(void) { }
extern int good KLP_RELOC_SYMBOL(vmlinux, good, 0);
int *p = &good;
EOF
	build_kmod mod.ko m.c
	save mod.ko
	run_tool 1 mod.ko
	refused mod.ko 2 \
		"$E\\.symtab entry $(symidx mod.ko .klp.sym.rela.vmlinux.vmlinux.defined_one.0): symbol '\\.klp\\.sym\\.rela\\.vmlinux\\.vmlinux\\.defined_one\\.0': .*is defined" \
		"$E\\.symtab entry $(symidx mod.ko .klp.sym.rela.klp_target.klp_target.defined_fn.0): symbol '\\.klp\\.sym\\.rela\\.klp_target\\.klp_target\\.defined_fn\\.0': .*is defined"
	# and alone, with nothing else to convert
	header >m2.c
	echo 'int defined_one __asm__("\".klp.sym.rela.vmlinux.vmlinux.defined_one.0\"") = 1;' >>m2.c
	build_kmod mod2.ko m2.c
	save mod2.ko
	run_tool 1 mod2.ko
	refused mod2.ko 1 "is defined"
	assert_grep "is defined .* \\[prefixed-symbol-defined\\] \\(kernel: \"none: the kernel takes it for an ordinary symbol of its section, and references to it use this definition\"\\)\$" "$t.err"
}
run_test refuses_annotated_symbol_that_is_defined t_defined

t_cannot_parse() {
	expect_symbol_refusals "cannot parse" \
		.klp.sym.rela.vmlinux.foo .klp.sym.rela.vmlinux
	unknown_symbol_texts .klp.sym.rela.vmlinux.foo .klp.sym.rela.vmlinux
}
run_test refuses_annotated_name_that_does_not_parse t_cannot_parse

t_empty_obj() {
	expect_symbol_refusals "object name is empty" \
		.klp.sym.rela..vmlinux.foo.0 .klp.sym.rela.vmlinux..bar.0
}
run_test refuses_empty_object_name t_empty_obj

t_long_obj() {
	local o56
	o56=$(printf 'o%.0s' $(seq 56))
	expect_symbol_refusals "longer than 55" \
		".klp.sym.rela.$o56.klp_target.foo.0" ".klp.sym.rela.klp_target.$o56.bar.0"
}
run_test refuses_object_name_longer_than_55 t_long_obj

t_dash_obj() {
	expect_symbol_refusals "contains '-'" \
		.klp.sym.rela.klp-target.klp_target.foo.0 .klp.sym.rela.klp_target.klp-target.bar.0
}
run_test refuses_object_name_containing_dash t_dash_obj

t_long_name() {
	# .klp.sym.vmlinux. (17) + 493 + ",0" (2) = 512 bytes: one too many
	# for KSYM_NAME_LEN.
	local s493
	s493=$(printf 's%.0s' $(seq 493))
	expect_symbol_refusals "longer than 511" ".klp.sym.rela.vmlinux.vmlinux.$s493.0"
	# The kernel's %511[^,] reads the symbol, but kallsyms would give
	# back a cut name.
	assert_grep "\\[klp-symbol-too-long\\] \\(kernel: \"none: the kernel parses it, but kallsyms \\(/proc/kallsyms, kallsyms_lookup\\(\\)\\) gives back only its first 511 bytes\"\\)\$" "$t.err"
	# A symbol of 512 characters is more than %511[^,] reads: the
	# kernel would print the converted name.
	local s512
	s512=$(printf 's%.0s' $(seq 512))
	expect_symbol_refusals "longer than 511" ".klp.sym.rela.vmlinux.vmlinux.$s512.0"
	assert_grep "\\[klp-symbol-name\\] \\(kernel: \"symbol \\.klp\\.sym\\.vmlinux\\.$s512,0 has an incorrectly formatted name\"\\)\$" "$t.err"
}
run_test refuses_converted_name_longer_than_511 t_long_name

t_position() {
	expect_symbol_refusals "position.*not a decimal|not a decimal.*position" \
		.klp.sym.rela.vmlinux.vmlinux.foo.0x1 .klp.sym.rela.vmlinux.vmlinux.bar.1a \
		.klp.sym.rela.vmlinux.vmlinux.neg.-1 .klp.sym.rela.vmlinux.vmlinux.qux,x
	unknown_symbol_texts .klp.sym.rela.vmlinux.vmlinux.foo.0x1 .klp.sym.rela.vmlinux.vmlinux.bar.1a \
		.klp.sym.rela.vmlinux.vmlinux.neg.-1 .klp.sym.rela.vmlinux.vmlinux.qux,x
}
run_test refuses_position_that_is_not_decimal t_position

# Relocation problems: reported per relocation, at its location.

t_vmlinux_from_module() {
	header >m.c
	cat >>m.c <<'EOF'
extern char *saved_command_line KLP_RELOC_SYMBOL_POS(klp_target, vmlinux, saved_command_line, 0);
int lp_fn(void) { return saved_command_line[0]; }
EOF
	build_kmod mod.ko m.c
	save mod.ko
	run_tool 1 mod.ko
	local s=.klp.sym.rela.klp_target.vmlinux.saved_command_line.0
	# Per relocation, or else at the symbol's .symtab entry.
	refused mod.ko 1 \
		"$E($(where mod.ko "$s")|\\.symtab entry $(symidx mod.ko "$s")): symbol '$(re "$s")': .*vmlinux symbol"
	# The kernel names the symbol as its sscanf read it, bare.
	assert_grep "\\(kernel: \"invalid access to vmlinux symbol 'saved_command_line' from module-specific livepatch relocation section\"\\)\$" "$t.err"
}
run_test refuses_module_specific_relocation_to_vmlinux_symbol t_vmlinux_from_module

# The special sections that the livepatch module's own load processes
# (kernel-rules.md 9): a module-specific klp relocation there would be
# applied too late, or never.
special_sections="__jump_table .static_call_sites .altinstructions .parainstructions .smp_locks __bug_table __ex_table .orc_unwind_ip __mcount_loc __patchable_function_entries .retpoline_sites .return_sites .call_sites .ibt_endbr_seal"

t_special() {
	local sec=$1 s=.klp.sym.rela.klp_target.klp_target.key.0
	header >m.c
	cat >>m.c <<EOF
extern int ok KLP_RELOC_SYMBOL(klp_target, ok, 0);
int *p = &ok;
__asm__(".pushsection $sec,\\"aw\\"\\n"
	"\\t.balign 8\\n"
	"\\t.quad \\"$s\\"\\n"
	"\\t.popsection");
EOF
	build_kmod mod.ko m.c
	save mod.ko
	run_tool 1 mod.ko
	refused mod.ko 1 "$E$(where mod.ko "$s"): symbol '$(re "$s")': .*special section"
}
for sec in $special_sections; do
	run_test "refuses_module_specific_relocation_in_special_section[$sec]" t_special "$sec"
done

t_init() {
	header >m.c
	cat >>m.c <<'EOF'
extern int a KLP_RELOC_SYMBOL(klp_target, a, 0);
extern int b KLP_RELOC_SYMBOL(klp_target, b, 0);
__attribute__((section(".init.text"))) int lp_init(void) { return a; }
__attribute__((section(".init.data"))) int *lp_init_ptr = &b;
EOF
	build_kmod mod.ko m.c
	save mod.ko
	run_tool 1 mod.ko
	local a=.klp.sym.rela.klp_target.klp_target.a.0 b=.klp.sym.rela.klp_target.klp_target.b.0
	refused mod.ko 2 \
		"$E$(where mod.ko "$a"): symbol '$(re "$a")': .*init section" \
		"$E$(where mod.ko "$b"): symbol '$(re "$b")': .*init section"
}
run_test refuses_module_specific_relocation_in_init_section t_init

t_bad_type() {
	need_x86_64
	cat >m.S <<'EOF'
#include "klp_reloc.h"
#include "modinfo.h"
	MODINFO "livepatch=Y"
	KLP_RELOC_SYMBOL a, vmlinux, a, 0
	KLP_RELOC_SYMBOL b, klp_target, b, 0
	.text
	.globl	lp_fn
	.type	lp_fn, @function
lp_fn:
	movq	b@GOTPCREL(%rip), %rax	/* R_X86_64_REX_GOTPCRELX */
	nop
	.reloc	., R_X86_64_GOTPCREL, a
	.long	0
	ret
	.size	lp_fn, .-lp_fn
	.section .note.GNU-stack,"",@progbits
EOF
	build_ko mod.ko m.S
	dump -r mod.ko | grep -q 'R_X86_64_REX_GOTPCRELX .*klp_target\.b' || fail "fixture: no REX_GOTPCRELX"
	save mod.ko
	run_tool 1 mod.ko
	local a=.klp.sym.rela.vmlinux.vmlinux.a.0 b=.klp.sym.rela.klp_target.klp_target.b.0
	refused mod.ko 2 \
		"$E$(where mod.ko "$a"): symbol '$(re "$a")': .*not supported by the kernel" \
		"$E$(where mod.ko "$b"): symbol '$(re "$b")': .*not supported by the kernel"
}
run_test refuses_relocation_type_the_kernel_cannot_apply t_bad_type

t_nonzero() {
	need_x86_64
	cat >m.S <<'EOF'
#include "klp_reloc.h"
#include "modinfo.h"
	MODINFO "livepatch=Y"
	KLP_RELOC_SYMBOL a, vmlinux, a, 0
	KLP_RELOC_SYMBOL b, klp_target, b, 0
	.text
	.globl	lp_fn
	.type	lp_fn, @function
lp_fn:
	nop
	.reloc	., R_X86_64_PC32, b-4
	.long	1
	ret
	.size	lp_fn, .-lp_fn
	.data
	.globl	lp_data
	.type	lp_data, @object
lp_data:
	.quad	0
	.reloc	., R_X86_64_64, a
	.quad	0x1234
	.size	lp_data, .-lp_data
	.section .note.GNU-stack,"",@progbits
EOF
	build_ko mod.ko m.S
	save mod.ko
	run_tool 1 mod.ko
	local a=.klp.sym.rela.vmlinux.vmlinux.a.0 b=.klp.sym.rela.klp_target.klp_target.b.0
	refused mod.ko 2 \
		"$E$(where mod.ko "$a"): symbol '$(re "$a")': .*nonzero" \
		"$E$(where mod.ko "$b"): symbol '$(re "$b")': .*nonzero"
}
run_test refuses_nonzero_bytes_at_relocated_location t_nonzero

t_no_livepatch() {
	local variant
	# unallocated: the kernel's find_sec() skips a .modinfo without
	# SHF_ALLOC ("Alloc bit cleared means ignore it").
	for variant in none license substring unallocated; do
		{
			echo '#include "klp_reloc.h"'
			case $variant in
			license) echo 'static const char m1[] __attribute__((section(".modinfo"), used, aligned(1))) = "license=GPL";' ;;
			substring) echo 'static const char m1[] __attribute__((section(".modinfo"), used, aligned(1))) = "description=not livepatch=Y";' ;;
			unallocated) printf '%s\n' '__asm__(".section .modinfo,\"\",@progbits\n.asciz \"livepatch=Y\"\n.previous");' ;;
			esac
			echo 'extern int a KLP_RELOC_SYMBOL(vmlinux, a, 0);'
			echo 'int *p = &a;'
		} >"$variant.c"
		build_kmod "$variant.ko" "$variant.c"
		save "$variant.ko"
		run_tool 1 "$variant.ko"
		refused "$variant.ko" 1 "^$me: error: $variant\\.ko: .*livepatch=Y"
		if [ "$variant" = unallocated ]; then
			assert_grep "the \\.modinfo that says livepatch=Y is not allocated \\(SHF_ALLOC\\), and the module loader ignores such a section" "$t.err"
		fi
	done
}
run_test refuses_annotated_symbols_without_livepatch_modinfo t_no_livepatch

t_rel() {
	header >m.c
	cat >>m.c <<'EOF'
extern int a KLP_RELOC_SYMBOL(vmlinux, a, 0);
int lp_fn(void) { return a; }
EOF
	build_kmod mod.ko m.c
	elfpoke mod.ko rela2rel .rela.text shdr .rela.text name .rel.text
	dump -S mod.ko | grep -q '^\[2\] \.rel\.text REL .* entsize=16 ' || fail "fixture: no [2] .rel.text"
	save mod.ko
	run_tool 1 mod.ko
	local a=.klp.sym.rela.vmlinux.vmlinux.a.0
	refused mod.ko 1 \
		"$E(\\[2\\] \\.rel\\.text: |$(where mod.ko "$a"): symbol '$(re "$a")': ).*REL relocation"
}
run_test refuses_rel_relocation_section_with_annotated_symbols t_rel

t_not_elf() {
	echo "not an ELF file at all" >mod.ko
	save mod.ko
	run_tool 1 mod.ko
	refused mod.ko 1 "${E}not an ELF file"
	: >empty.ko
	save empty.ko
	run_tool 1 empty.ko
	refused empty.ko 1 "^$me: error: empty\\.ko: .*not an ELF file"
	printf '\177ELF' >short.ko
	save short.ko
	run_tool 1 short.ko
	refused short.ko 1 "^$me: error: short\\.ko: "
}
run_test refuses_file_that_is_not_elf t_not_elf

t_not_rel() {
	header >m.c
	cat >>m.c <<'EOF'
extern int a KLP_RELOC_SYMBOL(vmlinux, a, 0);
int *p = &a;
int main(void) { return 0; }
EOF
	# Link errors are expected: the annotated symbol is undefined.
	cc -I"$top" -I"$srcdir/src" -o prog m.c -Wl,--unresolved-symbols=ignore-all
	cc -I"$top" -I"$srcdir/src" -fPIC -shared -o lib.so m.c
	for f in prog lib.so; do
		save "$f"
		run_tool 1 "$f"
		refused "$f" 1 "^$me: error: $(re "$f"): .*not a relocatable object"
	done
}
run_test refuses_elf_that_is_not_relocatable t_not_rel

# A signed module (its signature appended after the ELF data, then the
# marker) cannot stay signed through a rewrite: refused, so the pipeline
# signs after converting.  One with nothing to convert is left alone.
t_signed() {
	header >m.c
	echo 'extern int a KLP_RELOC_SYMBOL(vmlinux, a, 0); int *p = &a;' >>m.c
	build_kmod mod.ko m.c
	printf 'SIGNATURE\0\0\0\0\0\0\0\0\0\0\0\011~Module signature appended~\n' >>mod.ko
	save mod.ko
	run_tool 1 mod.ko
	refused mod.ko 1 "${E}the module is signed \\(it ends with '~Module signature appended~'\\), and conversion would drop the signature: convert the unsigned module, then sign it$"

	header >plain.c
	echo 'int x;' >>plain.c
	build_kmod plain.ko plain.c
	printf 'SIGNATURE~Module signature appended~\n' >>plain.ko
	save plain.ko
	run_tool 0 -o copy.ko plain.ko
	cmp -s plain.ko copy.ko || fail "the signed module with nothing to convert was not copied as it is"
	assert_unchanged plain.ko
}
run_test refuses_signed_module_whose_signature_conversion_would_drop t_signed

# A converted module linked again (ld -r) loses SHN_LIVEPATCH and the
# klp sections' type: nothing is left to convert, yet the kernel would
# refuse it.  The tool checks a module with klp content whole and says so,
# instead of "nothing to convert" and exit 0.
t_relinked() {
	header >m.c
	echo 'extern int a KLP_RELOC_SYMBOL(vmlinux, a, 0); int *p = &a;' >>m.c
	build_kmod mod.ko m.c
	run_tool 0 mod.ko
	run_tool 0 -o again.ko mod.ko
	cmp -s mod.ko again.ko || fail "a clean converted module did not stay as it is"
	rm again.ko
	ld -r -o re.ko mod.ko || fail "ld -r"
	save re.ko
	run_tool 1 -o out.ko re.ko
	local s=.klp.sym.vmlinux.a,0
	refused re.ko 3 \
		"^$me: error: re\\.ko: \\.symtab entry $(symidx re.ko "$s"): symbol '$(re "$s")': .*not SHN_LIVEPATCH.*\\[klp-symbol-shndx\\]" \
		"^$me: error: re\\.ko: \\[$(secidx re.ko .klp.rela.vmlinux..data)\\] \\.klp\\.rela\\.vmlinux\\.\\.data: .*must be SHT_RELA.*\\[klp-section-type\\]" \
		"^$me: error: re\\.ko: no klp_reloc\\.h symbols to convert, but the klp sections and symbols the module has already break the rules above \\(were they linked again after conversion\\?\\); nothing written$"
	[ ! -e out.ko ] || fail "out.ko written"
}
run_test refuses_converted_module_that_a_later_link_spoilt t_relinked

# All problems at once: three different defects, three lines, one run.
t_all_at_once() {
	header >m.c
	cat >>m.c <<'EOF'
int defined_one __asm__("\".klp.sym.rela.vmlinux.vmlinux.defined_one.0\"") = 1;
extern int dash KLP_RELOC_SYMBOL_POS(klp-target, klp_target, dash, 0);
extern int ok KLP_RELOC_SYMBOL(vmlinux, ok, 0);
int *p[] = { &dash, &ok };
__asm__(".pushsection __jump_table,\"aw\"\n"
	"\t.quad \".klp.sym.rela.klp_target.klp_target.key.0\"\n"
	"\t.popsection");
EOF
	build_kmod mod.ko m.c
	save mod.ko
	run_tool 1 mod.ko
	refused mod.ko 3 "is defined" "contains '-'" "special section"
}
run_test reports_all_problems_at_once t_all_at_once

# The plan looks only at what conversion touches; a problem elsewhere in
# the input (.klp.sym symbols written by hand, beside annotations) is
# first found on the result.  It is the input's, and the tool must say
# so, not call it an internal error and ask for a bug report.
t_inputs_own() {
	local s1=.klp.sym.vmlinux.stray,0 s2=.klp.sym.vmlinux.stray2,0 opt i
	header >m.c
	cat >>m.c <<EOF
extern int ok KLP_RELOC_SYMBOL(vmlinux, ok, 0);
extern int stray1 __asm__("\"$s1\"");
extern int stray2 __asm__("\"$s2\"");
int *p[] = { &ok, &stray1, &stray2 };
EOF
	build_kmod mod.ko m.c
	save mod.ko
	local undef="SHN_UNDEF, not SHN_LIVEPATCH \\(0xff20\\), so the module loader looks it up \\[klp-symbol-undefined\\]"
	local many="${E}the input has the problems above already, and conversion does not repair them: fix the module; nothing written$"
	for opt in --quiet --dry-run; do
		run_tool 1 "$opt" mod.ko
		refused mod.ko 3 \
			"$E\\.symtab entry $(symidx mod.ko "$s1"): symbol '$(re "$s1")': .*$undef" \
			"$E\\.symtab entry $(symidx mod.ko "$s2"): symbol '$(re "$s2")': .*$undef" \
			"$many"
		assert_no_grep "internal error" "$t.err"
	done

	# One, of another rule: an ordinary relocation to a symbol the
	# input made SHN_LIVEPATCH itself.
	elfpoke mod.ko sym "$(symidx mod.ko "$s1")" shndx 0xff20 \
		sym "$(symidx mod.ko "$s2")" name .klp.sym.rela.vmlinux.vmlinux.stray2.0
	save mod.ko
	run_tool 1 mod.ko
	refused mod.ko 2 \
		"$E$(where mod.ko "$s1"): symbol '$(re "$s1")': ordinary relocation section .* references an SHN_LIVEPATCH symbol.*\\[ordinary-relocation-to-klp-symbol\\]" \
		"${E}the input has the problem above already, and conversion does not repair it: fix the module; nothing written$"
	# Past the cap of 100 lines, the conclusion still comes, last.
	{
		header
		echo 'extern int ok KLP_RELOC_SYMBOL(vmlinux, ok, 0);'
		for i in $(seq 120); do
			echo "extern int s$i __asm__(\"\\\".klp.sym.vmlinux.s$i,0\\\"\");"
		done
		printf 'int *p[] = { &ok'
		printf ', &s%d' $(seq 120)
		echo ' };'
	} >m.c
	build_kmod mod.ko m.c
	save mod.ko
	run_tool 1 mod.ko
	assert_lines 102 "$t.err"
	[ "$(grep -c 'klp-symbol-undefined' "$t.err")" = 100 ] || fail "not 100 findings shown"
	tail -n2 "$t.err" >"$t.tail"
	compare "the last two lines" "$t.tail" <<EOF
$me: error: mod.ko: 20 more errors not shown
$me: error: mod.ko: the input has the problems above already, and conversion does not repair them: fix the module; nothing written
EOF
	assert_unchanged mod.ko
	assert_no_temp

	# A file name with a newline: every line of it, the count and the
	# verdict too, stays one line.
	local nl
	nl=$(printf 'n\nl.ko')
	cp mod.ko "$nl"
	run_tool 1 "$nl"
	assert_lines 102 "$t.err"
	assert_grep "^$me: error: n\\\\x0al\\.ko: 20 more errors not shown$" "$t.err"
	rm -f "$nl"
}
run_test reports_problem_the_input_had_already_as_the_inputs t_inputs_own

end_suite
