#!/bin/bash
# tests/run-malformed.sh - malformed inputs: refused cleanly, never a crash.
#
# In the manner of patchelf's tests/invalid-elf.sh: every case is made at
# test time by breaking one good module (tests/malformed/good.c, built with
# cc -c and ld -r) in one way, and is named after that defect.  For each,
# the tool converts in place and again with -o, and the test asserts:
#
#   - exit status 1 (the tool's "refused"), not a signal, a sanitizer or
#     valgrind report, or a hang;
#   - every stderr line is "klp-convert-mini: error: FILE: ..." and one
#     names the defect (the case's regular expression);
#   - the input is byte-identical (cmp with a copy saved before);
#   - the directory holds exactly what it held: no temporary file, no -o
#     output.
#
# A few VALID edge cases (expected 0) must still convert: the result reads
# back and converting it again changes nothing.  Cases marked 01 may go
# either way (they are unusual but not clearly wrong); whichever it is,
# the rules of that outcome apply.
#
# Fields are edited with tests/malformed/elfmangle.c (by name: sec:.strtab
# .sh_size, sym:NAME.st_shndx, rela:.rela.text:0.r_sym, ehdr.e_shoff ...).
# KLP_VALGRIND=1 runs every tool invocation under valgrind memcheck.

# The case snippets are single-quoted on purpose (they are evaluated inside
# each case's directory) and call the helpers below only through eval.
# shellcheck disable=SC2016,SC2317

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=malformed/subr.sh
. "$here/malformed/subr.sh"

arch=$(uname -m)
good=$workdir/good.ko
good_be=$workdir/good-s390x.ko
good32=$workdir/good32.ko

if ! build_elfmangle; then
	fail malformed_setup "cannot compile tests/malformed/elfmangle.c"
	end_suite
fi
if ! build_module "$good" "$here/malformed/good.c"; then
	fail malformed_setup "cannot build tests/malformed/good.c"
	end_suite
fi
build_module "$good_be" "$here/malformed/good.c" s390x 2>/dev/null ||
	good_be=
# Extended section numbering (e_shnum 0, e_shstrndx SHN_XINDEX, a
# .symtab_shndx), from the benchmark's generator when it is there.
good_xn=$workdir/good-xnum.ko
if ! "$CC" -O2 -o "$workdir/gen-klp-object" "$top/bench/gen-klp-object.c" 2>/dev/null ||
	! "$workdir/gen-klp-object" -F 33000 -R 2 -K 50 -O 3 -o "$good_xn" -q; then
	good_xn=
fi
# Sections in index order, as ld -r lays them out (the compiler's own
# objects, like the good module, put relocation sections last).
good_ordered=$workdir/good-ordered.ko
if [ -z "$good_xn" ] ||
	! "$workdir/gen-klp-object" -F 10 -R 4 -K 5 -O 2 -o "$good_ordered" -q; then
	good_ordered=
fi
# A 32-bit object, where the compiler can make one.
if ! "$CC" -m32 -c -O2 -fno-pic -I"$top" -o "$good32.o" \
	"$here/malformed/good.c" 2>/dev/null ||
	! "$LD" -m elf_i386 -r -o "$good32" "$good32.o" 2>/dev/null; then
	good32=
fi

# Helpers for the case snippets, which run inside the case's directory on
# the file in.ko.
m() { "$elfmangle" in.ko "$@"; }
q() { "$elfmangle" in.ko "?$1"; }
size() { stat -c %s in.ko; }
trunc() { truncate -s "$1" in.ko; }
# end_of SECTION: file offset of the last byte of a section.
end_of() { echo $(($(q "sec:$1.sh_offset") + $(q "sec:$1.sh_size") - 1)); }

ncase=0

