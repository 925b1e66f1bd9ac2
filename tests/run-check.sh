#!/bin/bash
# shellcheck source-path=SCRIPTDIR disable=SC2317 # t_* run via run_test
# run-check.sh - klp-convert-mini --check: one hand-broken module per
# kernel rule, good modules clean on every architecture, real Debian
# modules, exit codes, and agreement with the converter's refusals.
#
# Every module starts as tests/check/lp.c, compiled like a kernel module
# and linked with `ld -r`, converted by the tool; a test then breaks
# exactly one thing with tests/helpers/elfpoke and asserts the EXACT
# findings: file, severity, rule id, location, symbol and the kernel's
# message (tests/check/findings.py reads the --format=json document), the
# same findings in the text format, the exit status, and that --check
# wrote nothing (every file of the test directory keeps its bytes and
# mtime, and no file appears).  Locations are worked out from the dump of
# the module, not from the tool.
#
# Environment: as lib.sh; KLP_CACHE (where the kernel suite keeps Debian
# kernels; the few modules of a linux-image package this suite uses are
# kept there under check-modules/, fetched once with apt-get download).
# A missing cross compiler or Debian package skips the tests needing it.
#
# Sections: 1. one broken module per rule (and the architecture rules);
# 2. good modules clean; 3. real Debian modules; 4. exit statuses, JSON
# file names, usage errors; 5. the converter's refusals and --check name
# the same rule.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

checkdir=$srcdir/check
# Python starts slowly through a version manager's shim: the system's first.
python=$(command -v /usr/bin/python3 || command -v python3) || python=python3
KLP_CACHE=${KLP_CACHE:-/var/cache/klp-convert-mini}

# --- fixtures -------------------------------------------------------------------

# lp OUT [CFLAGS...]: tests/check/lp.c as an unconverted module OUT.
# With $CROSS (a cross toolchain prefix) or LP_OWN_MODEL=1, the host's
# $KCFLAGS give way to flags every gcc takes; the caller adds the code model.
lp() {
	local out=$1
	shift
	cp "$checkdir/lp.c" .
	if [ -n "${CROSS:-}" ] || [ "${LP_OWN_MODEL:-0}" = 1 ]; then
		build_ko "$out" lp.c -- -fno-pic -fno-pie -fno-stack-protector \
			-fno-asynchronous-unwind-tables "$@"
	else
		build_kmod "$out" lp.c -- "$@"
	fi
	rm -f lp.c
}

# good OUT [CFLAGS...]: lp.c built and converted by the tool into OUT.
good() {
	local out=$1
	shift
	lp "$out.raw" "$@"
	run_tool 0 -q -o "$out" "$out.raw"
	rm -f "$out.raw"
}

# secoff FILE IDX: the file offset of section IDX, in decimal.
secoff() {
	local off
	off=$(readelf -SW "$1" | sed -n 's/^ *\[ *\([0-9]*\)\] /\1 /p' | awk -v i="$2" '$1 == i { print $5 }')
	[ -n "$off" ] || fail "no offset for section $2 of $1"
	echo $((0x$off))
}

