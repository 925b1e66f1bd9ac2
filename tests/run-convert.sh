#!/bin/bash
# shellcheck source-path=SCRIPTDIR disable=SC2317 # t_* run via run_test
# run-convert.sh - what klp-convert-mini makes of a livepatch module.
#
# Every fixture is built here from a small C or assembly source with
# `cc -c` and `ld -r`.  Expectations are either written out in full (for
# the assembly sample, whose bytes do not depend on a compiler) or derived
# from the unconverted object by tests/predict.awk, an implementation of
# the contract's rules that shares nothing with the tool.  Every converted
# file also goes through klpcheck (the kernel's own sscanf formats and
# checks) and eu-elflint --gnu-ld.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# The assembly sample, converted in place, down to every field.
t_asm_sample_exact() {
	need_x86_64
	sample sample.S
	build_ko mod.ko sample.S
	save mod.ko
	run_tool 0 mod.ko
	assert_no_temp
	dump -h -S -s -r mod.ko | mask_strtab >dump.txt
	compare "converted sample.S" dump.txt <<'EOF'
class=ELF64 data=LSB type=1 machine=62
[1] .text PROGBITS flags=0x6 link=0 info=0 entsize=0 align=1 size=24
[2] .rela.text RELA flags=0x40 link=8 info=1 entsize=24 align=8 size=24
[3] .modinfo PROGBITS flags=0x2 link=0 info=0 entsize=0 align=1 size=24
[4] .data PROGBITS flags=0x3 link=0 info=0 entsize=0 align=1 size=32
[5] .rela.data RELA flags=0x40 link=8 info=4 entsize=24 align=8 size=24
[6] .bss NOBITS flags=0x3 link=0 info=0 entsize=0 align=1 size=0
[7] .note.GNU-stack PROGBITS flags=0x0 link=0 info=0 entsize=0 align=1 size=0
[8] .symtab SYMTAB flags=0x0 link=9 info=8 entsize=24 align=8 size=336
[9] .strtab STRTAB flags=0x0 link=0 info=0 entsize=0 align=1 size=*
[10] .shstrtab STRTAB flags=0x0 link=0 info=0 entsize=0 align=1 size=*
[11] .klp.rela.vmlinux..text RELA flags=0x100042 link=8 info=1 entsize=24 align=8 size=24
[12] .klp.rela.klp_target..text RELA flags=0x100042 link=8 info=1 entsize=24 align=8 size=48
[13] .klp.rela.vmlinux..data RELA flags=0x100042 link=8 info=4 entsize=24 align=8 size=24
[14] .klp.rela.klp_target..data RELA flags=0x100042 link=8 info=4 entsize=24 align=8 size=24
symtab locals=8 count=14
[0]  value=0x0 size=0 NOTYPE LOCAL DEFAULT shndx=UND
[1]  value=0x0 size=0 SECTION LOCAL DEFAULT shndx=1(.text)
[2]  value=0x0 size=0 SECTION LOCAL DEFAULT shndx=3(.modinfo)
[3]  value=0x0 size=0 SECTION LOCAL DEFAULT shndx=4(.data)
[4]  value=0x0 size=0 SECTION LOCAL DEFAULT shndx=6(.bss)
[5]  value=0x0 size=0 SECTION LOCAL DEFAULT shndx=7(.note.GNU-stack)
[6] sample.o value=0x0 size=0 FILE LOCAL DEFAULT shndx=ABS
[7] local_var value=0x18 size=0 NOTYPE LOCAL DEFAULT shndx=4(.data)
[8] .klp.sym.vmlinux.saved_command_line,0 value=0x0 size=0 NOTYPE GLOBAL DEFAULT shndx=0xff20
[9] .klp.sym.klp_target.target_fn,1 value=0x0 size=0 NOTYPE GLOBAL DEFAULT shndx=0xff20
[10] printk value=0x0 size=0 NOTYPE GLOBAL DEFAULT shndx=UND
[11] lp_ptrs value=0x0 size=24 OBJECT GLOBAL DEFAULT shndx=4(.data)
[12] lp_fn value=0x0 size=24 FUNC GLOBAL DEFAULT shndx=1(.text)
[13] .klp.sym.klp_target.counter,2 value=0x0 size=0 NOTYPE GLOBAL DEFAULT shndx=0xff20
[2] .rela.text -> [1] .text: 0x1 R_X86_64_PLT32 [10] printk -4
[5] .rela.data -> [4] .data: 0x10 R_X86_64_64 [3]  +24
[11] .klp.rela.vmlinux..text -> [1] .text: 0x8 R_X86_64_PC32 [8] .klp.sym.vmlinux.saved_command_line,0 -4
[12] .klp.rela.klp_target..text -> [1] .text: 0xd R_X86_64_PLT32 [9] .klp.sym.klp_target.target_fn,1 -4
[12] .klp.rela.klp_target..text -> [1] .text: 0x13 R_X86_64_PC32 [13] .klp.sym.klp_target.counter,2 -4
[13] .klp.rela.vmlinux..data -> [4] .data: 0x0 R_X86_64_64 [8] .klp.sym.vmlinux.saved_command_line,0 +0
[14] .klp.rela.klp_target..data -> [4] .data: 0x8 R_X86_64_64 [9] .klp.sym.klp_target.target_fn,1 +8
EOF
	compare_out "klpcheck summary" "$builddir/klpcheck" mod.ko <<'EOF'
klpcheck: mod.ko: ok: 4 klp rela sections, 5 relocations, 3 klp symbols
EOF
	elflint mod.ko
	# The prediction agrees with the hand-written expectation above.
	assert_converted "$t.save/mod.ko" mod.ko
}
run_test converts_asm_sample_exactly t_asm_sample_exact

# The C sample (compiler-dependent offsets): exactly as predicted.
t_c_sample() {
	sample sample.c
	build_kmod mod.ko sample.c
	save mod.ko
	run_tool 0 mod.ko
	assert_converted "$t.save/mod.ko" mod.ko
	# Sanity of the fixture itself: it did have something to move.
	dump -S mod.ko | grep -c '^\[[0-9]*\] \.klp\.rela\.' >n
	compare "number of klp rela sections" n <<'EOF'
4
EOF
}
run_test converts_c_sample_as_predicted t_c_sample

# The same sample from clang and ld.lld (an LLVM=1 kernel build): clang
# takes an asm label literally, so klp_reloc.h's names must need no
# quotes; the klp symbols come out named as with gcc.
t_clang_sample() {
	sample sample.c
	# -fno-addrsig: eu-elflint does not know .llvm_addrsig.
	CC=clang LD=ld.lld build_kmod mod.ko sample.c -- -fno-addrsig
	save mod.ko
	run_tool 0 mod.ko
	assert_converted "$t.save/mod.ko" mod.ko
	klp_sym_names mod.ko >names
	compare "klp symbols of the clang-built sample" names <<'EOF'
.klp.sym.klp_target.counter,0
.klp.sym.klp_target.target_fn,1
.klp.sym.vmlinux.helper,2
.klp.sym.vmlinux.saved_command_line,0
EOF
}
run_test converts_clang_and_ld_lld_sample_as_predicted t_clang_sample