# tcase NAME EXPECT REGEX SNIPPET [BASE]: make in.ko from BASE (default the
# good module), run SNIPPET in the case directory to break it, then judge
# the tool.  EXPECT is 1 (refused), 0 (must convert) or 01 (either).
# A case whose BASE is empty (no cross compiler) is skipped.
tcase() {
	local name=$1 expect=$2 regex=$3 snippet=$4 base=${5-$good}
	local d saved before why

	ncase=$((ncase + 1))
	d=$workdir/c$ncase
	saved=$workdir/c$ncase.saved
	before=$workdir/c$ncase.list
	if [ -z "$base" ]; then
		skip "$name" "no compiler for this case's base module"
		return
	fi
	mkdir "$d" || exit 1
	cp "$base" "$d/in.ko"
	if ! (cd "$d" && eval "$snippet") >"$workdir/c$ncase.setup" 2>&1; then
		fail "$name" "cannot make the input: $snippet" "$workdir/c$ncase.setup"
		return
	fi
	judge "$name" "$expect" "$regex" "$d" in.ko "$saved" "$before"
}

# judge NAME EXPECT REGEX DIR FILE SAVED BEFORE: run the tool on DIR/FILE
# in place and with -o, and check the outcome.
judge() {
	local name=$1 expect=$2 regex=$3 d=$4 f=$5 saved=$6 before=$7
	local why mode args

	# -o first: an in-place success would change the input.
	for mode in out inplace; do
		if [ -e "$d/$f" ] && [ ! -d "$d/$f" ] && [ ! -p "$d/$f" ]; then
			cp "$d/$f" "$saved"
		fi
		listing "$d" >"$before"
		if [ $mode = out ]; then
			args=(-o out.ko "$f")
		else
			args=("$f")
		fi
		run_tool "$d" "${args[@]}"
		why=$(tool_died)
		if [ -n "$why" ]; then
			fail "$name" "klp-convert-mini ${args[*]}: $why" "$err_file"
			return
		fi
		case $expect:$rc in
		1:1 | 01:1)
			why=$(check_refused "$regex" "$d" "$f" "$saved" "$before")
			;;
		0:0 | 01:0)
			why=$(check_converted "$d" "$f" "$saved" "$before" $mode)
			;;
		*)
			why="klp-convert-mini ${args[*]}: exit $rc, expected $expect"
			;;
		esac
		if [ -n "$why" ]; then
			fail "$name" "$why" "$err_file"
			return
		fi
		# The in-place run of a converting case changed the input;
		# nothing more to learn from it.
		[ "$rc" = 0 ] && break
	done
	pass "$name"
}

# check_refused REGEX DIR FILE SAVED BEFORE: print what is wrong with a
# refusal, or nothing.
check_refused() {
	local regex=$1 d=$2 f=$3 saved=$4 before=$5 shape left
	shape=$(error_shape "$f")
	[ -z "$shape" ] || { echo "$shape"; return; }
	if ! grep -Eq -- "$regex" "$err_file"; then
		echo "no error line matches /$regex/"
		return
	fi
	if [ -f "$d/$f" ] && ! cmp -s "$d/$f" "$saved"; then
		echo "the input changed"
		return
	fi
	left=$(temp_left "$before" "$d")
	[ -z "$left" ] || echo "files left behind: $left"
}

# check_converted DIR FILE SAVED BEFORE MODE: print what is wrong with a
# conversion, or nothing.
check_converted() {
	local d=$1 f=$2 saved=$3 before=$4 mode=$5 result left
	if [ "$mode" = out ]; then
		result=out.ko
		cmp -s "$d/$f" "$saved" || { echo "-o run changed the input"; return; }
		[ -f "$d/out.ko" ] || { echo "-o run wrote no output"; return; }
		left=$(temp_left "$before" "$d" | sed 's/^out\.ko //; s/ out\.ko / /')
	else
		result=$f
		left=$(temp_left "$before" "$d")
	fi
	[ -z "$left" ] || { echo "files left behind: $left"; return; }
	[ -s "$err_file" ] && { echo "a successful run printed on stderr"; return; }
	# A converted file has nothing left to convert: a second run is a
	# byte-identical no-op.
	cp "$d/$result" "$saved.2"
	run_tool "$d" "$result"
	if [ "$rc" != 0 ] || [ -n "$(tool_died)" ]; then
		echo "converting the result again: exit $rc $(head -n1 "$err_file")"
	elif ! cmp -s "$d/$result" "$saved.2"; then
		echo "converting the result again changed it"
	fi
	rm -f "$d/out.ko"
}

E='klp-convert-mini: error: [^:]*in\.ko: '

# --- not ELF at all -------------------------------------------------------------