# reloc FILE SYM [N]: "OFFSET TARGETIDX TARGETNAME RELSECIDX RELSECNAME
# ENTRY" of the Nth (default first, $ the last) relocation against SYM.
reloc() {
	local f=$1 sym=$2 n=${3:-1} line
	line=$(dump -r "$f" | awk -v s="$sym" '
		NF == 10 && $9 == s {
			# entry number within its relocation section
			print $6, substr($4, 2, length($4) - 2), substr($5, 1, length($5) - 1),
			      substr($1, 2, length($1) - 2), $2, cnt[$2]++ + 0
			next
		}
		{ cnt[$2]++ }' | sed -n "${n}p")
	[ -n "$line" ] || fail "no relocation against $sym in $f"
	echo "$line"
}

# loc FILE SYM [N]: the checker's location of the Nth ($: last) relocation against
# SYM, exactly: "[IDX] SECTION+0xOFF (FUNC+0xOFF)", the part in parentheses
# when a sized FUNC or OBJECT symbol of that section covers the offset
# (the last one at or below the offset, the higher index on a tie).
loc() {
	local off tidx tsec name value size type shndx bestv=-1 bests=0 bestn=
	read -r off tidx tsec _ _ _ <<<"$(reloc "$@")"
	off=$((off))
	while read -r name value size type shndx; do
		case $type in FUNC | OBJECT) ;; *) continue ;; esac
		[ "$shndx" = "shndx=$tidx($tsec)" ] || continue
		value=$((${value#value=}))
		size=${size#size=}
		if [ "$value" -le "$off" ] && [ "$value" -ge "$bestv" ]; then
			bestv=$value bests=$size bestn=$name
		fi
	done < <(dump -s "$1" | awk '/^\[/ && $2 !~ /^value=/ { print $2, $3, $4, $5, $NF }')
	printf '[%s] %s+0x%x' "$tidx" "$tsec" "$off"
	if [ -n "$bestn" ] && [ "$off" -lt $((bestv + bests)) ]; then
		printf ' (%s+0x%x)' "$bestn" $((off - bestv))
	fi
	echo
}

# --- running --check ----------------------------------------------------------

# check WANT ARGS...: run `klp-convert-mini --check --format=json ARGS`
# and `klp-convert-mini --check ARGS`; both must exit WANT.  The JSON must
# parse (python's json module, as json.tool) and have the issue's shape;
# its findings go to $t.found (see tests/check/findings.py).  The text run must
# print exactly the lines those findings make, on stderr, and nothing on
# stdout.  Neither run may change a file of the test directory or leave
# one behind.
check() {
	local want=$1 f files=()
	shift
	for f in *; do
		[ -f "$f" ] && files+=("$f")
	done
	save "${files[@]}"
	run_tool "$want" --check --format=json "$@"
	assert_empty "$t.err"
	cp "$t.out" "$t.json"
	"$python" "$checkdir/findings.py" "$t.json" "$t.found" "$t.text" 2>"$t.py" ||
		fail "--format=json: $(cat "$t.py")"
	assert_unchanged "${files[@]}"
	assert_no_temp
	run_tool "$want" --check "$@"
	assert_empty "$t.out"
	compare_files "text-format findings (vs the JSON ones)" "$t.text" "$t.err"
	assert_unchanged "${files[@]}"
	assert_no_temp
}

# found: the findings of the last check must be exactly standard input.
found() {
	compare "findings" "$t.found"
}

# --- 1. one hand-broken module per rule ------------------------------------------

# The finding of a broken klp section [IDX] NAME: no symbol.
t_not_livepatch() {
	lp plain.ko -DPLAIN
	check 1 plain.ko
	found <<EOF
plain.ko|error|not-livepatch|||module ... is not marked as a livepatch module
plain.ko|errors=1|warnings=0
EOF
}
run_test check_reports_not_livepatch_for_a_plain_module t_not_livepatch

# unmark FILE: livepatch=Y becomes Livepatch=Y in FILE's .modinfo: the
# tag is gone.  (The kernel's get_modinfo() takes any value of the tag,
# so livepatch=N would still mark a livepatch module.)
unmark() {
	local off
	[ "$(grep -c -a -o 'livepatch=Y' "$1")" = 1 ] || fail "livepatch=Y is not in $1 once"
	off=$(grep -b -a -o 'livepatch=Y' "$1" | cut -d: -f1)
	elfpoke "$1" raw "$off" 4c
	! grep -q -a 'livepatch=' "$1" || fail "livepatch= still in $1"
}

t_modinfo() {
	good bad.ko
	unmark bad.ko
	check 1 bad.ko
	found <<EOF
bad.ko|error|livepatch-modinfo|||module ... is not marked as a livepatch module
bad.ko|errors=1|warnings=0
EOF
}
run_test check_reports_livepatch_modinfo_when_livepatch_Y_is_removed t_modinfo

# The loader reads only an allocated .modinfo (find_sec(): "Alloc bit
# cleared means ignore it"), so livepatch=Y in an unallocated one is lost.
t_modinfo_unalloc() {
	good bad.ko
	elfpoke bad.ko shdr .modinfo flags 0
	check 1 bad.ko
	found <<EOF
bad.ko|error|livepatch-modinfo|||module ... is not marked as a livepatch module
bad.ko|errors=1|warnings=0
EOF
	assert_grep "has livepatch symbols or sections but the \\.modinfo that says livepatch=Y is not allocated \\(SHF_ALLOC\\)" "$t.err"
}
run_test check_reports_livepatch_modinfo_when_modinfo_is_not_allocated t_modinfo_unalloc

# The kernel's get_modinfo() takes the livepatch tag with any value, so
# livepatch=y makes a livepatch: a warning (exit 0), from --check and,
# once, from the converter, which converts it.
t_modinfo_value() {
	good bad.ko
	local off
	off=$(grep -b -a -o 'livepatch=Y' bad.ko | cut -d: -f1)
	elfpoke bad.ko raw $((off + 10)) 79
	check 0 bad.ko
	found <<EOF
bad.ko|warning|livepatch-modinfo-value|||none
bad.ko|errors=0|warnings=1
EOF
	assert_grep "^$me: warning: bad\\.ko: \\.modinfo has the livepatch tag, but not livepatch=Y; write MODULE_INFO\\(livepatch, \"Y\"\\) \\[livepatch-modinfo-value\\] \\(kernel: \"none: the kernel takes the tag with any value as a livepatch\"\\)$" "$t.err"
	sed 's/MODULE_INFO(livepatch, "Y")/MODULE_INFO(livepatch, "y")/' "$checkdir/lp.c" >y.c
	grep -q 'livepatch, "y"' y.c || fail "fixture: no MODULE_INFO(livepatch, \"Y\") in lp.c"
	build_kmod y.ko y.c
	run_tool 0 y.ko
	assert_lines 1 "$t.err"
	assert_grep "^$me: warning: y\\.ko: .*\\[livepatch-modinfo-value\\]" "$t.err"
	run_tool 0 --check y.ko
}
run_test check_warns_livepatch_tag_with_another_value t_modinfo_value

# klp_sec FIELD VALUE [RAW]: break one field of .klp.rela.vmlinux..text
# of a converted module bad.ko; $s is that section's index.
klp_sec() {
	good bad.ko
	s=$(secidx bad.ko .klp.rela.vmlinux..text)
	elfpoke bad.ko "${3:-shdr}" "$s" "$1" "$2"
}

# apply_relocations() tests SHF_RELA_LIVEPATCH, never the type: a
# PROGBITS section with the flag is applied as Elf64_Rela entries all the
# same.  Without the flag, a .klp.rela.* section of another type is not
# applied at all.
t_sec_type() {
	klp_sec type 1
	check 1 bad.ko
	found <<EOF
bad.ko|error|klp-section-type|[$s] .klp.rela.vmlinux..text||none
bad.ko|errors=1|warnings=0
EOF
	assert_grep "SHT_RELA \\(type is 1\\): readelf, libelf and this check do not read its entries as relocations" "$t.err"
	assert_grep "\\(kernel: \"none: the kernel tests only SHF_RELA_LIVEPATCH and applies the section's bytes as Elf64_Rela entries whatever its type\"\\)\$" "$t.err"
	elfpoke bad.ko shdr "$s" flags 0x2
	check 1 bad.ko
	found <<EOF
bad.ko|error|klp-section-type|[$s] .klp.rela.vmlinux..text||none
bad.ko|errors=1|warnings=0
EOF
	assert_grep "\\(kernel: \"none: with neither SHF_RELA_LIVEPATCH nor SHT_RELA, the kernel does not apply it\"\\)\$" "$t.err"
}
run_test check_reports_klp_section_type_of_a_progbits_klp_section t_sec_type

t_sec_flags_livepatch() {
	klp_sec flags 0x42
	check 1 bad.ko
	found <<EOF
bad.ko|error|klp-section-flags|[$s] .klp.rela.vmlinux..text||none
bad.ko|errors=1|warnings=0
EOF
	assert_grep "flags 0x42 lack SHF_RELA_LIVEPATCH" "$t.err"
}
run_test check_reports_klp_section_flags_without_SHF_RELA_LIVEPATCH t_sec_flags_livepatch

t_sec_flags_alloc() {
	klp_sec flags 0x100040
	check 1 bad.ko
	found <<EOF
bad.ko|error|klp-section-flags|[$s] .klp.rela.vmlinux..text||none
bad.ko|errors=1|warnings=0
EOF
	assert_grep "flags 0x100040 lack SHF_ALLOC" "$t.err"
}
run_test check_reports_klp_section_flags_without_SHF_ALLOC t_sec_flags_alloc

t_sec_link() {
	good bad.ko
	local strtab l
	strtab=$(secidx bad.ko .strtab)
	s=$(secidx bad.ko .klp.rela.vmlinux..text)
	l=$(loc bad.ko .klp.sym.vmlinux.vm_fn,0)
	elfpoke bad.ko shdr "$s" link "$strtab"
	check 0 bad.ko
	found <<EOF
bad.ko|warning|klp-section-link|[$s] .klp.rela.vmlinux..text||none
bad.ko|errors=0|warnings=1
EOF
	assert_grep "sh_link $strtab is not the symbol table: " "$t.err"
	assert_grep "\\(kernel: \"none: the kernel never reads sh_link: it resolves every klp relocation against the module's \\.symtab\"\\)\$" "$t.err"
	# The entries are still checked, against .symtab as the kernel does.
	elfpoke bad.ko rela "$s" 0 type 9
	check 1 bad.ko
	found <<EOF
bad.ko|warning|klp-section-link|[$s] .klp.rela.vmlinux..text||none
bad.ko|error|relocation-type|$l|.klp.sym.vmlinux.vm_fn,0|...: Unknown rela relocation: 9
bad.ko|errors=1|warnings=1
EOF
}
run_test check_warns_klp_section_link_to_the_string_table t_sec_link

t_sec_target() {
	good bad.ko
	local comment
	comment=$(secidx bad.ko .comment)
	s=$(secidx bad.ko .klp.rela.vmlinux..text)
	elfpoke bad.ko shdr "$s" info "$comment"
	check 1 bad.ko
	found <<EOF
bad.ko|error|klp-section-target|[$s] .klp.rela.vmlinux..text||none
bad.ko|errors=1|warnings=0
EOF
	assert_grep "sh_info $comment is not an allocated section.*\\(kernel: \"none: only the module loader, for a vmlinux section, skips an unallocated or missing target; otherwise" "$t.err"
}
run_test check_reports_klp_section_target_that_is_not_allocated t_sec_target

# sh_info naming another klp section (allocated, so the loader would
# apply the relocation into that section's entries), at an offset whose
# bytes are zero.  The converter never targets a relocation section
# (convert.c refuses sh_info of a REL/RELA section); --check must not
# accept one either.
t_sec_target_rela() {
	good bad.ko
	local m
	s=$(secidx bad.ko .klp.rela.vmlinux..text)
	m=$(secidx bad.ko .klp.rela.klp_target..text)
	# bytes 4..7 of the first Elf64_Rela: the high half of r_offset, zero
	elfpoke bad.ko shdr "$s" info "$m" rela "$s" 0 offset 4
	check 1 bad.ko
	found <<EOF
bad.ko|error|klp-section-target|[$s] .klp.rela.vmlinux..text||none
bad.ko|errors=1|warnings=0
EOF
}
run_test check_reports_klp_section_target_that_is_a_relocation_section t_sec_target_rela

# The kernel never reads sh_entsize (layout_sections() keeps an offset
# there) and applies sh_size / sizeof(Elf_Rela) entries.
t_sec_entsize() {
	local l
	good bad.ko
	s=$(secidx bad.ko .klp.rela.vmlinux..text)
	l=$(loc bad.ko .klp.sym.vmlinux.vm_fn,0)
	elfpoke bad.ko rawshdr "$s" entsize 16
	dump -S bad.ko | grep -q "^\\[$s\\] .* entsize=16 " || fail "entsize not poked"
	check 0 bad.ko
	found <<EOF
bad.ko|warning|klp-section-entsize|[$s] .klp.rela.vmlinux..text||none
bad.ko|errors=0|warnings=1
EOF
	assert_grep "entry size 16, not 24 \\(sizeof\\(Elf64_Rela\\)\\): " "$t.err"
	assert_grep "\\(kernel: \"none: the kernel never reads sh_entsize \\(its loader keeps a layout offset there\\) and applies sh_size / 24 entries\"\\)\$" "$t.err"
	# The entries are still checked.  (elfpoke's rela edit writes
	# sh_entsize back: poke it again.)
	elfpoke bad.ko rela "$s" 0 type 9 rawshdr "$s" entsize 16
	check 1 bad.ko
	found <<EOF
bad.ko|warning|klp-section-entsize|[$s] .klp.rela.vmlinux..text||none
bad.ko|error|relocation-type|$l|.klp.sym.vmlinux.vm_fn,0|...: Unknown rela relocation: 9
bad.ko|errors=1|warnings=1
EOF
}
run_test check_warns_klp_section_entsize_of_16 t_sec_entsize

# A size that is no multiple of 24 (the one entry cut to 16 bytes): the
# kernel applies no entry.
t_sec_size() {
	klp_sec size 0x10 rawshdr
	check 1 bad.ko
	found <<EOF
bad.ko|error|klp-section-size|[$s] .klp.rela.vmlinux..text||none
bad.ko|errors=1|warnings=0
EOF
	assert_grep "size 0x10 is not a multiple of 24 \\(sizeof\\(Elf64_Rela\\)\\): its last entry is cut short" "$t.err"
	assert_grep "\\(kernel: \"none: the kernel applies the sh_size / 24 whole entries and ignores the bytes after them\"\\)\$" "$t.err"
}
run_test check_reports_klp_section_size_of_a_cut_entry t_sec_size

# The minimal klp-convert's bug: no '.' between object and section, so the
# kernel reads the object "vmlinux_text" and never applies the section.
t_sec_name_nodot() {
	klp_sec name .klp.rela.vmlinux_text
	check 1 bad.ko
	found <<EOF
bad.ko|error|klp-section-object|[$s] .klp.rela.vmlinux_text||none
bad.ko|errors=1|warnings=0
EOF
	assert_grep "\\(kernel: \"none: the kernel reads the object name as 'vmlinux_text' and applies the section only for an object of that name\"\\)\$" "$t.err"
}
run_test check_reports_klp_section_name_without_a_dot_after_the_object t_sec_name_nodot

# .klp.rela.vmlinux: the kernel reads "vmlinux" and applies the section;
# the name still lacks its section part.
t_sec_name_bare() {
	klp_sec name .klp.rela.vmlinux
	check 1 bad.ko
	found <<EOF
bad.ko|error|klp-section-object|[$s] .klp.rela.vmlinux||none
bad.ko|errors=1|warnings=0
EOF
	assert_grep "no '\\.<section>' follows the object name" "$t.err"
	assert_grep "\\(kernel: \"none: the kernel reads the object name as 'vmlinux' and applies the section only for an object of that name\"\\)\$" "$t.err"
}
run_test check_reports_klp_section_name_of_the_object_alone_with_what_the_kernel_does t_sec_name_bare

# No object at all: sscanf(".klp.rela.%55[^.]") matches nothing and the
# kernel refuses the module (kernel/livepatch/core.c,
# klp_write_section_relocs(): "section %s has an incorrectly formatted
# name", -EINVAL), where the other bad names are silently skipped.
t_sec_name_empty() {
	klp_sec name .klp.rela..text
	check 1 bad.ko
	found <<EOF
bad.ko|error|klp-section-name|[$s] .klp.rela..text||section .klp.rela..text has an incorrectly formatted name
bad.ko|errors=1|warnings=0
EOF
}
run_test check_reports_klp_section_name_without_an_object_with_the_kernels_message t_sec_name_empty

# An object name of 56 characters: %55[^.] stops one short of the dot.
t_sec_name_long() {
	local obj
	obj=$(printf 'm%.0s' $(seq 56))
	good bad.ko
	s=$(secidx bad.ko .klp.rela.klp_target..text)
	elfpoke bad.ko shdr "$s" name ".klp.rela.$obj..text"
	check 1 bad.ko
	found <<EOF
bad.ko|error|klp-section-object|[$s] .klp.rela.$obj..text||none
bad.ko|errors=1|warnings=0
EOF
	assert_grep "\\(kernel: \"none: the kernel reads the object name as '${obj:1}' and applies" "$t.err"
	# 55 characters are fine.
	good ok.ko
	elfpoke ok.ko shdr "$s" name ".klp.rela.${obj:1}..text"
	check 0 ok.ko
	found <<EOF
ok.ko|errors=0|warnings=0
EOF
}
run_test check_reports_klp_section_name_with_a_56_character_object t_sec_name_long

# A .klp.sym.* symbol left SHN_UNDEF, still used by its klp section: the
# symbol and the relocation are both reported.  The loader resolves an
# SHN_UNDEF symbol itself (simplify_symbols()) before livepatch sees it,
# so the load fails with "Unknown symbol", not with livepatch's message.
t_sym_shndx() {
	good bad.ko
	local i l
	i=$(symidx bad.ko .klp.sym.vmlinux.vm_fn,0)
	l=$(loc bad.ko .klp.sym.vmlinux.vm_fn,0)
	elfpoke bad.ko sym "$i" shndx 0
	check 1 bad.ko
	found <<EOF
bad.ko|error|klp-symbol-undefined|.symtab entry $i|.klp.sym.vmlinux.vm_fn,0|...: Unknown symbol .klp.sym.vmlinux.vm_fn,0 (err -2)
bad.ko|error|klp-symbol-undefined|$l|.klp.sym.vmlinux.vm_fn,0|...: Unknown symbol .klp.sym.vmlinux.vm_fn,0 (err -2)
bad.ko|errors=2|warnings=0
EOF
}
run_test check_reports_klp_symbol_shndx_undef_at_symbol_and_relocation t_sym_shndx

# The same with the symbol defined (st_shndx = .text): now livepatch's
# klp_resolve_symbols() is what refuses it.
t_sym_shndx_defined() {
	good bad.ko
	local i l text
	i=$(symidx bad.ko .klp.sym.vmlinux.vm_fn,0)
	l=$(loc bad.ko .klp.sym.vmlinux.vm_fn,0)
	text=$(secidx bad.ko .text)
	elfpoke bad.ko sym "$i" shndx "$text"
	check 1 bad.ko
	found <<EOF
bad.ko|error|klp-symbol-shndx|.symtab entry $i|.klp.sym.vmlinux.vm_fn,0|symbol .klp.sym.vmlinux.vm_fn,0 is not marked as a livepatch symbol
bad.ko|error|klp-symbol-shndx|$l|.klp.sym.vmlinux.vm_fn,0|symbol .klp.sym.vmlinux.vm_fn,0 is not marked as a livepatch symbol
bad.ko|errors=2|warnings=0
EOF
}
run_test check_reports_klp_symbol_shndx_of_a_defined_klp_symbol t_sym_shndx_defined

# An SHN_LIVEPATCH symbol without ",pos": sscanf() returns 2.
t_sym_name() {
	good bad.ko
	local i
	i=$(symidx bad.ko .klp.sym.vmlinux.vm_fn,0)
	elfpoke bad.ko sym "$i" name .klp.sym.vmlinux.vm_fn
	check 1 bad.ko
	found <<EOF
bad.ko|error|klp-symbol-name|.symtab entry $i|.klp.sym.vmlinux.vm_fn|symbol .klp.sym.vmlinux.vm_fn has an incorrectly formatted name
bad.ko|errors=1|warnings=0
EOF
}
run_test check_reports_klp_symbol_name_without_a_position t_sym_name

# A 56-character object in a klp symbol: %55[^.] stops one short of the
# '.', sscanf() returns 1.
t_sym_name_long() {
	good bad.ko
	local i obj
	obj=$(printf 'm%.0s' $(seq 56))
	i=$(symidx bad.ko .klp.sym.vmlinux.vm_fn,0)
	elfpoke bad.ko sym "$i" name ".klp.sym.$obj.vm_fn,0"
	check 1 bad.ko
	found <<EOF
bad.ko|error|klp-symbol-name|.symtab entry $i|.klp.sym.$obj.vm_fn,0|symbol .klp.sym.$obj.vm_fn,0 has an incorrectly formatted name
bad.ko|errors=1|warnings=0
EOF
}
run_test check_reports_klp_symbol_name_with_a_56_character_object t_sym_name_long

# The kernel's vsscanf() reads %lu as optional white space, then digits:
# no sign, unlike the C library's sscanf().
t_sym_name_sign() {
	local i v
	for v in +0 -0 ' 0'; do
		rm -f bad.ko
		good bad.ko
		i=$(symidx bad.ko .klp.sym.vmlinux.vm_fn,0)
		elfpoke bad.ko sym "$i" name ".klp.sym.vmlinux.vm_fn,$v"
		if [ "$v" = ' 0' ]; then
			check 0 bad.ko
			found <<EOF
bad.ko|errors=0|warnings=0
EOF
			continue
		fi
		check 1 bad.ko
		found <<EOF
bad.ko|error|klp-symbol-name|.symtab entry $i|.klp.sym.vmlinux.vm_fn,$v|symbol .klp.sym.vmlinux.vm_fn,$v has an incorrectly formatted name
bad.ko|errors=1|warnings=0
EOF
	done
}
run_test check_reports_klp_symbol_position_with_a_sign t_sym_name_sign

# 514 bytes: the kernel's format reads the fields (the symbol is 495
# characters, within %511[^,]), but kallsyms gives back 511 bytes.  One
# of 512 characters does not parse at all.
t_sym_too_long() {
	local i s495 s512
	s495=$(printf 's%.0s' $(seq 495))
	s512=$(printf 's%.0s' $(seq 512))
	good bad.ko
	i=$(symidx bad.ko .klp.sym.vmlinux.vm_fn,0)
	elfpoke bad.ko sym "$i" name ".klp.sym.vmlinux.$s495,0"
	check 1 bad.ko
	found <<EOF
bad.ko|error|klp-symbol-too-long|.symtab entry $i|.klp.sym.vmlinux.$s495,0|none
bad.ko|errors=1|warnings=0
EOF
	assert_grep "symbol '\\.klp\\.sym\\.vmlinux\\.s+,0': the name is 514 bytes, longer than 511 \\(KSYM_NAME_LEN - 1\\) \\[klp-symbol-too-long\\]" "$t.err"
	rm bad.ko
	good bad.ko
	elfpoke bad.ko sym "$i" name ".klp.sym.vmlinux.$s512,0"
	check 1 bad.ko
	found <<EOF
bad.ko|error|klp-symbol-name|.symtab entry $i|.klp.sym.vmlinux.$s512,0|symbol .klp.sym.vmlinux.$s512,0 has an incorrectly formatted name
bad.ko|errors=1|warnings=0
EOF
}
run_test check_reports_klp_symbol_longer_than_kallsyms_gives_back t_sym_too_long

# klp_resolve_symbols() checks st_shndx and parses the name of the symbols
# klp relocations use, and no other; simplify_symbols() lets SHN_LIVEPATCH
# symbols be.  A broken klp symbol nothing uses is a warning that says so.
# lp_fn is used by no relocation at all.
t_sym_unused() {
	good bad.ko
	local i
	i=$(symidx bad.ko lp_fn)
	elfpoke bad.ko sym "$i" shndx 0xff20 sym "$i" name .klp.sym.vmlinux.foo
	check 0 bad.ko
	found <<EOF
bad.ko|warning|klp-symbol-unused|.symtab entry $i|.klp.sym.vmlinux.foo|none
bad.ko|errors=0|warnings=1
EOF
	assert_grep "and no klp relocation uses this one \\[klp-symbol-unused\\] \\(kernel: \"none: no klp relocation uses it, so the kernel never parses its name\"\\)\$" "$t.err"
	rm bad.ko
	good bad.ko
	elfpoke bad.ko sym "$i" name .klp.sym.vmlinux.foo,0
	check 0 bad.ko
	found <<EOF
bad.ko|warning|klp-symbol-unused|.symtab entry $i|.klp.sym.vmlinux.foo,0|none
bad.ko|errors=0|warnings=1
EOF
	assert_grep "its section index is [0-9]+, not SHN_LIVEPATCH \\(0xff20\\), and no klp relocation uses it \\[klp-symbol-unused\\] \\(kernel: \"none: no klp relocation uses it, so the kernel takes it for an ordinary symbol of its section\"\\)\$" "$t.err"
	# Weak and undefined: the loader leaves it 0 and says nothing.
	elfpoke bad.ko sym "$i" shndx 0 sym "$i" bind 2
	check 0 bad.ko
	found <<EOF
bad.ko|warning|klp-symbol-unused|.symtab entry $i|.klp.sym.vmlinux.foo,0|none
bad.ko|errors=0|warnings=1
EOF
	assert_grep "\\(kernel: \"none: no klp relocation uses it, and the module loader leaves a weak undefined symbol it cannot find 0\"\\)\$" "$t.err"
}
run_test check_warns_klp_symbol_that_no_klp_relocation_uses t_sym_unused

# A weak undefined klp symbol a klp relocation uses: simplify_symbols()
# lets it be, and klp_resolve_symbols() refuses it.
t_sym_weak_undef() {
	good bad.ko
	local i l
	i=$(symidx bad.ko .klp.sym.vmlinux.vm_fn,0)
	l=$(loc bad.ko .klp.sym.vmlinux.vm_fn,0)
	elfpoke bad.ko sym "$i" shndx 0 sym "$i" bind 2
	check 1 bad.ko
	found <<EOF
bad.ko|error|klp-symbol-undefined|.symtab entry $i|.klp.sym.vmlinux.vm_fn,0|symbol .klp.sym.vmlinux.vm_fn,0 is not marked as a livepatch symbol
bad.ko|error|klp-symbol-undefined|$l|.klp.sym.vmlinux.vm_fn,0|symbol .klp.sym.vmlinux.vm_fn,0 is not marked as a livepatch symbol
bad.ko|errors=2|warnings=0
EOF
}
run_test check_reports_weak_undefined_klp_symbol_as_livepatch_refuses_it t_sym_weak_undef

# .klp.rela.klp_target..text's relocation made to use the vmlinux symbol.
t_vmlinux_from_module() {
	good bad.ko
	local i m l
	i=$(symidx bad.ko .klp.sym.vmlinux.vm_fn,0)
	m=$(secidx bad.ko .klp.rela.klp_target..text)
	elfpoke bad.ko rela "$m" 0 sym "$i"
	l=$(loc bad.ko .klp.sym.vmlinux.vm_fn,0 2)
	check 1 bad.ko
	found <<EOF
bad.ko|error|vmlinux-from-module-section|$l|.klp.sym.vmlinux.vm_fn,0|invalid access to vmlinux symbol 'vm_fn' from module-specific livepatch relocation section
bad.ko|errors=1|warnings=0
EOF
}
run_test check_reports_vmlinux_symbol_in_a_module_specific_section t_vmlinux_from_module

# table_target NEWNAME [CFLAGS...]: a converted module whose table section (holding a
# module-specific klp relocation) is renamed NEWNAME; $l is the location.
table_target() {
	local new=$1
	shift
	good bad.ko -DTABLE_SECTION='".data.lp_table"' "$@"
	s=$(secidx bad.ko .data.lp_table)
	elfpoke bad.ko shdr "$s" name "$new"
	l=$(loc bad.ko .klp.sym.klp_target.counter,0 '$')
	case $l in "[$s] $new+0x0 (lp_table+0x0)") ;; *) fail "unexpected location $l" ;; esac
}

t_special() {
	table_target __jump_table
	check 1 bad.ko
	found <<EOF
bad.ko|error|special-section|$l|.klp.sym.klp_target.counter,0|none
bad.ko|errors=1|warnings=0
EOF
}
run_test check_reports_module_specific_relocation_in_special_section t_special

t_init() {
	table_target .init.data
	check 1 bad.ko
	found <<EOF
bad.ko|error|init-section|$l|.klp.sym.klp_target.counter,0|none
bad.ko|errors=1|warnings=0
EOF
}
run_test check_reports_module_specific_relocation_in_init_section t_init

# .data..percpu: the loader clears its SHF_ALLOC, so nothing relocates it.
t_lost() {
	table_target .data..percpu
	check 1 bad.ko
	found <<EOF
bad.ko|error|unrelocated-section|$l|.klp.sym.klp_target.counter,0|none
bad.ko|errors=1|warnings=0
EOF
}
run_test check_reports_klp_relocation_in_a_section_the_loader_never_relocates t_lost

# The vmlinux relocation of .text made R_X86_64_GOTPCREL (9).
t_reloc_type() {
	need_x86_64
	good bad.ko
	local l
	s=$(secidx bad.ko .klp.rela.vmlinux..text)
	elfpoke bad.ko rela "$s" 0 type 9
	l=$(loc bad.ko .klp.sym.vmlinux.vm_fn,0)
	check 1 bad.ko
	found <<EOF
bad.ko|error|relocation-type|$l|.klp.sym.vmlinux.vm_fn,0|...: Unknown rela relocation: 9
bad.ko|errors=1|warnings=0
EOF
	assert_grep "relocation type R_X86_64_GOTPCREL is not supported" "$t.err"
}
run_test check_reports_relocation_type_the_kernel_does_not_apply t_reloc_type

# Nonzero bytes at the vmlinux relocation's place in .text.
t_nonzero() {
	need_x86_64
	good bad.ko
	local l off tidx
	read -r off tidx _ _ _ _ <<<"$(reloc bad.ko .klp.sym.vmlinux.vm_fn,0)"
	l=$(loc bad.ko .klp.sym.vmlinux.vm_fn,0)
	elfpoke bad.ko raw $(($(secoff bad.ko "$tidx") + off)) 01020304
	check 1 bad.ko
	# arch/x86/kernel/module.c, with the type as a number: 6.12 says
	# "Invalid relocation target", 6.1 "Skipping invalid relocation target".
	found <<EOF
bad.ko|error|nonzero-location|$l|.klp.sym.vmlinux.vm_fn,0|x86/modules: Invalid relocation target, existing value is nonzero for type 4, loc ..., val ... (6.1: Skipping invalid relocation target, ...)
bad.ko|errors=1|warnings=0
EOF
}
run_test check_reports_nonzero_location_of_a_klp_relocation t_nonzero

# The ordinary .rela.text relocation to printk pointed at a klp symbol.
t_ordinary() {
	good bad.ko
	local i e l rs
	i=$(symidx bad.ko .klp.sym.vmlinux.vm_fn,0)
	read -r _ _ _ rs _ e <<<"$(reloc bad.ko printk)"
	elfpoke bad.ko rela "$rs" "$e" sym "$i"
	l=$(loc bad.ko .klp.sym.vmlinux.vm_fn,0)
	check 1 bad.ko
	found <<EOF
bad.ko|error|ordinary-relocation-to-klp-symbol|$l|.klp.sym.vmlinux.vm_fn,0|none
bad.ko|errors=1|warnings=0
EOF
}
run_test check_reports_ordinary_relocation_against_a_klp_symbol t_ordinary

t_leftover() {
	lp raw.ko
	local a b
	a=$(symidx raw.ko .klp.sym.rela.vmlinux.vmlinux.vm_fn.0)
	b=$(symidx raw.ko .klp.sym.rela.klp_target.klp_target.counter.0)
	check 1 raw.ko

	found <<EOF
raw.ko|error|prefixed-symbol-left|.symtab entry $a|.klp.sym.rela.vmlinux.vmlinux.vm_fn.0|...: Unknown symbol .klp.sym.rela.vmlinux.vmlinux.vm_fn.0 (err -2)
raw.ko|error|prefixed-symbol-left|.symtab entry $b|.klp.sym.rela.klp_target.klp_target.counter.0|...: Unknown symbol .klp.sym.rela.klp_target.klp_target.counter.0 (err -2)
raw.ko|errors=2|warnings=0
EOF
}
run_test check_reports_prefixed_symbols_left_in_an_unconverted_module t_leftover

# symvers FILE SYM...: a Module.symvers exporting SYM... from vmlinux.
symvers() {
	local f=$1 sym
	shift
	: >"$f"
	for sym in "$@"; do
		printf '0x%08x\t%s\tvmlinux\tEXPORT_SYMBOL\t\n' 0x1234abcd "$sym" >>"$f"
	done
}

t_not_exported() {
	good mod.ko
	local l
	l=$(loc mod.ko printk)
	symvers without.symvers memcpy
	symvers with.symvers memcpy printk
	check 1 --symvers without.symvers mod.ko
	found <<EOF
mod.ko|error|symbol-not-exported|$l|printk|...: Unknown symbol printk (err -2)
mod.ko|errors=1|warnings=0
EOF
	check 0 --symvers with.symvers mod.ko
	found <<EOF
mod.ko|errors=0|warnings=0
EOF
}
run_test check_reports_symbol_not_exported_by_the_symvers_given t_not_exported

# A klp relocation against an ordinary undefined symbol: simplify_symbols()
# resolves an exported one, then klp_resolve_symbols() refuses it ("symbol
# printk is not marked as a livepatch symbol"); one nothing exports stops
# the load in simplify_symbols() ("Unknown symbol").  Without --symvers,
# both; symbol 0, which simplify_symbols() skips, is livepatch's to refuse.
t_klp_reloc_undef() {
	good bad.ko
	local p l l2
	s=$(secidx bad.ko .klp.rela.vmlinux..text)
	p=$(symidx bad.ko printk)
	l=$(loc bad.ko .klp.sym.vmlinux.vm_fn,0)
	elfpoke bad.ko rela "$s" 0 sym "$p"
	l2=$(loc bad.ko printk)
	check 1 bad.ko
	found <<EOF
bad.ko|error|klp-symbol-undefined|$l|printk|symbol printk is not marked as a livepatch symbol (or, if nothing exports it: ...: Unknown symbol printk (err -2))
bad.ko|errors=1|warnings=0
EOF
	symvers with.symvers printk
	check 1 --symvers with.symvers bad.ko
	found <<EOF
bad.ko|error|klp-symbol-undefined|$l|printk|symbol printk is not marked as a livepatch symbol
bad.ko|errors=1|warnings=0
EOF
	symvers without.symvers memcpy
	check 1 --symvers without.symvers bad.ko
	found <<EOF
bad.ko|error|klp-symbol-undefined|$l|printk|...: Unknown symbol printk (err -2)
bad.ko|error|symbol-not-exported|$l2|printk|...: Unknown symbol printk (err -2)
bad.ko|errors=2|warnings=0
EOF
	rm bad.ko with.symvers without.symvers
	good bad.ko
	elfpoke bad.ko rela "$s" 0 sym 0
	check 1 bad.ko
	found <<EOF
bad.ko|error|klp-symbol-undefined|$l||symbol  is not marked as a livepatch symbol
bad.ko|errors=1|warnings=0
EOF
	assert_grep ": symbol index 0: a klp relocation must reference" "$t.err"
}
run_test check_reports_klp_relocation_to_an_ordinary_undefined_symbol_as_the_kernel_would t_klp_reloc_undef

# A const pointer in .rodata to a vmlinux variable: the converter makes a
# klp section for .rodata, and --check warns (exit 0).
t_read_only() {
	lp raw.ko -DWITH_RO
	local ro l
	ro=$(secidx raw.ko .rodata)
	l=$(loc raw.ko .klp.sym.rela.vmlinux.vmlinux.vm_var.0)
	case $l in "[$ro] .rodata+0x0 (lp_ro_ptr+0x0)") ;; *) fail "lp_ro_ptr is not at $l" ;; esac
	run_tool 0 -o ro.ko raw.ko
	# The converter warns too (the straight path leaves such a module
	# to the model, whose check of its result says it).
	assert_grep "^$me: warning: raw\\.ko: .*\\[read-only-target\\]" "$t.err"
	rm raw.ko
	s=$(secidx ro.ko .klp.rela.vmlinux..rodata)
	check 0 ro.ko
	found <<EOF