# clang -c writes one string table for symbol and section names; the
# converter appends to both, so it refuses such an object (never a .ko,
# which ld -r writes with two tables) and leaves it as it was.
t_shared_strtab() {
	local flags
	sample sample.c
	mapfile -t flags < <(kcflags)
	clang -c -O2 -I"$top" -I"$srcdir/src" "${flags[@]}" -o mod.o sample.c ||
		fail "cannot compile sample.c"
	[ "$(readelf -h mod.o | sed -n 's/.*string table index: *//p')" = "$(secidx mod.o .strtab)" ] ||
		fail "fixture: clang wrote the section names to a table of their own"
	save mod.o
	run_tool 1 mod.o
	assert_grep "^$me: error: mod\\.o: \\[[0-9]+\\] \\.strtab: the symbol names and the section names share this string table, .*ld -r" "$t.err"
	assert_lines 1 "$t.err"
	assert_unchanged mod.o
	assert_no_temp
}
run_test refuses_object_whose_symbols_and_sections_share_a_string_table t_shared_strtab

# v1/v2 names (.klp.sym.rela.<lp>.<obj>.<sym>,<pos>) and v3/klp_reloc.h
# names (...<sym>.<pos>) are the same request, so give the same module.
t_v1_v3() {
	cat >v3.c <<'EOF'
#include "klp_reloc.h"
#include "modinfo.h"
MODULE_INFO(livepatch, "Y");
extern char *saved_command_line KLP_RELOC_SYMBOL(vmlinux, saved_command_line, 0);
extern int target_fn(int) KLP_RELOC_SYMBOL_POS(klp_target, klp_target, target_fn, 3);
int lp_fn(void) { return target_fn(saved_command_line[0]); }
void *lp_ptr = &saved_command_line;
EOF
	sed -e 's/KLP_RELOC_SYMBOL(vmlinux, saved_command_line, 0)/__asm__("\\".klp.sym.rela.vmlinux.vmlinux.saved_command_line,0\\"")/' \
	    -e 's/KLP_RELOC_SYMBOL_POS(klp_target, klp_target, target_fn, 3)/__asm__("\\".klp.sym.rela.klp_target.klp_target.target_fn,3\\"")/' \
		v3.c >v1.c
	grep -q 'target_fn,3' v1.c && grep -q 'saved_command_line,0' v1.c
	# ld -r orders global symbols by a hash of their names, which differ
	# here: compare the assembler's objects (ET_REL too, symbols in
	# source order), each compiled as m.c so the FILE symbols agree.
	mapfile -t flags < <(kcflags)
	mkdir d1 d3
	cp v1.c d1/m.c
	cp v3.c d3/m.c
	(cd d1 && cc -c -O2 -I"$top" -I"$srcdir/src" "${flags[@]}" -o ../v1.ko m.c)
	(cd d3 && cc -c -O2 -I"$top" -I"$srcdir/src" "${flags[@]}" -o ../v3.ko m.c)
	dump -s v1.ko | grep -q 'klp_target.target_fn,3 '
	save v1.ko v3.ko
	run_tool 0 v1.ko
	run_tool 0 v3.ko
	assert_converted "$t.save/v1.ko" v1.ko
	assert_converted "$t.save/v3.ko" v3.ko
	# Same sections, contents, symbols and relocations; only the string
	# table bytes may differ (the unconverted names are spelled apart).
	dump -h -S -c -s -r v1.ko | mask_strtab | sed -E '/ STRTAB /s/ hash=[0-9a-f]+//' >d1.txt
	dump -h -S -c -s -r v3.ko | mask_strtab | sed -E '/ STRTAB /s/ hash=[0-9a-f]+//' >d3.txt
	compare_files "v1 (comma) output vs v3 (dot) output" d3.txt d1.txt
}
run_test v1_comma_form_and_v3_dot_form_give_identical_output t_v1_v3

# KLP_RELOC_SYMBOL(obj, sym, pos) uses obj for both objects;
# KLP_RELOC_SYMBOL_POS(lp, obj, sym, pos) keeps them apart.
t_symbol_and_symbol_pos() {
	cat >m.c <<'EOF'
#include "klp_reloc.h"
#include "modinfo.h"
MODULE_INFO(livepatch, "Y");
extern int a KLP_RELOC_SYMBOL(vmlinux, jiffies_base, 0);
extern int b KLP_RELOC_SYMBOL(klp_target, counter, 7);
extern int c KLP_RELOC_SYMBOL_POS(klp_target, klp_helper, helper_count, 12);
extern int d KLP_RELOC_SYMBOL_POS(vmlinux, vmlinux, nr_threads, 1);
int *ptrs[] = { &a, &b, &c, &d };
EOF
	build_kmod mod.ko m.c
	save mod.ko
	run_tool 0 mod.ko
	assert_converted "$t.save/mod.ko" mod.ko
	klp_sym_names mod.ko >names
	compare "klp symbol names" names <<'EOF'
.klp.sym.klp_helper.helper_count,12
.klp.sym.klp_target.counter,7
.klp.sym.vmlinux.jiffies_base,0
.klp.sym.vmlinux.nr_threads,1
EOF
	dump -S mod.ko | grep -o '\.klp\.rela\.[^ ]*' >secs
	compare "klp rela sections" secs <<'EOF'
.klp.rela.vmlinux..data
.klp.rela.klp_target..data
EOF
	relocs mod.ko .klp.rela.klp_target..data >relas
	compare "module-specific relocations" relas <<'EOF'
.klp.rela.klp_target..data .data: 0x8 R_X86_64_64 .klp.sym.klp_target.counter,7 +0
.klp.rela.klp_target..data .data: 0x10 R_X86_64_64 .klp.sym.klp_helper.helper_count,12 +0
EOF
}
run_test klp_reloc_symbol_and_symbol_pos_encode_objects_and_position t_symbol_and_symbol_pos

# Compiler-made local names hold dots: foo.isra.0, counter.0, foo.cold.
# The position is after the last dot, so all other dots are the name's.
t_dotted_names() {
	cat >m.c <<'EOF'
#include "klp_reloc.h"
#include "modinfo.h"
MODULE_INFO(livepatch, "Y");
extern int f1(int) KLP_RELOC_SYMBOL(vmlinux, foo.isra.0, 0);
extern int c0 KLP_RELOC_SYMBOL(klp_target, counter.0, 2);
extern void f2(void) KLP_RELOC_SYMBOL(vmlinux, foo.cold, 11);
extern int f3(int) KLP_RELOC_SYMBOL_POS(klp_target, klp_target, bar.constprop.0.isra.0, 0);
int lp_fn(int x) { f2(); return f1(x) + f3(c0); }
EOF
	build_kmod mod.ko m.c
	save mod.ko
	run_tool 0 mod.ko
	assert_converted "$t.save/mod.ko" mod.ko
	klp_sym_names mod.ko >names
	compare "klp symbol names" names <<'EOF'
.klp.sym.klp_target.bar.constprop.0.isra.0,0
.klp.sym.klp_target.counter.0,2
.klp.sym.vmlinux.foo.cold,11
.klp.sym.vmlinux.foo.isra.0,0
EOF
}
run_test symbol_names_with_dots_keep_every_dot t_dotted_names