tcase empty_file 1 "${E}.*(empty|not an ELF)" ': >in.ko'
tcase text_file_not_elf 1 "${E}not an ELF file" 'printf "hello, world\n" >in.ko'
tcase elf_magic_only 1 "${E}.*(not an ELF|truncated|too short|ELF header)" 'printf "\177ELF" >in.ko'

# --- truncated ------------------------------------------------------------------

tcase truncated_inside_e_ident 1 "${E}.*(not an ELF|truncated|too short|ELF header)" 'trunc 10'
tcase truncated_inside_elf_header 1 "${E}.*(ELF header|truncated|too short|not an ELF)" 'trunc 40'
tcase truncated_after_elf_header 1 "${E}.*(section header|truncated|past the end)" 'trunc 64'
tcase truncated_in_middle_of_sections 1 "${E}.*(section header|truncated|past the end)" 'trunc $(($(size) / 2))'
tcase truncated_in_middle_of_section_headers 1 "${E}.*(section header|truncated|past the end)" 'trunc $(($(q ehdr.e_shoff) + 3 * 64 + 10))'
tcase truncated_by_one_byte 1 "${E}.*(section header|truncated|past the end)" 'trunc $(($(size) - 1))'
# Move .symtab behind the section header table, then cut it in half:
# the headers are whole and the section's data is not.
tcase truncated_in_middle_of_a_section 1 "${E}.*(past the end|truncated)" \
	'm move:.symtab=0 && trunc $(($(q sec:.symtab.sh_offset) + $(q sec:.symtab.sh_size) / 2))'

# --- ELF header -----------------------------------------------------------------

tcase elf32_class_byte 1 "${E}.*(ELF64|class|32-bit)" 'm ehdr.ei_class=1'
tcase elf_class_invalid 1 "${E}.*(ELF64|class)" 'm ehdr.ei_class=0'
tcase elf32_object 1 "${E}not an ELF64 file \\(class 1\\): klp-convert-mini converts 64-bit modules only" ':' "$good32"
tcase byte_order_invalid 1 "${E}.*byte order" 'm ehdr.ei_data=3'
tcase e_type_executable 1 "${E}not a relocatable object" 'm ehdr.e_type=2'
tcase e_type_core 1 "${E}not a relocatable object" 'm ehdr.e_type=4'
tcase e_phnum_nonzero 1 "${E}.*program header" 'm ehdr.e_phnum=1'
tcase e_machine_unknown 1 "${E}.*(machine|architecture)" 'm ehdr.e_machine=0x1234'
tcase e_shoff_past_end 1 "${E}.*(section header|past the end)" 'm ehdr.e_shoff=$(size)'
tcase e_shoff_near_2_64 1 "${E}.*(section header|past the end)" 'm ehdr.e_shoff=-64'
tcase e_shoff_zero 1 "${E}.*(section header|overlap|past the end)" 'm ehdr.e_shoff=0'
tcase e_shentsize_wrong 1 "${E}.*(e_shentsize|section header)" 'm ehdr.e_shentsize=32'
tcase e_shnum_past_end 1 "${E}.*(section header|past the end)" 'm ehdr.e_shnum=1000'
tcase e_shnum_zero_without_extended_count 1 "${E}.*(no section|section header)" 'm ehdr.e_shnum=0'
tcase e_shnum_zero_with_sh_size_of_section_0_huge 1 "${E}.*(section header|past the end)" \
	'm ehdr.e_shnum=0 sec:0.sh_size=0xffffffffffffff'
tcase e_shnum_zero_with_sh_size_of_section_0_2_64 1 "${E}.*(section header|past the end)" \
	'm ehdr.e_shnum=0 sec:0.sh_size=-1'
tcase e_shstrndx_out_of_range 1 "${E}.*(name table|shstrndx|out of range)" 'm ehdr.e_shstrndx=200'
tcase e_shstrndx_zero 1 "${E}.*(name table|shstrndx|out of range)" 'm ehdr.e_shstrndx=0'
tcase e_shstrndx_xindex_with_bad_sh_link 1 "${E}.*(name table|shstrndx|out of range|section header)" \
	'm ehdr.e_shstrndx=0xffff sec:0.sh_link=5000'