ro.ko|warning|read-only-target|[$s] .klp.rela.vmlinux..rodata||none
ro.ko|errors=0|warnings=1
EOF
	assert_grep "^$me: warning: ro\\.ko: " "$t.err"
}
run_test check_warns_read_only_target_and_exits_0 t_read_only

# An object a typo away from vmlinux builds, converts and loads, and its
# relocations wait for a module that never comes: a warning (exit 0),
# once per name, from --check and from the converter.  Other names, and
# names farther from vmlinux, say nothing.
t_like_vmlinux() {
	local obj i want
	for obj in vmlinuz VMLINUX vmlnux linux klp_target vmlinux_ab ext4; do
		rm -f bad.ko
		good bad.ko
		i=$(symidx bad.ko .klp.sym.vmlinux.vm_fn,0)
		elfpoke bad.ko sym "$i" name ".klp.sym.$obj.vm_fn,0"
		check 0 bad.ko
		case $obj in
		vmlinuz | VMLINUX | vmlnux | linux)
			want="bad.ko|warning|object-like-vmlinux|.symtab entry $i|.klp.sym.$obj.vm_fn,0|none
bad.ko|errors=0|warnings=1" ;;
		*)
			want="bad.ko|errors=0|warnings=0" ;;
		esac
		found <<<"$want"
	done
	# The converter: one warning for the object, though both the
	# symbol and its section carry it; exit 0, converted.
	sed 's/KLP_RELOC_SYMBOL(vmlinux, vm_fn, 0)/KLP_RELOC_SYMBOL(vmlinuz, vm_fn, 0)/' \
		"$checkdir/lp.c" >z.c
	grep -q vmlinuz z.c || fail "fixture: no KLP_RELOC_SYMBOL(vmlinux, vm_fn, 0) in lp.c"
	build_kmod z.ko z.c
	run_tool 0 z.ko
	assert_lines 1 "$t.err"
	assert_grep "^$me: warning: z\\.ko: \\.symtab entry [0-9]+: symbol '\\.klp\\.sym\\.vmlinuz\\.vm_fn,0': object 'vmlinuz' is not vmlinux, only close to it; .*did you mean vmlinux\\? \\[object-like-vmlinux\\]" "$t.err"
	run_tool 0 -q z.ko
	assert_empty "$t.err"
}
run_test check_warns_object_name_close_to_vmlinux t_like_vmlinux