# `current` is a kernel macro and GNU C predefines `linux` and `unix` as 1:
# as klp_reloc.h arguments they must arrive as written.
t_macro_args() {
	cat >m.c <<'EOF'
#include "klp_reloc.h"
#include "modinfo.h"
#if !defined(linux) || !defined(unix)
#error "this test needs GNU C's predefined linux and unix macros"
#endif
#define current get_current()
MODULE_INFO(livepatch, "Y");
extern int cur KLP_RELOC_SYMBOL(vmlinux, current, 0);
extern int lin KLP_RELOC_SYMBOL_POS(linux, unix, current, 1);
extern int uni KLP_RELOC_SYMBOL(unix, linux, 0);
int *ptrs[] = { &cur, &lin, &uni };
EOF
	build_kmod mod.ko m.c -- -std=gnu11
	save mod.ko
	run_tool 0 mod.ko
	assert_converted "$t.save/mod.ko" mod.ko
	dump -r mod.ko | sed -n 's/^\[[0-9]*\] \(\.klp\.rela\.[^ ]*\) .*\] \([^ ]*\) [-+][0-9]*$/\1 \2/p' >relas
	compare "klp sections and symbols" relas <<'EOF'
.klp.rela.vmlinux..data .klp.sym.vmlinux.current,0
.klp.rela.linux..data .klp.sym.unix.current,1
.klp.rela.unix..data .klp.sym.unix.linux,0
EOF
}
run_test macro_args_current_linux_unix_not_expanded t_macro_args

# One klp rela section per (lp_obj, target section), never one per symbol
# and never one shared by two objects or two targets.
t_one_section_per_obj_target() {
	cat >m.c <<'EOF'
#include "klp_reloc.h"
#include "modinfo.h"
MODULE_INFO(livepatch, "Y");
extern int v1 KLP_RELOC_SYMBOL(vmlinux, v1, 0);
extern int v2 KLP_RELOC_SYMBOL(vmlinux, v2, 0);
extern int a1 KLP_RELOC_SYMBOL(mod_a, a1, 0);
extern int a2 KLP_RELOC_SYMBOL(mod_a, a2, 0);
extern int b1 KLP_RELOC_SYMBOL(mod_b, b1, 0);
int f(void) { return v1 + a1 + b1 + v2 + a2; }
int g(void) { return a2 + v2; }
int *p[] = { &b1, &v2, &a1, &v1, &b1 };
EOF
	build_kmod mod.ko m.c
	save mod.ko
	run_tool 0 mod.ko
	assert_converted "$t.save/mod.ko" mod.ko
	dump -S mod.ko | grep -o '\.klp\.rela\.[^ ]*' | sort >secs
	compare "klp rela sections" secs <<'EOF'
.klp.rela.mod_a..data
.klp.rela.mod_a..text
.klp.rela.mod_b..data
.klp.rela.mod_b..text
.klp.rela.vmlinux..data
.klp.rela.vmlinux..text
EOF
	relocs mod.ko .klp.rela.vmlinux..data .klp.rela.mod_b..data >relas
	compare ".data relocations" relas <<'EOF'
.klp.rela.mod_b..data .data: 0x0 R_X86_64_64 .klp.sym.mod_b.b1,0 +0
.klp.rela.mod_b..data .data: 0x20 R_X86_64_64 .klp.sym.mod_b.b1,0 +0
.klp.rela.vmlinux..data .data: 0x8 R_X86_64_64 .klp.sym.vmlinux.v2,0 +0
.klp.rela.vmlinux..data .data: 0x18 R_X86_64_64 .klp.sym.vmlinux.v1,0 +0
EOF
}
run_test one_klp_section_per_object_and_target t_one_section_per_obj_target

# Fixture OUT: .data relocated by two sections, as ld -r can leave them:
# .rela.data (a, c) and .rela.data.two (b), whose sh_info is made .data.
two_sources_module() {
	local data
	cat >m.c <<'EOF'
#include "klp_reloc.h"
#include "modinfo.h"
MODULE_INFO(livepatch, "Y");
extern int a KLP_RELOC_SYMBOL(vmlinux, a, 0);
extern int b KLP_RELOC_SYMBOL(vmlinux, b, 0);
extern int c KLP_RELOC_SYMBOL(mod_c, c, 0);
int *p[] = { &a, &c };
int *q[] __attribute__((section(".data.two"))) = { &b };
EOF
	build_kmod "$1" m.c
	data=$(dump -S "$1" | sed -n 's/^\[\([0-9]*\)\] \.data .*/\1/p')
	[ -n "$data" ] || fail "no .data in the module"
	elfpoke "$1" shdr .rela.data.two info "$data"
}

# Fixture OUT: a module converted before, then linked with new code: its
# .rela.data.two is made .klp.rela.vmlinux..data for .data, with b its
# converted symbol; .rela.data still holds a, annotated.
existing_klp_section_module() {
	local data b
	cat >m.c <<'EOF'
#include "klp_reloc.h"
#include "modinfo.h"
MODULE_INFO(livepatch, "Y");
extern int a KLP_RELOC_SYMBOL(vmlinux, a, 0);
extern int b KLP_RELOC_SYMBOL(vmlinux, b, 0);
int *p[] = { &a };
int *q[] __attribute__((section(".data.two"))) = { &b };
EOF
	build_kmod "$1" m.c
	data=$(dump -S "$1" | sed -n 's/^\[\([0-9]*\)\] \.data .*/\1/p')
	b=$(dump -s "$1" | sed -n 's/^\[\([0-9]*\)\] \.klp\.sym\.rela\.vmlinux\.vmlinux\.b[.,]0 .*/\1/p')
	if [ -z "$data" ] || [ -z "$b" ]; then fail "no .data or no symbol b"; fi
	elfpoke "$1" shdr .rela.data.two info "$data" \
		shdr .rela.data.two flags 0x100042 \
		shdr .rela.data.two name .klp.rela.vmlinux..data \
		sym "$b" name .klp.sym.vmlinux.b,0 sym "$b" shndx 0xff20
}

# Fixture OUT: sample.c built with -g, and a .debug_* relocation against
# an annotated symbol, as DWARF for a variable's location would be.
debug_relocs_module() {
	sample sample.c
	cat >dbg.c <<'EOF'
__asm__(".pushsection .debug_klp_test,\"\",@progbits\n"
	"\t.quad \".klp.sym.rela.vmlinux.vmlinux.saved_command_line.0\"\n"
	"\t.popsection");
EOF
	build_kmod "$1" sample.c dbg.c -- -g
}

# Two relocation sections that apply to one section (ld -r can leave
# them so) feed one klp section: its entries are copied, source by
# source in section order, and the second source keeps none.
t_two_sources_one_target() {
	two_sources_module mod.ko
	save mod.ko
	run_tool 0 mod.ko
	assert_converted "$t.save/mod.ko" mod.ko
	dump -r mod.ko | sed -n 's/^\[[0-9]*\] \(\.klp\.rela\.[^ ]*\) -> [^:]*: \(0x[0-9a-f]*\) [^ ]* [^ ]* \([^ ]*\) .*/\1 \2 \3/p' >relas
	compare "klp sections, offsets and symbols in order" relas <<'EOF'
.klp.rela.vmlinux..data 0x0 .klp.sym.vmlinux.a,0
.klp.rela.vmlinux..data 0x0 .klp.sym.vmlinux.b,0
.klp.rela.mod_c..data 0x8 .klp.sym.mod_c.c,0
EOF
}
run_test relocations_of_two_sources_for_one_target_join_one_section t_two_sources_one_target

# A module that already has .klp.rela.vmlinux..data (converted before,
# then linked with new code): the new relocations for the same object
# and section are appended to it, after its own.
t_extends_existing_klp_section() {
	existing_klp_section_module mod.ko
	save mod.ko
	run_tool 0 mod.ko
	klpcheck mod.ko >/dev/null
	dump -r mod.ko | sed -n 's/^\[[0-9]*\] \(\.klp\.rela\.[^ ]*\) -> [^:]*: \(0x[0-9a-f]*\) [^ ]* [^ ]* \([^ ]*\) .*/\1 \2 \3/p' >relas
	compare "the extended klp section, old entry first" relas <<'EOF'
.klp.rela.vmlinux..data 0x0 .klp.sym.vmlinux.b,0
.klp.rela.vmlinux..data 0x0 .klp.sym.vmlinux.a,0
EOF
	dump -S mod.ko | grep -c '\.klp\.rela\.' >n || true
	compare "klp relocation sections" n <<'EOF'
1
EOF
}
run_test new_relocations_extend_an_existing_klp_section t_extends_existing_klp_section