tcase e_shstrndx_not_a_string_table 1 "${E}.*not a string table" 'm ehdr.e_shstrndx=$(q sec:.text)'

# --- section headers and contents -------------------------------------------------

tcase section_offset_past_end 1 "${E}.*past the end of the file" 'm sec:.text.sh_offset=$(size)'
tcase section_size_past_end 1 "${E}.*past the end of the file" 'm sec:.data.sh_size=$(size)'
tcase section_size_near_2_64 1 "${E}.*past the end of the file" 'm sec:.text.sh_size=-16'
tcase section_offset_near_2_64 1 "${E}.*past the end of the file" 'm sec:.data.sh_offset=-256'
tcase symtab_size_near_2_64 1 "${E}.*(past the end of the file|entry size)" 'm sec:.symtab.sh_size=-16'
tcase rela_size_near_2_64 1 "${E}.*(past the end of the file|entry size)" 'm sec:.rela.text.sh_size=-16'
tcase sections_overlap 1 "${E}.*overlap" 'm sec:.data.sh_offset=$(q sec:.text.sh_offset)'
tcase section_overlaps_elf_header 1 "${E}.*overlap" 'm sec:.text.sh_offset=0'
tcase section_overlaps_section_headers 1 "${E}.*overlap" 'm sec:.modinfo.sh_offset=$(q ehdr.e_shoff)'
# Still in offset order, so found without sorting: the overlap with the
# section before it is named.
tcase ordered_sections_overlap 1 "${E}\[6\] \.text\.fn_1: overlaps \[5\] \.rela\.text\.fn_0 in the file" \
	'm sec:.text.fn_1.sh_offset=$(($(q sec:.rela.text.fn_0.sh_offset) + 8))' "$good_ordered"
tcase section_name_past_shstrtab 1 "${E}.*(name offset|shstrtab|section name)" 'm sec:1.sh_name=0x7fffffff'
tcase shstrtab_without_final_nul 1 "${E}.*NUL" 'm byte:$(end_of .shstrtab)=0x78'
tcase strtab_without_final_nul 1 "${E}.*NUL" 'm byte:$(end_of .strtab)=0x78'
tcase strtab_empty 1 "${E}.*(NUL|string table|name offset|empty)" 'm sec:.strtab.sh_size=0'

# --- the symbol table ---------------------------------------------------------------

tcase symtab_sh_link_out_of_range 1 "${E}.*sh_link" 'm sec:.symtab.sh_link=999'
tcase symtab_sh_link_zero 1 "${E}.*sh_link" 'm sec:.symtab.sh_link=0'
tcase symtab_sh_link_not_a_string_table 1 "${E}.*not a string table" 'm sec:.symtab.sh_link=$(q sec:.text)'
tcase symtab_sh_info_past_last_symbol 1 "${E}.*sh_info" 'm sec:.symtab.sh_info=1000'
tcase symtab_entsize_wrong 1 "${E}.*entry size" 'm sec:.symtab.sh_entsize=16'
tcase symtab_entsize_zero 1 "${E}.*entry size" 'm sec:.symtab.sh_entsize=0'
tcase symtab_size_not_a_multiple 1 "${E}.*(entry size|size)" 'm sec:.symtab.sh_size=$(($(q sec:.symtab.sh_size) - 1))'
tcase two_symtabs 1 "${E}.*two symbol tables" 'm sec:.comment.sh_type=2'
tcase symtab_shndx_wrong_size 1 "${E}.*(symtab_shndx|extended section index|does not match)" \
	'm sec:.comment.sh_type=18 sec:.comment.sh_link=$(q sec:.symtab)'
tcase st_name_past_strtab 1 "${E}.*(name offset|string table)" 'm sym:good_patched.st_name=0xfffffff'
tcase st_shndx_xindex_without_symtab_shndx 1 "${E}.*(SHN_XINDEX|symtab_shndx)" 'm sym:good_patched.st_shndx=0xffff'
tcase st_shndx_out_of_range 1 "${E}.*section index.*out of range" 'm sym:good_patched.st_shndx=500'
tcase klp_symbol_defined 1 "${E}.*is defined" 'm sym:.klp.sym.rela.vmlinux.vmlinux.vm_fn.0.st_shndx=1'