# The ordinary .rela.text turned into SHT_REL.
t_rel() {
	good bad.ko
	local text
	text=$(secidx bad.ko .text)
	s=$(secidx bad.ko .rela.text)
	elfpoke bad.ko rela2rel "$s"
	check 1 bad.ko
	found <<EOF
bad.ko|error|rel-relocations|[$text] .text+0x0 (lp_fn+0x0)||module ...: REL relocation unsupported
bad.ko|errors=1|warnings=0
EOF
	assert_grep "REL relocation section \\[$s\\] \\.rela\\.text" "$t.err"
}
run_test check_reports_rel_relocations t_rel

# Rules beyond the issue's list that a poke can reach.
t_reloc_offset() {
	good bad.ko
	local size
	s=$(secidx bad.ko .klp.rela.vmlinux..text)
	size=$(dump -S bad.ko | awk '$2 == ".text" { sub("size=", "", $NF); print $NF }')
	elfpoke bad.ko rela "$s" 0 offset "$((size - 2))"
	check 1 bad.ko
	found <<EOF
bad.ko|error|relocation-offset|$(loc bad.ko .klp.sym.vmlinux.vm_fn,0)|.klp.sym.vmlinux.vm_fn,0|none
bad.ko|errors=1|warnings=0
EOF
}
run_test check_reports_relocation_offset_past_the_section t_reloc_offset