# Relocations of non-allocated sections (.debug_*) are never applied by
# the module loader; they stay where they are, even against klp symbols.
t_debug_relocs_stay() {
	debug_relocs_module mod.ko
	save mod.ko
	dump -r mod.ko | grep -c '\.rela\.debug_' >ndebug
	[ "$(cat ndebug)" -gt 5 ] || fail "fixture has no .debug relocations"
	run_tool 0 mod.ko
	assert_converted "$t.save/mod.ko" mod.ko
	relocs mod.ko .debug_klp_test >r
	compare ".debug_klp_test relocations" r <<'EOF'
.rela.debug_klp_test .debug_klp_test: 0x0 R_X86_64_64 .klp.sym.vmlinux.saved_command_line,0 +0
EOF
	# No klp rela section targets a non-alloc section.
	assert_no_grep '^\[[0-9]+\] \.klp\.rela\.[^ ]*\.debug' "$t.actual.dump"
}
run_test relocations_from_debug_sections_stay_in_place t_debug_relocs_stay

# The klp rela section is .klp.rela.<lp_obj>.<full target name>: the
# target keeps its own leading dot (.klp.rela.vmlinux..text.lp_a), and a
# target without one still gets the separator (.klp.rela.vmlinux.__jump_table),
# since the kernel reads the object up to the first dot after .klp.rela.
t_target_names() {
	cat >m.c <<'EOF'
#include "klp_reloc.h"
#include "modinfo.h"
MODULE_INFO(livepatch, "Y");
extern int v KLP_RELOC_SYMBOL(vmlinux, v, 0);
extern int m KLP_RELOC_SYMBOL(klp_target, m, 0);
int lp_a(void) { return v + m; }
__attribute__((cold)) int lp_b(void) { return v; }
int *lp_ptrs[] = { &v, &m };
int *const lp_const[] = { &m };
/* A static key entry, as arch_static_branch() emits it, for a vmlinux key. */
__asm__(".pushsection __jump_table,\"aw\"\n"
	"\t.balign 8\n"
	"\t.long 0, 0\n"
	"\t.quad \".klp.sym.rela.vmlinux.vmlinux.some_key.0\"\n"
	"\t.popsection");
EOF
	build_kmod mod.ko m.c -- -ffunction-sections -fdata-sections
	save mod.ko
	run_tool 0 mod.ko
	assert_converted "$t.save/mod.ko" mod.ko
	dump -S mod.ko | grep -o '\.klp\.rela\.[^ ]*' | sort >secs
	compare "klp rela section names" secs <<'EOF'
.klp.rela.klp_target..data.lp_ptrs
.klp.rela.klp_target..rodata.lp_const
.klp.rela.klp_target..text.lp_a
.klp.rela.vmlinux..data.lp_ptrs
.klp.rela.vmlinux..text.lp_a
.klp.rela.vmlinux..text.unlikely.lp_b
.klp.rela.vmlinux.__jump_table
EOF
}
run_test target_section_names_keep_their_leading_dot t_target_names

# vmlinux klp relocations are applied while the livepatch module loads,
# before its special sections are processed (5.8+): allowed there, and in
# .init.* sections, which are still in place at that time.
t_vmlinux_special() {
	cat >m.c <<'EOF'
#include "klp_reloc.h"
#include "modinfo.h"
MODULE_INFO(livepatch, "Y");
extern int v KLP_RELOC_SYMBOL(vmlinux, v, 0);
__attribute__((section(".init.text"))) int lp_init(void) { return v; }
__asm__(".pushsection .altinstructions,\"a\"\n\t.quad \".klp.sym.rela.vmlinux.vmlinux.v.0\"\n\t.popsection\n"
	".pushsection __ex_table,\"a\"\n\t.quad \".klp.sym.rela.vmlinux.vmlinux.v.0\"\n\t.popsection\n"
	".pushsection .static_call_sites,\"aw\"\n\t.quad \".klp.sym.rela.vmlinux.vmlinux.v.0\"\n\t.popsection\n"
	".pushsection .init.data,\"aw\"\n\t.quad \".klp.sym.rela.vmlinux.vmlinux.v.0\"\n\t.popsection");
EOF
	build_kmod mod.ko m.c
	save mod.ko
	run_tool 0 mod.ko
	assert_converted "$t.save/mod.ko" mod.ko
	dump -S mod.ko | grep -o '\.klp\.rela\.[^ ]*' | sort >secs
	compare "klp rela section names" secs <<'EOF'
.klp.rela.vmlinux..altinstructions
.klp.rela.vmlinux..init.data
.klp.rela.vmlinux..init.text
.klp.rela.vmlinux..static_call_sites
.klp.rela.vmlinux.__ex_table
EOF
}
run_test vmlinux_relocations_in_special_and_init_sections_convert t_vmlinux_special

# Relocations name symbols by index and the kernel keeps a livepatch
# module's symtab whole: no symbol moves, locals stay first, and .symtab
# sh_info (first non-local) is unchanged.
t_symtab_order() {
	cat >m.c <<'EOF'
#include "klp_reloc.h"
#include "modinfo.h"
MODULE_INFO(livepatch, "Y");
MODULE_INFO(license, "GPL");
extern int z KLP_RELOC_SYMBOL(vmlinux, z, 0);
extern int a KLP_RELOC_SYMBOL(klp_target, a, 0);
extern int maybe KLP_RELOC_SYMBOL(vmlinux, maybe, 0) __attribute__((weak));
extern int exported_thing;
static int s1, s2 = 2;
static int helper(int x) { return x * s1 + s2 + a; }
int g1(int x) { return helper(x) + z + exported_thing; }
int g2(int x) { static int calls; calls++; return helper(x + calls) + a; }
__attribute__((weak)) int w(void) { return z + maybe; }
EOF
	build_kmod mod.ko m.c -- -fno-inline
	dump -s mod.ko | grep -q '\.klp\.sym\.rela\.vmlinux\.vmlinux\.maybe\.0 .* WEAK ' ||
		fail "fixture: no weak annotated symbol"
	save mod.ko
	run_tool 0 mod.ko
	assert_converted "$t.save/mod.ko" mod.ko
	# Beyond the prediction, spelled out: each symbol keeps its index,
	# bind (the weak one stays weak), type and value; only the klp ones
	# change name and shndx.
	dump -s "$t.save/mod.ko" | sed -E 's/^(\[[0-9]+\]) [^ ]* (.*) shndx=[^ ]*$/\1 \2/' >before
	dump -s mod.ko | sed -E 's/^(\[[0-9]+\]) [^ ]* (.*) shndx=[^ ]*$/\1 \2/' >after
	compare_files "symbols without name and shndx" before after
	head -n1 after >locals
	grep -q "^symtab locals=$(dump -S mod.ko | sed -n 's/.* SYMTAB .* info=\([0-9]*\) .*/\1/p') " locals ||
		fail ".symtab sh_info does not match the locals count"
}
run_test symtab_never_reordered_locals_first_sh_info_kept t_symtab_order

