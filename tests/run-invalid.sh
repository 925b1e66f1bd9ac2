#!/bin/bash
# shellcheck source-path=SCRIPTDIR disable=SC2317 # t_* run via run_test
# run-invalid.sh - malformed input, in the manner of patchelf's
# tests/invalid-elf.sh: one good module, broken one way per case with
# tests/helpers/elfpoke.c or dd, each case named after its defect.
#
# The contract gives no message for these; it gives the rest: exit 1 (not
# a signal, not a sanitizer report), error lines only, each in the shape
# "klp-convert-mini: error: FILE: ...", the input untouched, no temporary
# file left.  One valid oddity (sh_addralign 0) must still convert.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

good() {
	sample sample.c
	build_kmod mod.ko sample.c
}

# broken CASE: apply the defect named CASE to mod.ko.
broken() {
	local size
	case $1 in
	truncated_to_elf_header) head -c 64 mod.ko >x && mv x mod.ko ;;
	truncated_in_the_middle)
		size=$(stat -c %s mod.ko)
		head -c $((size / 2)) mod.ko >x && mv x mod.ko ;;
	section_headers_past_eof)
		# e_shoff (ELF64: offset 0x28, little-endian) far past the end
		elfpoke mod.ko raw 0x28 0000000100000000 ;;
	section_header_count_huge)
		# e_shnum (0x3c) = 0xfff0
		elfpoke mod.ko raw 0x3c f0ff ;;
	rela_link_out_of_range) elfpoke mod.ko shdr .rela.text link 999 ;;
	rela_link_not_a_symtab) elfpoke mod.ko shdr .rela.text link 1 ;;
	rela_info_out_of_range) elfpoke mod.ko shdr .rela.text info 999 ;;
	rela_entsize_wrong) elfpoke mod.ko rawshdr .rela.text entsize 16 ;;
	rela_size_not_multiple_of_entsize) elfpoke mod.ko rawshdr .rela.text size 100 ;;
	rela_symbol_index_past_symtab) elfpoke mod.ko rela .rela.text 0 sym 99999 ;;
	rela_offset_past_target_section)
		# the first relocation against an annotated symbol
		local i
		i=$(dump -r mod.ko | grep '^\[2\] ' | grep -n '\.klp\.sym\.rela\.' | head -n1 | cut -d: -f1)
		elfpoke mod.ko rela .rela.text $((i - 1)) offset 0x100000 ;;
	symtab_entsize_zero) elfpoke mod.ko rawshdr .symtab entsize 0 ;;
	symtab_link_out_of_range) elfpoke mod.ko shdr .symtab link 999 ;;
	symbol_names_past_strtab) elfpoke mod.ko rawshdr .strtab size 4 ;;
	section_size_past_eof) elfpoke mod.ko rawshdr .text size 0x10000000 ;;
	symbol_shndx_out_of_range)
		local s
		s=$(dump -s mod.ko | grep -m1 ' FUNC ' | sed 's/^\[\([0-9]*\)\].*/\1/')
		elfpoke mod.ko sym "$s" shndx 999 ;;
	unknown_machine) elfpoke mod.ko ehdr machine 0x7777 ;;
	*) fail "no such case $1" ;;
	esac
}

t_invalid() {
	good
	broken "$1"
	save mod.ko
	run_tool 1 mod.ko
	[ -s "$t.err" ] || fail "exit 1 without a message"
	if grep -Ev "^$me: error: mod\\.ko: .+" "$t.err" >"$t.bad"; then
		fail "not an error line: $(head -n1 "$t.bad")"
	fi
	assert_empty "$t.out"
	assert_unchanged mod.ko
	assert_no_temp
}
for c in truncated_to_elf_header truncated_in_the_middle section_headers_past_eof \
	section_header_count_huge rela_link_out_of_range rela_link_not_a_symtab \
	rela_info_out_of_range rela_entsize_wrong rela_size_not_multiple_of_entsize \
	rela_symbol_index_past_symtab rela_offset_past_target_section \
	symtab_entsize_zero symtab_link_out_of_range symbol_names_past_strtab section_size_past_eof \
	symbol_shndx_out_of_range unknown_machine; do
	run_test "refuses_malformed_input[$c]" t_invalid "$c"
done

# Livepatch modules are ELF64; a 32-bit object (i386, from cc -m32) is
# refused cleanly, not misread.
t_elf32() {
	[ "$(uname -m)" = x86_64 ] || skip "needs an x86_64 compiler for -m32"
	sample sample.c
	cc -m32 -c -O2 -fno-pic -I"$top" -I"$srcdir/src" -o s.o sample.c 2>/dev/null ||
		skip "cc -m32 cannot compile"
	ld -m elf_i386 -r -o mod.ko s.o
	rm s.o
	save mod.ko
	run_tool 1 mod.ko
	assert_lines 1 "$t.err"
	assert_grep "^$me: error: mod\\.ko: " "$t.err"
	assert_unchanged mod.ko
	assert_no_temp
}
run_test refuses_32_bit_object t_elf32

# Not every oddity is an error: sh_addralign 0 means "no constraint".
t_addralign0() {
	good
	elfpoke mod.ko rawshdr .modinfo addralign 0
	save mod.ko
	run_tool 0 mod.ko
	assert_converted "$t.save/mod.ko" mod.ko
}
run_test accepts_section_with_addralign_0 t_addralign0

end_suite