t_sym_index() {
	good bad.ko
	local l text
	s=$(secidx bad.ko .klp.rela.vmlinux..text)
	l=$(loc bad.ko .klp.sym.vmlinux.vm_fn,0)
	elfpoke bad.ko rela "$s" 0 sym 9999
	check 1 bad.ko
	found <<EOF
bad.ko|error|relocation-symbol-index|$l||none
bad.ko|errors=1|warnings=0
EOF
}
run_test check_reports_relocation_symbol_index_past_symtab t_sym_index

# A machine without livepatch: EM_SPARCV9 (43).
t_arch() {
	good bad.ko
	elfpoke bad.ko ehdr machine 43
	check 1 bad.ko
	found <<EOF
bad.ko|error|architecture|||no livepatch support on this architecture
bad.ko|errors=1|warnings=0
EOF
}
run_test check_reports_architecture_without_livepatch t_arch


# cross PREFIX: skip a test whose cross compiler is not installed.
cross() {
	if ! command -v "${1}gcc" >/dev/null || ! command -v "${1}ld" >/dev/null; then
		skip "${1}gcc or ${1}ld not installed"
	fi
}

# riscv64: a PCREL_HI20 in a klp section, whose LO12 partner the kernel
# looks for in the same relocation section (poked from a call).
t_reloc_pair() {
	cross riscv64-linux-gnu-
	CROSS=riscv64-linux-gnu- good bad.ko -DCALLS_ONLY -mcmodel=medany -mno-relax
	local l
	s=$(secidx bad.ko .klp.rela.vmlinux..text)
	l=$(loc bad.ko .klp.sym.vmlinux.vm_fn,0)
	elfpoke bad.ko rela "$s" 0 type 23
	check 1 bad.ko
	found <<EOF2
bad.ko|error|relocation-pair|$l|.klp.sym.vmlinux.vm_fn,0|Can not find HI20 relocation information
bad.ko|errors=1|warnings=0
EOF2
}
run_test "check_reports_relocation_pair_of_a_klp_PCREL_HI20[riscv64]" t_reloc_pair