# Everything the conversion has no business with stays byte for byte:
# other relocations, section groups (COMDAT, from assembly and from C++),
# .modinfo, .comment, notes.
t_preserved() {
	sample sample.c
	cat >grp.S <<'EOF'
	.section .text.grp_fn,"axG",@progbits,grp_fn,comdat
	.globl	grp_fn
	.type	grp_fn, @function
grp_fn:
	call	printk
	ret
	.size	grp_fn, .-grp_fn
	.section .data.grp,"awG",@progbits,grp_fn,comdat
	.quad	grp_fn
	/* A group member whose relocation moves: its .rela section stays in
	 * the group (emptied), the klp section is outside any group. */
	.section .text.grp2_fn,"axG",@progbits,grp2_fn,comdat
	.globl	grp2_fn
	.type	grp2_fn, @function
grp2_fn:
	movq	".klp.sym.rela.vmlinux.vmlinux.saved_command_line.0"(%rip), %rax
	ret
	.size	grp2_fn, .-grp2_fn
	.section .note.GNU-stack,"",@progbits
EOF
	cat >inl.cc <<'EOF'
extern "C" int printk(const char *, ...);
inline int shared_inline(int x) { return printk("%d", x); }
int use_inline(int x) { return shared_inline(x) + 1; }
EOF
	mapfile -t flags < <(kcflags)
	g++ -c -O1 -fno-inline "${flags[@]}" -o inl.o inl.cc || fail "g++"
	build_kmod part.ko sample.c grp.S
	ld -r -o mod.ko part.ko inl.o
	rm part.ko inl.o
	dump -S mod.ko | grep -c ' GROUP ' >ngroups
	compare "groups in the fixture" ngroups <<'EOF'
3
EOF
	save mod.ko
	run_tool 0 mod.ko
	assert_converted "$t.save/mod.ko" mod.ko
	# Every section but the string tables, .symtab and the relocation
	# sections that lost entries: same header, same bytes.
	shrunk=$(relocs mod.ko | sed -n 's/^\.klp\.rela\.[^ ]* \([^:]*\):.*/\1/p' | sort -u)
	keep() {
		awk -v shrunk=" $(echo "$shrunk" | tr '\n' ' ') " '
			$3 == "STRTAB" || $3 == "SYMTAB" { next }
			($3 == "RELA") {
				for (i = 4; i <= NF; i++) if ($i ~ /^info=/) info = substr($i, 6)
				if (index(shrunk, " " name[info] " ")) next
			}
			{ name[substr($1, 2, length($1) - 2)] = $2 }
			$2 !~ /^\.klp\.rela\./ { print }'
	}
	dump -S -c "$t.save/mod.ko" | keep >before
	dump -S -c mod.ko | keep >after
	compare_files "untouched sections" before after
	grep -q '\.modinfo .* hash=' after
	grep -q ' GROUP .* members=' after
}
run_test other_sections_groups_modinfo_and_relocations_preserved t_preserved

# More than SHN_LORESERVE (0xff00) sections: e_shnum and e_shstrndx move to
# section 0, symbols of high sections go through .symtab_shndx, and the new
# klp section targets a section numbered above 65280.  Kernel objects this
# big exist (vmlinux.o); a livepatch module built with -ffunction-sections
# from a large patch can get there too.
t_many_sections() {
	need_x86_64
	{
		printf '#include "klp_reloc.h"\n#include "modinfo.h"\n'
		printf '\tMODINFO "livepatch=Y"\n'
		printf '\tKLP_RELOC_SYMBOL cmdline, vmlinux, saved_command_line, 0\n'
		awk 'BEGIN { for (i = 0; i < 65300; i++)
			printf "\t.section .text.f%d,\"ax\",@progbits\n\tret\n", i }'
		printf '\t.section .text.last,"ax",@progbits\n\t.globl last\n'
		printf '\t.type last, @function\nlast:\n\tmovq cmdline(%%rip), %%rax\n'
		printf '\tret\n\t.size last, .-last\n\t.section .note.GNU-stack,"",@progbits\n'
	} >many.S
	build_ko mod.ko many.S
	dump -S mod.ko | grep -q ' SYMTAB_SHNDX ' || fail "fixture: no .symtab_shndx"
	save mod.ko
	run_tool 0 mod.ko
	assert_converted "$t.save/mod.ko" mod.ko
	relocs mod.ko .klp.rela.vmlinux..text.last >r
	compare "the klp relocation" r <<'EOF'
.klp.rela.vmlinux..text.last .text.last: 0x3 R_X86_64_PC32 .klp.sym.vmlinux.saved_command_line,0 -4
EOF
}
run_test more_than_65280_sections_extended_numbering_kept t_many_sections

# Every relocation type the x86_64 kernel applies in apply_relocate_add()
# (64, 32, 32S, PC32, PLT32, PC64) converts, with its addend; the refused
# ones are in run-refuse.sh.
t_x86_types() {
	need_x86_64
	cat >m.S <<'EOF'
#include "klp_reloc.h"
#include "modinfo.h"
	MODINFO "livepatch=Y"
	KLP_RELOC_SYMBOL v, vmlinux, v, 0
	KLP_RELOC_SYMBOL m, klp_target, m, 0
	.data
	.globl	lp_tab
	.type	lp_tab, @object
lp_tab:
	.reloc	., R_X86_64_64, v + 1
	.quad	0
	.reloc	., R_X86_64_32, m + 2
	.long	0
	.reloc	., R_X86_64_32S, v - 3
	.long	0
	.reloc	., R_X86_64_PC32, m - 4
	.long	0
	.reloc	., R_X86_64_PLT32, v - 4
	.long	0
	.reloc	., R_X86_64_PC64, m + 5
	.quad	0
	.size	lp_tab, .-lp_tab
	.section .note.GNU-stack,"",@progbits
EOF
	build_ko mod.ko m.S
	save mod.ko
	run_tool 0 mod.ko
	assert_converted "$t.save/mod.ko" mod.ko
	relocs mod.ko .klp.rela.vmlinux..data .klp.rela.klp_target..data >r
	compare "klp relocations" r <<'EOF'
.klp.rela.vmlinux..data .data: 0x0 R_X86_64_64 .klp.sym.vmlinux.v,0 +1
.klp.rela.vmlinux..data .data: 0xc R_X86_64_32S .klp.sym.vmlinux.v,0 -3
.klp.rela.vmlinux..data .data: 0x14 R_X86_64_PLT32 .klp.sym.vmlinux.v,0 -4
.klp.rela.klp_target..data .data: 0x8 R_X86_64_32 .klp.sym.klp_target.m,0 +2
.klp.rela.klp_target..data .data: 0x10 R_X86_64_PC32 .klp.sym.klp_target.m,0 -4
.klp.rela.klp_target..data .data: 0x18 R_X86_64_PC64 .klp.sym.klp_target.m,0 +5
EOF
}
run_test every_x86_64_type_the_kernel_applies_converts t_x86_types