# With extended numbering: an entry of .symtab_shndx out of range.
tcase symtab_shndx_entry_out_of_range 1 "${E}.*section index.*out of range" \
	'm byte:$(($(q sec:.symtab_shndx.sh_offset) + 4 * $(q sym:livepatch_fn_32999) + 2))=0x7f' "$good_xn"
tcase extended_numbering_count_past_end 1 "${E}.*(section header|past the end)" \
	'm sec:0.sh_size=$(($(q sec:0.sh_size) + 100))' "$good_xn"
tcase extended_numbering_name_table_out_of_range 1 "${E}.*(name table|shstrndx|out of range)" \
	'm sec:0.sh_link=$(($(q sec:0.sh_size) + 5))' "$good_xn"

# --- relocation sections --------------------------------------------------------------

tcase rela_sh_link_out_of_range 1 "${E}.*sh_link" 'm sec:.rela.text.sh_link=999'
tcase rela_sh_link_not_the_symtab 1 "${E}.*sh_link.*symbol table" 'm sec:.rela.text.sh_link=$(q sec:.strtab)'
tcase rela_sh_info_out_of_range 1 "${E}.*sh_info" 'm sec:.rela.text.sh_info=999'
tcase rela_sh_info_zero 1 "${E}.*sh_info" 'm sec:.rela.text.sh_info=0'
tcase rela_targets_itself 1 "${E}.*sh_info" 'm sec:.rela.text.sh_info=$(q sec:.rela.text)'
tcase rela_targets_a_rela_section 1 "${E}.*sh_info" 'm sec:.rela.text.sh_info=$(q sec:.rela.data)'
tcase rela_entsize_wrong 1 "${E}.*entry size" 'm sec:.rela.text.sh_entsize=16'
tcase rela_entsize_zero 1 "${E}.*entry size" 'm sec:.rela.data.sh_entsize=0'
tcase rela_size_not_a_multiple 1 "${E}.*(entry size|size)" 'm sec:.rela.text.sh_size=$(($(q sec:.rela.text.sh_size) - 8))'
tcase rela_symbol_index_past_symtab 1 "${E}.*symbol index.*past" 'm rela:.rela.text:0.r_sym=100000'
tcase rela_symbol_index_2_32_minus_1 1 "${E}.*symbol index.*past" 'm rela:.rela.data:1.r_sym=0xffffffff'
tcase rela_offset_past_section 1 "${E}.*offset.*past the end" 'm rela:.rela.data:0.r_offset=0x1000'
tcase rela_offset_near_2_64 1 "${E}.*offset.*past the end" 'm rela:.rela.data:0.r_offset=-4'
tcase modinfo_without_livepatch 1 "${E}.*livepatch=Y" \
	'm byte:$(grep -abo livepatch=Y in.ko | head -n1 | cut -d: -f1)=0x4c'
# (livepatch=N is still a livepatch for the kernel: a warning, tested by
# run-check.sh.)

# A module converted before that gets a new klp_reloc.h symbol (printk
# renamed) into the same klp relocation section, which is broken: the
# tool extends existing .klp.rela.* sections, so it must check them too.
good_conv=$workdir/good-converted.ko
"$tool" -q -o "$good_conv" "$good" 2>/dev/null || good_conv=
printf '%s' .klp.sym.rela.vmlinux.vmlinux.printk.0 >"$workdir/printk.name"
tcase existing_klp_rela_size_not_a_multiple 1 "${E}.*klp\.rela\.vmlinux\.\.text.*(entry size|size|cannot read)" \
	'm "rename:printk=@$workdir/printk.name" sec:.klp.rela.vmlinux..text.sh_size=16' "$good_conv"
tcase existing_klp_rela_entsize_wrong 1 "${E}.*klp\.rela\.vmlinux\.\.text.*entry size" \
	'm "rename:printk=@$workdir/printk.name" sec:.klp.rela.vmlinux..text.sh_entsize=16' "$good_conv"
tcase existing_klp_rela_sh_link_not_the_symtab 1 "${E}.*klp\.rela\.vmlinux\.\.text.*sh_link" \
	'm "rename:printk=@$workdir/printk.name" sec:.klp.rela.vmlinux..text.sh_link=$(q sec:.strtab)' "$good_conv"