# cross_type PREFIX TYPE KTEXT CFLAGS...: the vmlinux relocation of a
# converted cross module made TYPE is reported with the kernel text KTEXT
# (the message of that architecture's apply_relocate_add()); $l is its
# location.
cross_type() {
	local cross=$1 type=$2 ktext=$3
	shift 3
	cross "$cross"
	CROSS=$cross good bad.ko -DCALLS_ONLY "$@"
	s=$(secidx bad.ko .klp.rela.vmlinux..text)
	l=$(loc bad.ko .klp.sym.vmlinux.vm_fn,0)
	elfpoke bad.ko rela "$s" 0 type "$type"
	check 1 bad.ko
	# A "none: ..." text is "none" in the findings: the whole of it here.
	assert_grep " \\[relocation-type\\] \\(kernel: \"$(re "$ktext")\"\\)\$" "$t.err"
	found <<EOF
bad.ko|error|relocation-type|$l|.klp.sym.vmlinux.vm_fn,0|$(case $ktext in none:*) echo none ;; *) echo "$ktext" ;; esac)
bad.ko|errors=1|warnings=0
EOF
}

# The per-architecture rules on each cross architecture: a relocation
# type its apply_relocate_add() lacks, and a special section of its own
# module_finalize() holding a module-specific klp relocation.
# t_cross_rules PREFIX TYPE TYPENAME KTEXT SPECIAL CFLAGS...
t_cross_rules() {
	local cross=$1 type=$2 tname=$3 ktext=$4 special=$5 l
	shift 5
	cross_type "$cross" "$type" "$ktext" "$@"
	assert_grep "relocation type $tname is not supported by the kernel's apply_relocate_add\\(\\) on " "$t.err"
	rm bad.ko
	CROSS=$cross table_target "$special" -DCALLS_ONLY "$@"
	check 1 bad.ko
	found <<EOF
bad.ko|error|special-section|$l|.klp.sym.klp_target.counter,0|none
bad.ko|errors=1|warnings=0
EOF
}
run_test "check_reports_arch_relocation_type_and_special_section[aarch64]" t_cross_rules \
	aarch64-linux-gnu- 311 R_AARCH64_ADR_GOT_PAGE "module ...: unsupported RELA relocation: 311" \
	.altinstructions -mcmodel=small
run_test "check_reports_arch_relocation_type_and_special_section[s390x]" t_cross_rules \
	s390x-linux-gnu- 41 R_390_TLS_GD64 "module ...: unknown relocation: 41" \
	.s390_indirect_jump -fPIC
run_test "check_reports_arch_relocation_type_and_special_section[powerpc64le]" t_cross_rules \
	powerpc64le-linux-gnu- 14 R_PPC64_GOT16 "...: Unknown ADD relocation: 14" \
	__ftr_fixup -mcmodel=medium
run_test "check_reports_arch_relocation_type_and_special_section[riscv64]" t_cross_rules \
	riscv64-linux-gnu- 3 R_RISCV_RELATIVE "...: Unknown relocation type 3" \
	.alternative -mcmodel=medany -mno-relax
# Types with a case of their own that fails: s390's apply_rela() returns
# -ENOEXEC for R_390_COPY without a message; riscv's R_RISCV_ALIGN handler
# prints its own.
run_test "check_reports_relocation_type_with_the_kernels_own_words[s390x_copy]" cross_type \
	s390x-linux-gnu- 9 "none: apply_rela() prints nothing and fails the load with -ENOEXEC" -fPIC
run_test "check_reports_relocation_type_with_the_kernels_own_words[riscv64_align]" cross_type \
	riscv64-linux-gnu- 43 "...: The unexpected relocation type 'R_RISCV_ALIGN' from PC = ..." \
	-mcmodel=medany -mno-relax

# ppc64's loader drops the leading '.' of every undefined symbol's name
# (dedotify()) before simplify_symbols() looks it up and complains.
t_leftover_ppc64() {
	cross powerpc64le-linux-gnu-
	CROSS=powerpc64le-linux-gnu- lp raw.ko -mcmodel=medium
	local a b
	a=$(symidx raw.ko .klp.sym.rela.vmlinux.vmlinux.vm_fn.0)
	b=$(symidx raw.ko .klp.sym.rela.klp_target.klp_target.counter.0)
	check 1 raw.ko
	found <<EOF
raw.ko|error|prefixed-symbol-left|.symtab entry $a|.klp.sym.rela.vmlinux.vmlinux.vm_fn.0|...: Unknown symbol klp.sym.rela.vmlinux.vmlinux.vm_fn.0 (err -2)
raw.ko|error|prefixed-symbol-left|.symtab entry $b|.klp.sym.rela.klp_target.klp_target.counter.0|...: Unknown symbol klp.sym.rela.klp_target.klp_target.counter.0 (err -2)
raw.ko|errors=2|warnings=0
EOF
}
run_test "check_reports_prefixed_symbols_left_as_the_loader_names_them[powerpc64le]" t_leftover_ppc64

# --- 2. good modules pass clean -------------------------------------------------

# t_clean PREFIX CFLAGS...: every variant of lp.c the converter accepts
# on this architecture, converted, passes --check with no finding, one by
# one and all in one run, and the JSON (python3 -m json.tool) says 0.
t_clean() {
	local cross=$1 v n=0 files=() want=
	local variants=("" -DCALLS_ONLY -DTABLE_SECTION='".data.lp_table"')
	shift
	[ -z "$cross" ] || cross "$cross"
	case $cross in riscv64-*)
		variants=(-DCALLS_ONLY "-DCALLS_ONLY -DTABLE_SECTION=\".data.lp_table\"")
		;;
	esac
	for v in "${variants[@]}"; do
		n=$((n + 1))
		# shellcheck disable=SC2086 # $v is zero, one or two flags
		CROSS=$cross good "m$n.ko" $v "$@"
		[ "$(dump -S "m$n.ko" | grep -c ' \.klp\.rela\.')" -ge 2 ] ||
			fail "m$n.ko ($v) has fewer than 2 klp sections"
		check 0 "m$n.ko"
		compare "findings of m$n.ko ($v)" "$t.found" <<<"m$n.ko|errors=0|warnings=0"
		files+=("m$n.ko")
		want+="m$n.ko|errors=0|warnings=0"$'\n'
	done
	check 0 "${files[@]}"
	compare findings "$t.found" <<<"${want%$'\n'}"
	"$python" -m json.tool "$t.json" >"$t.pretty" || fail "python3 -m json.tool rejects the JSON"
	[ "$(grep -c '"errors": 0,' "$t.pretty")" = "${#files[@]}" ] ||
		fail "json.tool does not show errors 0 for each of ${#files[@]} files"
}
run_test "check_passes_every_converted_module_clean[x86_64]" t_clean ""
run_test "check_passes_every_converted_module_clean[aarch64]" t_clean aarch64-linux-gnu- \
	-mcmodel=small
run_test "check_passes_every_converted_module_clean[s390x]" t_clean s390x-linux-gnu- -fPIC
run_test "check_passes_every_converted_module_clean[powerpc64le]" t_clean powerpc64le-linux-gnu- \
	-mcmodel=medium
run_test "check_passes_every_converted_module_clean[riscv64]" t_clean riscv64-linux-gnu- \
	-mcmodel=medany -mno-relax

# What other tools write is as good: objtool's klp post-link makes its klp
# symbols STB_WEAK (modpost ignores weak undefined symbols), and a klp
# section without SHF_INFO_LINK loads the same.
t_clean_other_tools() {
	good m.ko
	elfpoke m.ko \
		sym "$(symidx m.ko .klp.sym.vmlinux.vm_fn,0)" bind 2 \
		sym "$(symidx m.ko .klp.sym.klp_target.counter,0)" bind 2 \
		shdr "$(secidx m.ko .klp.rela.vmlinux..text)" flags 0x100002 \
		shdr "$(secidx m.ko .klp.rela.klp_target..text)" flags 0x100002
	dump -s m.ko | grep -c ' WEAK .*shndx=0xff20$' | grep -qx 2 || fail "klp symbols not weak"
	check 0 m.ko
	found <<<"m.ko|errors=0|warnings=0"
}
run_test check_passes_weak_klp_symbols_and_sections_without_SHF_INFO_LINK t_clean_other_tools

# --- 3. real Debian kernel modules ----------------------------------------------

# The modules taken from a linux-image package: a few of every kind (a
# file system, a driver, a library, networking, crypto).
debian_picks=(
	kernel/fs/fat/fat.ko kernel/fs/fat/vfat.ko kernel/lib/crc-itu-t.ko
	kernel/drivers/net/dummy.ko kernel/net/802/stp.ko kernel/crypto/ccm.ko
)