# The limits the kernel's sscanf() sets are limits, not off by one:
# a 55-character object name and a 511-byte klp symbol name are fine.
t_limits_ok() {
	local obj55 sym492
	obj55=$(printf 'o%.0s' $(seq 55))
	sym492=$(printf 's%.0s' $(seq 492))
	cat >m.c <<EOF
#include "klp_reloc.h"
#include "modinfo.h"
MODULE_INFO(livepatch, "Y");
extern int a KLP_RELOC_SYMBOL($obj55, counter, 0);
extern int b KLP_RELOC_SYMBOL(vmlinux, $sym492, 0);
int *p[] = { &a, &b };
EOF
	build_kmod mod.ko m.c
	save mod.ko
	run_tool 0 mod.ko
	assert_converted "$t.save/mod.ko" mod.ko
	dump -s mod.ko | grep -o '\.klp\.sym\.vmlinux\.[^ ]*' | tr -d '\n' | wc -c >len
	compare "length of the long klp symbol name" len <<'EOF'
511
EOF
	dump -S mod.ko | grep -q "\.klp\.rela\.$obj55\.\.data " || fail "no .klp.rela.<55 chars>..data"
}
run_test object_name_of_55_and_symbol_name_of_511_bytes_accepted t_limits_ok

# Symbols of more objects than a byte can number take the converter's
# wide path; each still lands in its own object's section.
t_many_objects() {
	{
		echo '#include "klp_reloc.h"'
		echo '#include "modinfo.h"'
		echo 'MODULE_INFO(livepatch, "Y");'
		for i in $(seq 300); do
			echo "extern int s$i KLP_RELOC_SYMBOL(mod$i, counter, 0);"
		done
		printf 'int *p[] = {'
		for i in $(seq 300); do printf ' &s%d,' "$i"; done
		echo ' };'
	} >m.c
	build_kmod mod.ko m.c
	save mod.ko
	run_tool 0 mod.ko
	assert_converted "$t.save/mod.ko" mod.ko
	dump -S mod.ko | grep -c ' \.klp\.rela\.mod[0-9]*\.\.data ' >n || true
	compare "klp relocation sections, one per object" n <<'EOF'
300
EOF
}
run_test symbols_of_300_objects_each_reach_their_own_section t_many_objects

# The converter's big arrays (diag.c: xbig_realloc) move between malloc
# and mappings of their own as they grow and shrink: every resize keeps the
# contents, whichever kinds it goes between.
t_big_arrays() {
	cat >big.c <<'EOF'
#include <stdio.h>
#include "diag.h"

static size_t bad;

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 131 >> 7);
}

static void fill(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = pattern(i);
}

static void expect(const unsigned char *p, size_t n, size_t from, size_t to)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != pattern(i)) {
			printf("%zu -> %zu: byte %zu changed\n", from, to, i);
			bad++;
			return;
		}
	printf("%zu -> %zu: %zu bytes kept\n", from, to, n);
}

int main(void)
{
	static const size_t sizes[] = {
		4096, 3u << 20, 9u << 20, (9u << 20) + 1, 5u << 20,
		1u << 20, 7u << 20, 0x1234,
	};
	size_t old = sizes[0];
	unsigned char *p = xbig_realloc(NULL, 0, old);

	fill(p, old);
	for (size_t k = 1; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];

		p = xbig_realloc(p, old, n);
		expect(p, old < n ? old : n, old, n);
		fill(p, n);
		old = n;
	}
	xbig_free(p, old);
	return bad != 0;
}
EOF
	"$CC" -std=gnu11 -O1 -Wall -Wextra -Werror -I"$top" -o big big.c \
		"$top/diag.c" || fail "cannot build the test program"
	./big >out || fail "a resize lost contents: $(cat out)"
	compare "resizes" out <<'EOF'
4096 -> 3145728: 4096 bytes kept
3145728 -> 9437184: 3145728 bytes kept
9437184 -> 9437185: 9437184 bytes kept
9437185 -> 5242880: 5242880 bytes kept
5242880 -> 1048576: 1048576 bytes kept
1048576 -> 7340032: 1048576 bytes kept
7340032 -> 4660: 4660 bytes kept
EOF
}
run_test big_arrays_keep_their_contents_across_every_resize t_big_arrays

# The relocation scan runs on two threads for big modules (convert.c:
# scan_in_parallel), then hands over to the serial bookkeeping; the plan,
# and so every output byte, must be the serial scan's.  A test program
# converts each module with the serial scan and with two threads (asked
# for, whatever the size): generated modules where each relocation
# section feeds several klp sections, with objects past the byte-sized
# object ids, and with more than 65,280 sections; and the special cases
# of the tests above (two sources for one target, an existing klp
# section to extend, relocations from .debug sections).
t_parallel_scan() {
	cat >pair.c <<'EOF'
#include <stdio.h>
#include <sys/stat.h>
#include "convert.h"

/* Convert IN with the scan on THREADS threads into OUT. */
static int convert(const char *in, const char *out, unsigned int threads)
{
	struct diag d = { .file = in };
	struct convert_opts opts = { .threads = threads };
	struct convert_stats stats;
	struct stat st = { .st_mode = 0644 };
	struct elf_file ef;
	int ret = 1;

	if (elf_open(&ef, &d, in) != 0)
		return 1;
	if (klp_convert(&ef, &opts, &stats) == CONVERT_DONE &&
	    elf_write(&ef, out, &st, NULL, NULL) == 0) {
		printf("asked %u, scanned on %u: %zu symbols, %zu relocations, %zu sections\n",
		       threads, stats.scan_threads, stats.symbols,
		       stats.relocs, stats.sections);
		ret = 0;
	}
	elf_close(&ef);
	return ret;
}

int main(int argc, char **argv)
{
	(void)argc;
	return convert(argv[1], argv[2], 1) || convert(argv[1], argv[3], 2);
}
EOF
	"$CC" -std=gnu11 -O1 -Wall -Wextra -Werror -I"$top" -pthread -o pair \
		pair.c "$top/convert.c" "$top/check.c" "$top/klp.c" \
		"$top/arch.c" "$top/elf-file.c" "$top/diag.c" -lelf ||
		fail "cannot build the test program"
	"$CC" -O2 -o gen "$top/bench/gen-klp-object.c" ||
		fail "cannot build the generator"
	g=0
	for shape in "-F 3000 -R 12 -K 400 -O 5" "-F 400 -R 8 -K 900 -O 300" \
		     "-F 33000 -R 2 -K 50 -O 3"; do
		g=$((g + 1))
		# shellcheck disable=SC2086 # the shape is a list of options
		./gen $shape -o "gen$g.o" -q || fail "generator failed: $shape"
	done

	two_sources_module two.ko
	existing_klp_section_module extend.ko
	debug_relocs_module debug.ko

	for in in gen1.o gen2.o gen3.o two.ko extend.ko debug.ko; do
		./pair "$in" serial.o parallel.o >out ||
			fail "conversion failed: $in"
		cmp serial.o parallel.o || fail "outputs differ: $in"
		# Same counts, one thread asked and used, then two.
		sed -n 's/^asked \([12]\), scanned on \([12]\): .*/\1 \2/p' out >threads
		compare "threads, $in" threads <<'EOF'
1 1
2 2
EOF
		[ "$(cut -d: -f2 out | sort -u | wc -l)" = 1 ] ||
			fail "counts differ: $(cat out)"
	done
}
run_test scan_on_two_threads_plans_exactly_as_the_serial_scan t_parallel_scan