# --- big-endian (s390x) ---------------------------------------------------------------

tcase big_endian_e_shoff_past_end 1 "${E}.*(section header|past the end)" 'm ehdr.e_shoff=$(size)' "$good_be"
tcase big_endian_rela_sh_link_out_of_range 1 "${E}.*sh_link" 'm sec:.rela.text.sh_link=999' "$good_be"
tcase big_endian_st_name_past_strtab 1 "${E}.*(name offset|string table)" 'm sym:good_patched.st_name=0xfffffff' "$good_be"

# --- not regular files ------------------------------------------------------------------

# tspecial NAME REGEX SETUP PATH: the input is PATH (relative to the case
# directory) after SETUP; no saved copy can be compared.
tspecial() {
	local name=$1 regex=$2 setup=$3 path=$4 d
	ncase=$((ncase + 1))
	d=$workdir/c$ncase
	mkdir "$d" || exit 1
	(cd "$d" && eval "$setup") || { fail "$name" "setup failed"; return; }
	judge "$name" 1 "$regex" "$d" "$path" "$workdir/c$ncase.saved" "$workdir/c$ncase.list"
}

tspecial input_is_a_directory 'klp-convert-mini: error: in\.ko: .*(regular file|directory)' 'mkdir in.ko' in.ko
tspecial input_is_a_fifo 'klp-convert-mini: error: in\.ko: .*(regular file|FIFO|fifo)' 'mkfifo in.ko' in.ko
tspecial input_does_not_exist 'klp-convert-mini: error: in\.ko: .*(No such file|cannot open)' ':' in.ko
tspecial input_is_a_dangling_symlink 'klp-convert-mini: error: in\.ko: .*(No such file|cannot open)' 'ln -s nowhere.ko in.ko' in.ko

# /dev/null: in place would put a temporary file into /dev; check that too.
ncase=$((ncase + 1))
listing /dev >"$workdir/dev.before"
run_tool "$workdir" /dev/null
why=$(tool_died)
if [ -n "$why" ]; then
	fail input_is_dev_null "$why" "$err_file"
elif [ "$rc" != 1 ]; then
	fail input_is_dev_null "exit $rc, expected 1" "$err_file"
elif ! grep -Eq 'klp-convert-mini: error: /dev/null: .*(regular file|empty|not an ELF)' "$err_file"; then
	fail input_is_dev_null "no error line names /dev/null and the defect" "$err_file"
elif temp_left "$workdir/dev.before" /dev | tr ' ' '\n' | grep -q '^null\.'; then
	fail input_is_dev_null "a temporary file was left in /dev"
else
	pass input_is_dev_null
fi

# --- valid edge cases: these must still convert ---------------------------------------------

tcase valid_sh_addralign_zero 0 '' 'm sec:.text.sh_addralign=0 sec:.data.sh_addralign=0'
tcase valid_nobits_offset_past_end 0 '' 'm sec:.bss.sh_offset=0xffffffff'
tcase valid_empty_section_offset_past_end 0 '' 'm sec:.note.GNU-stack.sh_offset=0x7fffffff'
tcase valid_section_headers_moved_to_the_end 0 '' 'm moveshdr=0'
tcase valid_symtab_moved_to_the_end 0 '' 'm move:.symtab=0'
tcase valid_big_endian_module 0 '' ':' "$good_be"
tcase valid_extended_section_numbering 0 '' ':' "$good_xn"
# Unusual: a misaligned table (libelf hands out pointers into the file, so
# misaligned reads must not be undefined behaviour) and an alignment that
# is not a power of two.  Either refused or converted, never a crash.
tcase unusual_section_headers_misaligned 01 "${E}.*(align|section header)" 'm moveshdr=3'
tcase unusual_symtab_misaligned 01 "${E}.*(align|symbol table|symtab)" 'm move:.symtab=4'
tcase unusual_rela_misaligned 01 "${E}.*(align|rela)" 'm move:.rela.data=2'
tcase unusual_sh_addralign_not_a_power_of_2 01 "${E}.*align" 'm sec:.data.sh_addralign=3'

end_suite