# fetch_debian_modules: unless cached, download the newest linux-image-6.1
# package with apt-get (tests/kernel/lib.sh picks the name), keep only the
# modules of $debian_picks under $KLP_CACHE/check-modules/KREL/, drop the
# package.  A lock keeps the sanitizer rerun from fetching at the same time.
fetch_debian_modules() {
	local dest=$KLP_CACHE/check-modules image='' krel tmp fd p rc=0
	if ! mkdir -p "$dest" 2>/dev/null || ! { exec {fd}>>"$dest/.lock"; } 2>/dev/null; then
		echo "cannot write $dest" >"$t.fetch"
		return 1
	fi
	flock "$fd"
	if ! find "$dest" -name .complete | grep -q .; then
		if [ -f "$srcdir/kernel/lib.sh" ]; then
			# shellcheck source=kernel/lib.sh
			. "$srcdir/kernel/lib.sh"
			image=$(klp_newest_image 6.1)
		fi
		krel=${image#linux-image-}
		tmp=$(mktemp -d "$dest/.fetch.XXXXXX")
		if [ -z "$image" ]; then
			echo "no linux-image-6.1 package in apt's lists" >"$t.fetch"
			rc=1
		elif ! (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$image") >"$t.fetch" 2>&1; then
			rc=1
		else
			mkdir -p "$tmp/x"
			for p in "${debian_picks[@]}"; do
				echo "./lib/modules/$krel/$p*"
			done >"$tmp/list"
			dpkg-deb --fsys-tarfile "$tmp"/*.deb |
				tar -x -C "$tmp/x" --wildcards -T "$tmp/list" >>"$t.fetch" 2>&1 || rc=1
			if [ "$rc" = 0 ]; then
				rm -rf "${dest:?}/$krel"
				mv "$tmp/x/lib/modules/$krel" "$dest/$krel" && touch "$dest/$krel/.complete" || rc=1
			fi
		fi
		rm -rf "$tmp"
	fi
	exec {fd}>&-
	return "$rc"
}

# debian_modules: copy the modules of a Debian kernel into the test
# directory, uncompressed, as NAME.ko; print their names.  Any kernel the
# cache holds with its modules unpacked will do, else the package is
# fetched; skip the test when neither works.
debian_modules() {
	local f n=0 list
	list=$(find "$KLP_CACHE" -path '*/kernel/*' \( -name '*.ko' -o -name '*.ko.xz' \) 2>/dev/null |
		grep -E "/($(printf '%s|' "${debian_picks[@]##*/}" | sed 's/\./\\./g; s/|$//'))(\\.xz)?\$" | sort)
	if [ -z "$list" ]; then
		fetch_debian_modules ||
			skip "no Debian kernel modules cached and apt-get download failed: $(tail -n1 "$t.fetch" 2>/dev/null)"
		list=$(find "$KLP_CACHE/check-modules" -path '*/kernel/*' \( -name '*.ko' -o -name '*.ko.xz' \) | sort)
	fi
	[ -n "$list" ] || skip "no Debian kernel modules"
	while read -r f; do
		n=$((n + 1))
		case $f in
		*.xz) xz -dc "$f" >"d$n.ko" || fail "xz -dc $f" ;;
		*) cp "$f" "d$n.ko" ;;
		esac
		echo "$f" >"d$n.ko.from"
	done <<<"$(echo "$list" | head -n 6)"
}

# Not livepatches: each gives exactly one finding, not-livepatch, exit 1;
# in one run, the JSON lists every file, in order, with that finding.
t_debian() {
	local f want=
	debian_modules
	for f in d*.ko; do
		readelf -h "$f" | grep -q 'REL (Relocatable file)' || fail "$f ($(cat "$f.from")) is not a module"
		check 1 "$f"
		compare "findings of $(cat "$f.from")" "$t.found" <<EOF2
$f|error|not-livepatch|||module ... is not marked as a livepatch module
$f|errors=1|warnings=0
EOF2
		want+="$f|error|not-livepatch|||module ... is not marked as a livepatch module"$'\n'
		want+="$f|errors=1|warnings=0"$'\n'
	done
	check 1 d*.ko
	compare findings "$t.found" <<<"${want%$'\n'}"
	"$python" -m json.tool "$t.json" >/dev/null || fail "python3 -m json.tool rejects the JSON"
}
run_test check_reports_only_not_livepatch_for_real_debian_modules t_debian

# --- 4. exit status ------------------------------------------------------------

# 0 for a clean module, 0 when there are only warnings, 1 for an error;
# with several files, 1 when any has an error.
t_exit_findings() {
	good good.ko
	good ro.ko -DWITH_RO
	good bad.ko
	elfpoke bad.ko sym "$(symidx bad.ko .klp.sym.vmlinux.vm_fn,0)" name .klp.sym.vmlinux.vm_fn
	check 0 good.ko
	found <<<"good.ko|errors=0|warnings=0"
	check 0 ro.ko
	assert_grep '^ro\.ko\|errors=0\|warnings=1$' "$t.found"
	check 0 good.ko ro.ko
	check 1 bad.ko
	assert_grep '^bad\.ko\|errors=1\|warnings=0$' "$t.found"
	check 1 good.ko bad.ko ro.ko
	compare "per-file counts" <(grep '|errors=' "$t.found") <<EOF2
good.ko|errors=0|warnings=0
bad.ko|errors=1|warnings=0
ro.ko|errors=0|warnings=1
EOF2
}
run_test check_exits_0_when_clean_0_with_only_warnings_1_with_errors t_exit_findings

# Input that is not a module at all: exit 1, one "malformed" finding per
# file, listed in the JSON like any other, and the other files still
# checked.
t_exit_malformed() {
	good good.ko
	printf 'not an ELF file\n' >text.ko
	: >empty.ko
	head -c 100 good.ko >short.ko
	check 1 text.ko empty.ko short.ko good.ko missing.ko
	found <<EOF2
text.ko|error|malformed|||
text.ko|errors=1|warnings=0
empty.ko|error|malformed|||
empty.ko|errors=1|warnings=0
short.ko|error|malformed|||
short.ko|errors=1|warnings=0
good.ko|errors=0|warnings=0
missing.ko|error|malformed|||
missing.ko|errors=1|warnings=0
EOF2
	assert_grep "^$me: error: text\\.ko: not an ELF file\$" "$t.err"
}
run_test check_exits_1_with_a_malformed_finding_for_non_ELF_input t_exit_malformed

# File names travel into the JSON as they are: quotes, backslashes,
# control characters escaped, UTF-8 kept (the same name back from a JSON
# parser), and the text format prints the same name.
t_json_names() {
	local a b c
	a='q"uote\back.ko' b=$'tab\tname.ko' c=$'caf\xc3\xa9.ko'
	good "$a"
	printf 'text\n' >"$b"
	cp "$a" "$c"
	check 1 "$a" "$b" "$c"
	compare "findings" "$t.found" <<EOF2
$a|errors=0|warnings=0
$b|error|malformed|||
$b|errors=1|warnings=0
$c|errors=0|warnings=0
EOF2
}
run_test check_json_keeps_file_names_with_quotes_tabs_and_utf8 t_json_names

# usage ARGS...: exit 2, a message on stderr, nothing on stdout, nothing
# written.
usage() {
	save good.ko
	run_tool 2 "$@"
	assert_empty "$t.out"
	[ -s "$t.err" ] || fail "no message for $*"
	assert_unchanged good.ko
	assert_no_temp
}

t_exit_usage() {
	good good.ko
	usage --check -o x good.ko
	usage --check -n good.ko
	usage --check --format=xml good.ko
	usage --format=json good.ko
	usage --format=xml good.ko
	usage --check
	usage --check --format=json
}
run_test check_exits_2_for_usage_errors t_exit_usage

# --- 5. the converter and the checker agree -----------------------------------

# rules FILE: the rule ids of the error and warning lines in FILE, sorted
# and unique, one per line ("(none)" for a line that names no rule).
rules() {
	grep -E "^$me: (error|warning): " "$1" |
		sed -E 's/^.* \[([a-z0-9-]+)\]( \(kernel: ".*"\))?$/\1/; t; s/.*/(none)/' |
		sort -u
}

# refuses IN [OPTIONS...]: the converter refuses IN (exit 1, IN unchanged,
# nothing written); its rule ids go to $t.conv, its lines to $t.conv.err.
refuses() {
	local in=$1
	shift
	save "$in"
	run_tool 1 "$@" "$in"
	assert_unchanged "$in"
	assert_no_temp
	cp "$t.err" "$t.conv.err"
	rules "$t.err" >"$t.conv"
}

# agree RULE: the converter's refusal ($t.conv) and --check on the
# hand-made equivalent (the last check) name RULE, and only RULE.
agree() {
	rules "$t.err" >"$t.chk"
	compare "rules of the converter's refusal" "$t.conv" <<<"$1"
	compare "rules of --check on the hand-made equivalent" "$t.chk" <<<"$1"
}

# location RULE: the location of the finding of RULE in the last text
# output FILE (stderr of a run).
location() {
	grep -F "[$1]" "$2" | head -n1 | sed -E "s/^$me: [a-z]+: [^:]+: (.*): symbol '.*$/\\1/"
}