# Helper threads (the second scan thread, the writer beside the result
# check, the second half of a big array's first touch) start on another
# CPU than their creator's and then take back the process's whole CPU
# mask (diag.c: xthread_start).  A module big enough for the scan and
# writer helpers is converted with every CPU the suite may use and under
# taskset with one: the same output, the check clean, and the hint seen
# in the successful system calls.  With another CPU to start on, every
# thread created gets a starting mask from its creator that is not the
# process's, then widens its own to the process's, once each; with none,
# no sched_setaffinity at all.
t_helper_threads() {
	local list first item full n f main
	local -a cpus=() trace
	"$CC" -O2 -o gen "$top/bench/gen-klp-object.c" ||
		fail "cannot build the generator"
	# 66,000 relocation entries: past the parallel scan's 65,536.
	./gen -F 33000 -R 2 -K 50 -O 3 -o all.o -q || fail "generator failed"
	cp all.o one.o
	# The model's helpers: the straight path's writer and scan ahead
	# are t_no_data_races' and t_scan_ahead_declines_as_the_model's.
	export KLP_CONVERT_PATH=model
	# The CPUs this suite may use ("0-3,6"), one by one; strace prints
	# a mask as "[0 1 2 3 6]".
	list=$(taskset -cp $$ | sed 's/.*: //')
	IFS=, read -ra items <<<"$list"
	for item in "${items[@]}"; do
		# shellcheck disable=SC2207 # numbers, one per line
		cpus+=($(seq "${item%-*}" "${item#*-}"))
	done
	n=${#cpus[@]}
	first=${cpus[0]}
	full="[${cpus[*]}]"
	# shellcheck disable=SC2054 # strace's list of calls
	trace=(timeout -k 5 "${KLP_TEST_TIMEOUT:-60}" strace -f -qq -z
	       -e trace=sched_setaffinity,clone,clone3,pwrite64)

	# LeakSanitizer cannot run under ptrace: the sanitizer rerun keeps
	# the rest of its checks here.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		"${trace[@]}" -o all.trace "$KLP_CONVERT" -q all.o ||
		fail "conversion failed (all CPUs)"
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		taskset -c "$first" "${trace[@]}" -o one.trace \
		"$KLP_CONVERT" -q one.o || fail "conversion failed (CPU $first alone)"
	cmp all.o one.o || fail "outputs differ"
	"$KLP_CONVERT" --check -q one.o || fail "--check refuses the output"

	# "PID clone3({...}, 88) = TID" per thread created, "PID
	# sched_setaffinity(TID, 128, [1]) = 0" per starting mask set by
	# the creator, "PID sched_setaffinity(0, 128, [0 1]) = 0" per mask
	# widened by the thread itself.
	for f in all one; do
		grep -c '^[0-9]* *clone3*(' "$f.trace" >"$f.threads" || true
		[ "$(cat "$f.threads")" -ge 2 ] ||
			fail "$f: $(cat "$f.threads") threads, not the scan's and the writer's"
		sed -n 's/^[0-9]* *sched_setaffinity([1-9][0-9]*, [0-9]*, \(\[[^]]*\]\)).*/\1/p' \
			"$f.trace" >"$f.starting"
		sed -n 's/^[0-9]* *sched_setaffinity(0, [0-9]*, \(\[[^]]*\]\)).*/\1/p' \
			"$f.trace" >"$f.widened"
		# The output is written by a thread (beside the result
		# check), never by the main one, which starts them all.
		main=$(sed -n 's/^\([0-9]*\) *clone3*(.*/\1/p' "$f.trace" | head -n1)
		grep -q '^[0-9]* *pwrite64(' "$f.trace" || fail "$f: no pwrite64"
		! grep -q "^$main *pwrite64(" "$f.trace" ||
			fail "$f: the main thread ($main) wrote the output"
	done
	if [ "$n" -ge 2 ]; then
		wc -l <all.starting | compare "starting masks (one per thread)" all.threads
		wc -l <all.widened | compare "widened masks (one per thread)" all.threads
		! grep -qxF "$full" all.starting ||
			fail "a thread started with the whole mask $full"
		sort -u all.widened >all.widened.once
		echo "$full" | compare "the widened mask" all.widened.once
	else
		: >all.none
		compare "sched_setaffinity calls, 1 CPU" all.none <all.starting
		compare "sched_setaffinity calls, 1 CPU" all.none <all.widened
	fi
	: >one.none
	compare "starting masks, CPU $first alone" one.none <one.starting
	compare "widened masks, CPU $first alone" one.none <one.widened
}
run_test helper_threads_start_elsewhere_and_convert_alike_on_one_cpu t_helper_threads

# A module under 2 MiB (the bench's medium one, 1 MB) is converted by one
# thread: the result check, then the write.  A writer beside the check
# costs it more CPU time than it saves wall time.
t_small_one_thread() {
	"$CC" -O2 -o gen "$top/bench/gen-klp-object.c" ||
		fail "cannot build the generator"
	./gen -F 1000 -R 20 -K 2000 -O 8 -o mod.o -q || fail "generator failed"
	[ "$(stat -c %s mod.o)" -lt $((2 << 20)) ] || fail "the module is 2 MiB or more"
	# LeakSanitizer cannot run under ptrace (the sanitizer rerun).
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		timeout -k 5 "${KLP_TEST_TIMEOUT:-60}" strace -f -qq \
		-e trace=clone,clone3 -o mod.trace "$KLP_CONVERT" -q mod.o ||
		fail "conversion failed"
	"$KLP_CONVERT" --check -q mod.o || fail "--check refuses the output"
	: >none
	grep '^[0-9]* *clone3*(' mod.trace >threads || true
	compare "threads started" threads <none
}
run_test small_module_converts_on_one_thread t_small_one_thread

# t_helper_threads' module under ThreadSanitizer, on both paths.  The
# straight path's producer and writer share the output's chunks, and its
# pass and its scan ahead the relocation sections' claims; on the
# model's, the second scan thread, the writer (which also lays the file
# out) beside the result check, and the helpers that fault in big arrays
# share the model.  No report, and the bytes of the plain build.
t_no_data_races() {
	[ -n "${KLP_CONVERT_TSAN:-}" ] ||
		skip "no ThreadSanitizer build given (KLP_CONVERT_TSAN; make check builds and sets it)"
	"$CC" -O2 -o gen "$top/bench/gen-klp-object.c" ||
		fail "cannot build the generator"
	# 66,000 relocation entries and a 4.2 MB section header table: past
	# the parallel scan's 65,536 and the two-thread fault-in's 4 MiB.
	./gen -F 33000 -R 2 -K 50 -O 3 -o in.o -q || fail "generator failed"
	"$KLP_CONVERT" -q -o plain.o in.o || fail "conversion failed"
	# The straight path: its producer and its writer share the chunks,
	# its pass and its scan ahead the sections.
	tsan_converts_alike plain.o tsan.o -q -o tsan.o in.o
	KLP_CONVERT_PATH=model tsan_converts_alike plain.o tsan-model.o \
		-q -o tsan-model.o in.o
}
run_test helper_threads_share_the_model_without_data_races t_no_data_races

# straight_path_taken FILE [ARGS...]: converting FILE (with ARGS) maps it
# read-only, and never read-write: the straight path kept it from the
# model, which maps its input writable (copy-on-write) to edit it in
# place.
straight_path_taken() {
	local size f=$1
	shift
	size=$(stat -c %s "$f")
	# LeakSanitizer cannot run under ptrace (the sanitizer rerun).
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		timeout -k 5 "${KLP_TEST_TIMEOUT:-60}" strace -qq -e trace=mmap \
		-o "$f.trace" "$KLP_CONVERT" -q "$@" "$f" || fail "conversion of $f failed"
	grep -q "mmap(NULL, $size, PROT_READ, MAP_PRIVATE," "$f.trace" ||
		fail "$f: no read-only mapping of the input" "$f.trace"
	! grep -q "mmap(NULL, $size, PROT_READ|PROT_WRITE, MAP_PRIVATE," "$f.trace" ||
		fail "$f: the model mapped the input too: the straight path declined"
}

# The straight path (stream.c) writes the model's bytes: the samples and
# generated modules of each shape (3 and 8 objects, a section per
# function, SHN_XINDEX past 65,280 sections), converted both ways, in
# place and to another file.  Each took the straight path.
t_straight_path_writes_the_models_bytes() {
	command -v strace >/dev/null ||
		skip "no strace (scripts/install-deps.sh test installs it)"
	"$CC" -O2 -o gen "$top/bench/gen-klp-object.c" ||
		fail "cannot build the generator"
	./gen -F 10 -R 20 -K 30 -O 3 -o g10.o -q
	./gen -F 1000 -R 20 -K 2000 -O 8 -o g1000.o -q
	./gen -F 33000 -R 2 -K 50 -O 3 -o g33000.o -q
	sample sample.c
	build_kmod c.ko sample.c
	mods=(g10.o g1000.o g33000.o c.ko)
	if [ "$(uname -m)" = x86_64 ]; then
		sample sample.S
		build_ko s.ko sample.S
		mods+=(s.ko)
	fi
	for m in "${mods[@]}"; do
		cp "$m" "$m.model"
		cp "$m" "$m.taken"
		run_tool 0 -o "$m.straight" "$m"
		KLP_CONVERT_PATH=model run_tool 0 -o "$m.model.out" "$m"
		cmp "$m.straight" "$m.model.out" ||
			fail "$m: the straight path's bytes differ from the model's"
		KLP_CONVERT_PATH=model run_tool 0 "$m.model"
		cmp "$m.straight" "$m.model" ||
			fail "$m: converted in place, the bytes differ"
		straight_path_taken "$m.taken"
		cmp "$m.straight" "$m.taken" || fail "$m: the traced run differs"
		"$KLP_CONVERT" --check -q "$m.straight" ||
			fail "$m: --check refuses the output"
	done
	# With --symvers (the post-link step's way) when every undefined
	# symbol left is exported; without the export, the model refuses.
	nm -u g1000.o | awk '$2 !~ /^\.klp\.sym\.rela\./ {
		printf "0x00000000\t%s\tvmlinux\tEXPORT_SYMBOL\t\n", $2 }' >all.symvers
	[ -s all.symvers ] || fail "fixture: g1000.o has no exported undefined symbol"
	cp g1000.o g1000.o.sv
	straight_path_taken g1000.o.sv --symvers all.symvers
	cmp g1000.o.straight g1000.o.sv || fail "--symvers: the bytes differ"
	head -n -1 all.symvers >short.symvers
	cp g1000.o g1000.o.short
	run_tool 1 --symvers short.symvers g1000.o.short
	assert_grep "\[symbol-not-exported\]" "$t.err"
	cmp g1000.o g1000.o.short || fail "a refused module was changed"
}
run_test straight_path_writes_the_models_bytes t_straight_path_writes_the_models_bytes