# A module-specific reference from a table in section SEC: the converter
# refuses it; converted from .data.lp_table and renamed SEC afterwards, it
# is what --check finds; both at the same place.
t_agree_table() {
	local sec=$1 rule=$2
	lp in.ko -DTABLE_SECTION="\"$sec\""
	refuses in.ko
	table_target "$sec"
	check 1 bad.ko
	agree "$rule"
	[ "$(location "$rule" "$t.conv.err")" = "$(location "$rule" "$t.err")" ] ||
		fail "locations differ: '$(location "$rule" "$t.conv.err")' vs '$(location "$rule" "$t.err")'"
	[ "$(location "$rule" "$t.err")" = "$l" ] || fail "location is not $l"
}
run_test "converter_and_check_agree[special-section]" t_agree_table __jump_table special-section
run_test "converter_and_check_agree[init-section]" t_agree_table .init.data init-section
run_test "converter_and_check_agree[unrelocated-section]" t_agree_table .data..percpu unrelocated-section

# KLP_RELOC_SYMBOL_POS(klp_target, vmlinux, ...) vs a relocation of the
# module's klp section pointed at a vmlinux symbol.
t_agree_vmlinux() {
	lp in.ko -DWITH_VMLINUX_FROM_MODULE
	refuses in.ko
	good bad.ko
	elfpoke bad.ko rela "$(secidx bad.ko .klp.rela.klp_target..text)" 0 \
		sym "$(symidx bad.ko .klp.sym.vmlinux.vm_fn,0)"
	check 1 bad.ko
	agree vmlinux-from-module-section
}
run_test "converter_and_check_agree[vmlinux-from-module-section]" t_agree_vmlinux

# -fPIC on x86_64 loads the module's variable through the GOT
# (R_X86_64_REX_GOTPCRELX), which the kernel does not apply; the same type
# poked into a converted module.
t_agree_type() {
	need_x86_64
	LP_OWN_MODEL=1 lp in.ko -fPIC
	dump -r in.ko | grep -q 'R_X86_64_REX_GOTPCRELX .*counter' || fail "no GOTPCRELX in in.ko"
	refuses in.ko
	assert_grep "R_X86_64_REX_GOTPCRELX is not supported" "$t.conv.err"
	good bad.ko
	elfpoke bad.ko rela "$(secidx bad.ko .klp.rela.klp_target..text)" 0 type 42
	check 1 bad.ko
	agree relocation-type
	assert_grep "R_X86_64_REX_GOTPCRELX is not supported" "$t.err"
}
run_test "converter_and_check_agree[relocation-type]" t_agree_type

# `.reloc` over a nonzero word vs nonzero bytes poked under a converted
# module's klp relocation.
t_agree_nonzero() {
	need_x86_64
	lp in.ko -DWITH_NONZERO
	refuses in.ko
	good bad.ko
	local off tidx
	read -r off tidx _ _ _ _ <<<"$(reloc bad.ko .klp.sym.vmlinux.vm_fn,0)"
	elfpoke bad.ko raw $(($(secoff bad.ko "$tidx") + off)) ff
	check 1 bad.ko
	agree nonzero-location
}
run_test "converter_and_check_agree[nonzero-location]" t_agree_nonzero

t_agree_modinfo() {
	lp in.ko -DNO_LIVEPATCH
	refuses in.ko
	good bad.ko
	unmark bad.ko
	check 1 bad.ko
	agree livepatch-modinfo
}
run_test "converter_and_check_agree[livepatch-modinfo]" t_agree_modinfo

t_agree_rel() {
	lp in.ko
	elfpoke in.ko rela2rel .rela.text
	refuses in.ko
	good bad.ko
	elfpoke bad.ko rela2rel .rela.text
	check 1 bad.ko
	agree rel-relocations
}
run_test "converter_and_check_agree[rel-relocations]" t_agree_rel

t_agree_exports() {
	symvers vmlinux.symvers memcpy
	lp in.ko
	refuses in.ko --symvers vmlinux.symvers
	good bad.ko
	check 1 --symvers vmlinux.symvers bad.ko
	agree symbol-not-exported
	[ "$(location symbol-not-exported "$t.conv.err")" = "$(location symbol-not-exported "$t.err")" ] ||
		fail "locations differ"
}
run_test "converter_and_check_agree[symbol-not-exported]" t_agree_exports

# A defined symbol with a klp_reloc.h name (lp_fn renamed): the converter
# refuses it as prefixed-symbol-defined.  The kernel loads a defined symbol
# of any name, so "Unknown symbol" would be wrong; --check should name the
# same rule.
t_agree_defined() {
	good in.ko
	elfpoke in.ko sym "$(symidx in.ko lp_fn)" name .klp.sym.rela.vmlinux.vmlinux.lp_fn.0
	refuses in.ko
	check 1 in.ko
	agree prefixed-symbol-defined
}
run_test "converter_and_check_agree[prefixed-symbol-defined]" t_agree_defined

# An object name with '-' (kbuild spells module names with '_'): the
# converter refuses the klp_reloc.h name and --check the converted names,
# in the symbol and in the section name, with the same rule.
t_agree_dash() {
	lp in.ko
	elfpoke in.ko sym "$(symidx in.ko .klp.sym.rela.klp_target.klp_target.counter.0)" \
		name .klp.sym.rela.klp-target.klp-target.counter.0
	refuses in.ko
	good bad.ko
	elfpoke bad.ko sym "$(symidx bad.ko .klp.sym.klp_target.counter,0)" \
		name .klp.sym.klp-target.counter,0 \
		shdr "$(secidx bad.ko .klp.rela.klp_target..text)" name .klp.rela.klp-target..text
	check 1 bad.ko
	compare "rules of --check on the hand-made equivalent" <(rules "$t.err") <<EOF2
klp-object-name
EOF2
	compare "rules of the converter's refusal" "$t.conv" <<<"klp-object-name"
	assert_grep "symbol '\.klp\.sym\.klp-target\.counter,0': .* \(kernel: \"none: no loaded object has this name, so its relocations are never applied\"\)\$" "$t.err"
}
run_test "converter_and_check_agree[object-name-with-dash]" t_agree_dash

# The same symbol, used by a section the kernel applies (its own object
# name is right): klp_resolve_symbols() looks 'counter' up in object
# 'klp-target', which no module is, and the load fails (the kernel suite
# shows the message).  Through the section renamed as well (above), the
# kernel never looks.
t_objname_applied() {
	lp in.ko
	elfpoke in.ko sym "$(symidx in.ko .klp.sym.rela.klp_target.klp_target.counter.0)" \
		name .klp.sym.rela.klp_target.klp-target.counter.0
	refuses in.ko
	good bad.ko
	elfpoke bad.ko sym "$(symidx bad.ko .klp.sym.klp_target.counter,0)" \
		name .klp.sym.klp-target.counter,0
	check 1 bad.ko
	found <<EOF
bad.ko|error|klp-object-name|.symtab entry $(symidx bad.ko .klp.sym.klp-target.counter,0)|.klp.sym.klp-target.counter,0|symbol 'counter' not found in symbol table
bad.ko|errors=1|warnings=0
EOF
	agree klp-object-name
	assert_grep "\\[klp-object-name\\] \\(kernel: \"symbol 'counter' not found in symbol table\"\\)\$" "$t.conv.err"
}
run_test "converter_and_check_agree[object-name-of-an-applied-relocation]" t_objname_applied

# The same, where the symbol the converter would write does not even
# parse with the kernel's sscanf(): an empty symbol object, a ',' in the
# symbol, a position that is no number.  The kernel refuses the name
# before it looks anything up.
t_objname_unparsable() {
	local n=0 name ktext
	lp in.ko
	while IFS='|' read -r name ktext; do
		n=$((n + 1))
		cp in.ko "v$n.ko"
		elfpoke "v$n.ko" sym "$(symidx "v$n.ko" .klp.sym.rela.klp_target.klp_target.counter.0)" name "$name"
		refuses "v$n.ko"
		compare "rules of the refusal of $name" "$t.conv" <<<"klp-object-name"
		assert_grep "\\[klp-object-name\\] \\(kernel: \"$(re "$ktext")\"\\)\$" "$t.conv.err"
	done <<'EOF'
.klp.sym.rela.klp_target..counter.0|symbol .klp.sym..counter,0 has an incorrectly formatted name
.klp.sym.rela.klp_target.klp-target.a,b,0|symbol .klp.sym.klp-target.a,b,0 has an incorrectly formatted name
.klp.sym.rela.klp_target.klp-target.counter.x|symbol .klp.sym.klp-target.counter,x has an incorrectly formatted name
.klp.sym.rela.klp_target.klp-target.counter.007|symbol 'counter' not found in symbol table
EOF
	[ "$n" = 4 ] || fail "ran $n of 4 cases"
}
run_test converter_says_the_kernel_cannot_parse_what_a_bad_object_would_make t_objname_unparsable

# The relocation object is the bad one: nothing is ever applied.
t_objname_never_applied() {
	lp in.ko
	elfpoke in.ko sym "$(symidx in.ko .klp.sym.rela.klp_target.klp_target.counter.0)" \
		name .klp.sym.rela.klp-target.klp_target.counter.0
	refuses in.ko
	compare "rules of the converter's refusal" "$t.conv" <<<"klp-object-name"
	assert_grep "relocation object name 'klp-target' contains '-'.* \\[klp-object-name\\] \\(kernel: \"none: no loaded object has this name, so its relocations are never applied\"\\)\$" "$t.conv.err"
}
run_test converter_says_a_bad_relocation_object_is_never_applied t_objname_never_applied

end_suite