# On a module with 65,536 relocation entries or more, the straight path's
# scan ahead (stream.c: scan_ahead()) takes relocation sections from the
# last one back while the pass scans from the first on.  What the
# straight path does not convert, found by either side, hands the module
# to the model: a klp relocation into a read-only section (converted,
# with the model's warning) and a symbol index past .symtab (refused),
# in the first relocation section and in the last, give the model's
# exit status, messages and bytes.  The module as generated takes the
# straight path, on three threads (the pass, its writer, the scan ahead)
# when another CPU is there, else on two; under ThreadSanitizer the
# declined modules convert, or are refused, with no report.
t_scan_ahead_declines_as_the_model() {
	local m fn want list first
	"$CC" -O2 -o gen "$top/bench/gen-klp-object.c" ||
		fail "cannot build the generator"
	./gen -F 33000 -R 2 -K 50 -O 3 -o g.o -q || fail "generator failed"
	cp g.o taken.o
	straight_path_taken taken.o
	list=$(taskset -cp $$ | sed 's/.*: //')
	first=${list%%[,-]*}
	for m in all one; do
		cp g.o "$m.o"
		# LeakSanitizer cannot run under ptrace (the sanitizer rerun).
		if [ "$m" = all ]; then
			set -- timeout -k 5 "${KLP_TEST_TIMEOUT:-60}"
		else
			set -- taskset -c "$first" timeout -k 5 "${KLP_TEST_TIMEOUT:-60}"
		fi
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
			"$@" strace -f -qq -e trace=clone,clone3 -o "$m.trace" \
			"$KLP_CONVERT" -q "$m.o" || fail "conversion of $m.o failed"
		cmp taken.o "$m.o" || fail "$m.o: other bytes"
		grep -c '^[0-9]* *clone3*(' "$m.trace" >"$m.threads" || true
	done
	if [ "$list" != "$first" ]; then
		echo 2 | compare "threads started, every CPU" all.threads
	else
		echo 1 | compare "threads started, one CPU" all.threads
	fi
	echo 1 | compare "threads started, CPU $first alone" one.threads
	for fn in 0 32999; do
		cp g.o "ro$fn.o"
		elfpoke "ro$fn.o" shdr ".text.fn_$fn" flags 2	# SHF_ALLOC alone
		cp g.o "sym$fn.o"
		elfpoke "sym$fn.o" rela ".rela.text.fn_$fn" 1 sym 999999
	done
	for m in ro0 ro32999 sym0 sym32999; do
		want=0
		[ "${m#sym}" = "$m" ] || want=1
		save "$m.o"
		run_tool "$want" -o "$m.straight" "$m.o"
		cp "$t.err" "$m.straight.err"
		KLP_CONVERT_PATH=model run_tool "$want" -o "$m.model" "$m.o"
		compare_files "$m: the messages" "$t.err" "$m.straight.err"
		assert_unchanged "$m.o"
		if [ "$want" = 0 ]; then
			cmp "$m.straight" "$m.model" ||
				fail "$m: the bytes differ from the model's"
		elif [ -e "$m.straight" ] || [ -e "$m.model" ]; then
			fail "$m: a refused module was written"
		fi
	done
	# The messages themselves: ro0's relocations all go to vmlinux,
	# ro32999's to vmlinux and to one module.
	for m in ro0 ro32999; do
		sed -n 's/.*: warning: [^:]*: \[[0-9]*\] \([^:]*\): .*\[\([a-z-]*\)\].*/\1 \2/p' \
			"$m.straight.err" >"$m.rules"
	done
	compare "ro0's warnings" ro0.rules <<'EOF'
.klp.rela.vmlinux..text.fn_0 read-only-target
EOF
	compare "ro32999's warnings" ro32999.rules <<'EOF'
.klp.rela.xfs..text.fn_32999 read-only-target
.klp.rela.vmlinux..text.fn_32999 read-only-target
EOF
	for fn in 0 32999; do
		sed 's/^[^:]*: error: [^:]*: //' "sym$fn.straight.err" >"sym$fn.msg"
		compare "sym$fn's error" "sym$fn.msg" <<EOF
[$(secidx "sym$fn.o" ".rela.text.fn_$fn")] .rela.text.fn_$fn: entry 1: symbol index 999999 is past the end of .symtab
EOF
	done
	[ -n "${KLP_CONVERT_TSAN:-}" ] || return 0
	tsan_converts_alike ro32999.straight ro32999.tsan -q -o ro32999.tsan ro32999.o
	tsan_exits 1 -q -o sym32999.tsan sym32999.o
}
run_test scan_ahead_declines_as_the_model t_scan_ahead_declines_as_the_model

end_suite
