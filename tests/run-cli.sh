#!/bin/bash
# shellcheck source-path=SCRIPTDIR disable=SC2317 # t_* run via run_test
# run-cli.sh - klp-convert-mini's command line: where it writes, what it
# prints, what it leaves alone, and its exit codes (contract: 0 converted
# or nothing to do, 1 refused, 2 usage).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# A fixture every test here can share: the assembly sample on x86_64
# (exact), the C sample elsewhere.
fixture() {
	if [ "$(uname -m)" = x86_64 ]; then
		sample sample.S
		build_ko "$1" sample.S
	else
		sample sample.c
		build_kmod "$1" sample.c
	fi
}

# A fixed old mtime, so that "unchanged" cannot pass by luck.
OLD=200101010000.00

# A second run over a converted file finds nothing to do: exit 0, and the
# file keeps its bytes and its mtime.
t_idempotent() {
	fixture mod.ko
	run_tool 0 mod.ko
	klpcheck mod.ko
	cp mod.ko once.ko
	touch -t "$OLD" mod.ko
	save mod.ko
	run_tool 0 mod.ko
	assert_unchanged mod.ko
	assert_no_temp
	# and -o of a converted file gives the same bytes
	run_tool 0 -o again.ko mod.ko
	cmp once.ko again.ko || fail "converting a converted file changed it"
}
run_test second_run_is_a_byte_identical_noop t_idempotent

# Nothing annotated (and no livepatch=Y needed then): untouched, exit 0.
t_nothing_to_do() {
	cat >plain.c <<'EOF'
extern int printk(const char *, ...);
static const char lic[] __attribute__((section(".modinfo"), used, aligned(1))) = "license=GPL";
int plain_fn(int x) { return printk("%d", x); }
EOF
	build_kmod mod.ko plain.c
	touch -t "$OLD" mod.ko
	save mod.ko
	run_tool 0 mod.ko
	assert_unchanged mod.ko
	assert_no_temp
	assert_no_grep 'error' "$t.err"
	# Also a file converted elsewhere (already has klp sections).
	fixture lp.ko
	run_tool 0 lp.ko
	klpcheck lp.ko
	touch -t "$OLD" lp.ko
	save lp.ko
	run_tool 0 -v lp.ko
	assert_unchanged lp.ko
}
run_test file_without_annotated_symbols_is_left_untouched t_nothing_to_do

# With two operands or -o, the output must exist even when there is
# nothing to convert: kbuild's `klp-convert in out` step relies on it.
t_nothing_to_do_out() {
	cat >plain.c <<'EOF'
int plain_fn(int x) { return x + 1; }
EOF
	build_kmod mod.ko plain.c
	save mod.ko
	run_tool 0 mod.ko out.ko
	assert_unchanged mod.ko
	assert_no_temp out.ko
	[ -f out.ko ] || fail "out.ko was not written"
	dump -h -S -c -s -r mod.ko >a
	dump -h -S -c -s -r out.ko >b
	compare_files "out.ko vs mod.ko" a b
}
run_test nothing_to_do_with_an_output_operand_still_writes_it t_nothing_to_do_out

# In place, -o OUT and IN OUT are three spellings of one conversion.
t_three_spellings() {
	fixture a.ko
	cp a.ko b.ko
	cp a.ko c.ko
	save b.ko c.ko
	run_tool 0 a.ko
	assert_no_temp
	run_tool 0 -o b.out b.ko
	assert_unchanged b.ko
	assert_no_temp b.out
	run_tool 0 c.ko c.out
	assert_unchanged c.ko
	assert_no_temp c.out
	cmp a.ko b.out || fail "in place and -o differ"
	cmp a.ko c.out || fail "in place and IN OUT differ"
	assert_converted "$t.save/b.ko" b.out
	# An output in another directory, given by path.
	mkdir sub
	run_tool 0 -o sub/d.ko b.ko
	cmp a.ko sub/d.ko || fail "-o sub/d.ko differs"
	[ "$(ls -A sub)" = d.ko ] || fail "sub/ holds $(ls -A sub)"
}
run_test in_place_dash_o_and_two_operands_give_identical_output t_three_spellings

# The converted file keeps the input's permissions (not a fixed 0644 or
# the umask's idea): in place, and for a new -o output.
t_mode() {
	local m
	umask 022
	for m in 600 755 640 444; do
		fixture "m$m.ko"
		chmod "$m" "m$m.ko"
		run_tool 0 "m$m.ko"
		[ "$(stat -c %a "m$m.ko")" = "$m" ] ||
			fail "in place: mode $m became $(stat -c %a "m$m.ko")"
		fixture "n$m.ko"
		chmod "$m" "n$m.ko"
		run_tool 0 -o "o$m.ko" "n$m.ko"
		[ "$(stat -c %a "o$m.ko")" = "$m" ] ||
			fail "-o: input mode $m, output mode $(stat -c %a "o$m.ko")"
	done
}
run_test file_mode_0600_0755_0640_0444_kept t_mode

# -n plans and checks, and writes nothing at all.
t_dry_run() {
	fixture mod.ko
	touch -t "$OLD" mod.ko
	save mod.ko
	run_tool 0 -n mod.ko
	assert_unchanged mod.ko
	assert_no_temp
	run_tool 0 --dry-run -o out.ko mod.ko
	assert_no_temp
	[ ! -e out.ko ] || fail "-n -o wrote out.ko"
	run_tool 0 -n mod.ko out.ko
	assert_no_temp
	assert_unchanged mod.ko
	# and still refuses what it would refuse
	cat >bad.c <<'EOF'
#include "klp_reloc.h"
#include "modinfo.h"
MODULE_INFO(livepatch, "Y");
extern int a KLP_RELOC_SYMBOL(bad-name, a, 0);
int *p = &a;
EOF
	build_kmod bad.ko bad.c
	save bad.ko
	run_tool 1 -n bad.ko
	assert_grep "^$me: error: bad\.ko: .*contains '-'" "$t.err"
	assert_unchanged bad.ko
	assert_no_temp
}
run_test dry_run_writes_nothing t_dry_run

# -v: one line per moved relocation, in the contract's shape:
#   klp-convert-mini: FILE: [IDX] SEC+0xOFF (FUNC+0xOFF): TYPE SYM -> [NEW] .klp.rela.OBJ.SEC
# SYM is the symbol's input name or its converted name (the contract
# does not say which); any other line fails.
t_verbose() {
	need_x86_64
	cat >v.S <<'EOF'
#include "klp_reloc.h"
#include "modinfo.h"
	MODINFO "livepatch=Y"
	KLP_RELOC_SYMBOL cmdline, vmlinux, saved_command_line, 0
	KLP_RELOC_SYMBOL tfn, klp_target, target_fn, 3
	.text
	.globl	first
	.type	first, @function
first:
	nop
	movq	cmdline(%rip), %rax
	ret
	.size	first, .-first
	.globl	second
	.type	second, @function
second:
	call	printk
	call	tfn
	jmp	tfn
	.size	second, .-second
	.section .note.GNU-stack,"",@progbits
EOF
	build_ko mod.ko v.S
	run_tool 0 -v mod.ko
	# sections: 1 .text 2 .rela.text ... 9 .shstrtab; new: 10, 11
	dump -S mod.ko | grep -q '^\[10\] \.klp\.rela\.vmlinux\.\.text ' ||
		fail "[10] is not .klp.rela.vmlinux..text"
	for form in input converted; do
		if [ "$form" = input ]; then
			c=.klp.sym.rela.vmlinux.vmlinux.saved_command_line.0
			f=.klp.sym.rela.klp_target.klp_target.target_fn.3
		else
			c=.klp.sym.vmlinux.saved_command_line,0
			f=.klp.sym.klp_target.target_fn,3
		fi
		# Where it applies, type, symbol and addend (readelf's way),
		# the section it left and the one it joined.
		cat >"expect.$form" <<EOF
$me: mod.ko: [1] .text+0x4 (first+0x4): R_X86_64_PC32 $c - 4: [2] .rela.text -> [10] .klp.rela.vmlinux..text
$me: mod.ko: [1] .text+0xf (second+0x6): R_X86_64_PLT32 $f - 4: [2] .rela.text -> [11] .klp.rela.klp_target..text
$me: mod.ko: [1] .text+0x14 (second+0xb): R_X86_64_PLT32 $f - 4: [2] .rela.text -> [11] .klp.rela.klp_target..text
EOF
	done
	# The contract does not say which stream: either, not both.  Lines
	# that report no relocation (a summary: -q promises "errors only",
	# so the default may say more) are not -v's business here.
	cat "$t.out" "$t.err" | grep -e ' -> ' >all || true
	if ! cmp -s expect.input all && ! cmp -s expect.converted all; then
		diff -u expect.input all || true
		fail "-v output is not one line per moved relocation"
	fi
	[ ! -s "$t.out" ] || [ ! -s "$t.err" ] || fail "-v lines split over stdout and stderr"
	# -v with nothing to move prints no relocation line.
	run_tool 0 -v mod.ko
	cat "$t.out" "$t.err" >all
	assert_no_grep ' -> \[' all
}
run_test verbose_prints_one_line_per_moved_relocation t_verbose

# -o naming a device or a FIFO must not replace it by rename (think of
# -o /dev/null): the output is refused and the node stays what it was.
# Private nodes, so that a regression cannot break the machine's own.
t_output_device() {
	fixture mod.ko
	save mod.ko
	mkfifo fifo
	run_tool 1 -o fifo mod.ko
	assert_grep "^$me: error: mod\\.ko: output .*fifo exists and is not a regular file" "$t.err"
	[ -p fifo ] || fail "the FIFO was replaced"
	if mknod null c 1 3 2>/dev/null; then
		run_tool 1 -o null mod.ko
		assert_grep "^$me: error: mod\\.ko: output .*null exists and is not a regular file" "$t.err"
		[ -c null ] || fail "the device node was replaced"
	fi
	assert_unchanged mod.ko
	assert_no_temp
}
run_test output_that_is_a_device_is_refused t_output_device

# -v lines (and --check's JSON) that cannot be written make the run fail,
# before anything is written: the input stays as it was.
t_stdout_full() {
	[ -w /dev/full ] || { skip "no /dev/full"; return; }
	fixture mod.ko
	save mod.ko
	"$KLP_CONVERT" -v -o out.ko mod.ko >/dev/full 2>"$t.err" && fail "exit 0 with stdout on /dev/full"
	assert_grep "^$me: error: cannot write to standard output: No space left on device; nothing written\$" "$t.err"
	assert_lines 1 "$t.err"
	[ ! -e out.ko ] || fail "out.ko written although its -v lines were lost"
	"$KLP_CONVERT" -v mod.ko >/dev/full 2>"$t.err" && fail "in place: exit 0 with stdout on /dev/full"
	assert_grep "; nothing written\$" "$t.err"
	assert_unchanged mod.ko
	[ -z "$(find . -maxdepth 1 -name 'mod.ko.*' -o -maxdepth 1 -name 'out.ko*')" ] ||
		fail "temporary or partial output left: $(ls)"
	"$KLP_CONVERT" --check --format=json out.ko >/dev/full 2>"$t.err" && fail "--check: exit 0 with stdout on /dev/full"
	assert_grep "^$me: error: cannot write to standard output" "$t.err"
	true
}
run_test stdout_write_error_fails_the_run_before_writing t_stdout_full

# -q: errors only; a successful conversion is silent.  Without -v or -q
# nothing is printed on standard output either way about relocations.
t_quiet() {
	fixture mod.ko
	cp mod.ko mod2.ko
	save mod.ko
	run_tool 0 -q mod.ko
	assert_empty "$t.out"
	assert_empty "$t.err"
	assert_converted "$t.save/mod.ko" mod.ko
	run_tool 0 --quiet mod2.ko
	assert_empty "$t.out"
	assert_empty "$t.err"
	cmp mod.ko mod2.ko
	fixture mod3.ko
	run_tool 0 mod3.ko
	assert_no_grep ' -> \[' "$t.out"
	assert_empty "$t.err"
}
run_test quiet_prints_nothing_on_success t_quiet

# An output that cannot be written: exit 1 with a message, the input
# untouched, and no temporary file left beside the input or anywhere.
t_unwritable() {
	fixture mod.ko
	save mod.ko
	run_tool 1 -o no/such/dir/out.ko mod.ko
	assert_grep "^$me: error: " "$t.err"
	assert_unchanged mod.ko
	assert_no_temp
	mkdir outdir
	run_tool 1 mod.ko outdir
	assert_unchanged mod.ko
	assert_no_temp
	[ -z "$(ls -A outdir)" ] || fail "outdir/ holds $(ls -A outdir)"
}
run_test unwritable_output_fails_cleanly t_unwritable

# -o naming the input itself is in place by another spelling; whatever the
# tool makes of it, the file is never left half-written: either it is
# converted exactly as in place, or refused and untouched.
t_o_is_input() {
	fixture a.ko
	cp a.ko b.ko
	save b.ko
	run_tool 0 a.ko
	local rc=0
	ls -A >"$t.before"
	timeout -k 5 "${KLP_TEST_TIMEOUT:-60}" "$KLP_CONVERT" -o b.ko b.ko >"$t.out" 2>"$t.err" || rc=$?
	ls -A >"$t.after"
	cat "$t.err"
	case $rc in
	0) cmp a.ko b.ko || fail "-o IN IN differs from in place" ;;
	1 | 2) assert_unchanged b.ko ;;
	*) fail "exit $rc" ;;
	esac
	assert_no_temp
}
run_test dash_o_naming_the_input_is_safe t_o_is_input

# -o onto another file system: the output is written beside the output
# (a temporary file renamed over it), not beside the input, or the rename
# would fail with EXDEV.  Nothing is left in either directory.
t_other_fs() {
	local other
	if [ ! -d /dev/shm ] || [ ! -w /dev/shm ]; then skip "no writable /dev/shm"; fi
	[ "$(stat -c %d /dev/shm)" != "$(stat -c %d .)" ] ||
		skip "/dev/shm is on the test directory's file system"
	other=$(mktemp -d /dev/shm/klp-test.XXXXXX)
	# shellcheck disable=SC2064 # expand now: the variable is local
	trap "rm -rf $other" EXIT
	fixture mod.ko
	cp mod.ko ref.ko
	save mod.ko
	run_tool 0 ref.ko
	local rc=0
	timeout -k 5 "${KLP_TEST_TIMEOUT:-60}" "$KLP_CONVERT" -o "$other/out.ko" mod.ko >"$t.out" 2>"$t.err" || rc=$?
	cat "$t.err"
	local left
	left=$(ls -A "$other")
	cmp -s ref.ko "$other/out.ko" || rc="$rc, output differs from in place"
	rm -rf "$other"
	[ "$rc" = 0 ] || fail "-o onto /dev/shm: exit $rc"
	[ "$left" = out.ko ] || fail "/dev/shm dir holds: $left"
	assert_unchanged mod.ko
}
run_test dash_o_onto_another_file_system t_other_fs

# --check (the tool's own verifier, beyond the contract) agrees with
# klpcheck: it passes the tool's output, and names each defect of a
# hand-made bad "conversion" (the one run-harness.sh feeds klpcheck), and
# writes nothing either way.
t_check_mode() {
	need_x86_64
	sample sample.S
	build_ko raw.ko sample.S
	cp raw.ko good.ko
	run_tool 0 -q good.ko
	cp raw.ko bad.ko
	elfpoke bad.ko \
		sym 8 name .klp.sym.vmlinux.saved_command_line sym 8 shndx 0xff20 \
		sym 9 name .klp.sym.klp_target.target_fn,1 sym 9 shndx 0xff20 \
		sym 13 name .klp.sym.vmlinux.counter,2 sym 13 shndx 0xff20 \
		shdr 2 flags 0x100042 shdr 2 name .klp.rela.klp_target..text \
		shdr 5 flags 0x100042 shdr 5 name .klp.rela.vmlinux__data
	! "$builddir/klpcheck" bad.ko >/dev/null || fail "klpcheck accepts bad.ko"
	save good.ko bad.ko raw.ko
	run_tool 0 --check good.ko
	assert_unchanged good.ko
	assert_no_temp
	# Unconverted annotations: the module would not load.
	run_tool 1 --check raw.ko
	assert_grep "^$me: error: raw\\.ko: \\.symtab entry 8: symbol '\\.klp\\.sym\\.rela\\.vmlinux\\.vmlinux\\.saved_command_line\\.0'" "$t.err"
	run_tool 1 --check bad.ko
	local e="^$me: error: bad\\.ko: "
	assert_grep "$e\\.symtab entry 8: symbol '\\.klp\\.sym\\.vmlinux\\.saved_command_line': " "$t.err"
	assert_grep "$e\\[1\\] \\.text\\+0x1 \\(lp_fn\\+0x1\\): symbol 'printk': " "$t.err"
	assert_grep "$e\\[1\\] \\.text\\+0x13 \\(lp_fn\\+0x13\\): symbol '\\.klp\\.sym\\.vmlinux\\.counter,2': .*vmlinux symbol" "$t.err"
	assert_grep "$e\\[5\\] \\.klp\\.rela\\.vmlinux__data: " "$t.err"
	assert_unchanged good.ko bad.ko raw.ko
	assert_no_temp
	# Several files: each is checked, the worst result wins.
	run_tool 1 --check good.ko bad.ko
	assert_grep "^$me: error: bad\\.ko: " "$t.err"
	assert_no_grep "^$me: error: good\\.ko: " "$t.err"
}
run_test check_mode_agrees_with_klpcheck_and_writes_nothing t_check_mode

t_help() {
	run_tool 0 --help
	assert_grep '[Uu]sage' "$t.out"
	for opt in -o -n -v -q --symvers --help --version --dry-run --verbose --quiet; do
		grep -q -- "$opt" "$t.out" || fail "--help does not mention $opt"
	done
	assert_empty "$t.err"
}
run_test help_lists_every_option_and_exits_0 t_help

t_version() {
	run_tool 0 --version
	assert_grep '^klp-convert-mini.*[0-9]+\.[0-9]+' "$t.out"
	assert_empty "$t.err"
}
run_test version_prints_name_and_number_and_exits_0 t_version

# Usage errors: exit 2, a message on stderr, nothing written.
t_usage() {
	fixture mod.ko
	cp mod.ko b.ko
	touch -t "$OLD" mod.ko b.ko
	save mod.ko b.ko
	local -a cases=(
		""			# no operand
		"--no-such-option mod.ko"
		"-x mod.ko"
		"-o"			# -o without its argument
		"-o out.ko"		# -o without an input
		"-o out.ko mod.ko b.ko"	# -o and two operands
		"mod.ko b.ko c.ko"	# three operands
		"-o o1.ko -o o2.ko mod.ko"
		"--symvers"
	)
	local c
	for c in "${cases[@]}"; do
		# shellcheck disable=SC2086 # each case is a list of words
		run_tool 2 $c
		[ -s "$t.err" ] || fail "'$c': exit 2 but no message"
		assert_unchanged mod.ko b.ko
		assert_no_temp
	done
}
run_test usage_errors_exit_2_and_write_nothing t_usage

# An empty file name is a usage error, before any work (it used to run
# the whole conversion and fail at the rename).
t_empty_names() {
	fixture mod.ko
	save mod.ko
	local i
	for i in 1 2 3 4; do
		case $i in
		1) run_tool 2 -o "" mod.ko ;;
		2) run_tool 2 mod.ko "" ;;
		3) run_tool 2 --output= mod.ko ;;
		4) run_tool 2 --check "" ;;
		esac
		assert_grep ": (-o: )?empty file name$" "$t.err"
		assert_unchanged mod.ko
		assert_no_temp
	done
}
run_test empty_file_name_is_a_usage_error t_empty_names

# A destination whose name is as long as a directory entry may be still
# gets its temporary file (the name cut short for it).
t_longest_name() {
	local n
	n=$(printf 'x%.0s' $(seq 252)).ko
	fixture "$n"
	cp "$n" orig.ko
	run_tool 0 "$n"
	assert_converted orig.ko "$n"
	assert_no_temp
	find . -mindepth 1 | sort >"$t.files"
	run_tool 0 -o "y${n#x}" orig.ko
	cmp -s "$n" "y${n#x}" || fail "-o to a 255-byte name differs from converting in place"
	rm "y${n#x}"
	find . -mindepth 1 | sort | cmp -s - "$t.files" || fail "files left behind"
}
run_test converts_file_whose_name_is_255_bytes t_longest_name

# -o to a symbolic link whose target is missing, or to a loop: refused,
# as cp(1) does; the link stays, and nothing is created at either name.
t_dangling_output() {
	fixture mod.ko
	save mod.ko
	ln -s missing-dir/new.ko dang.ko
	run_tool 1 -o dang.ko mod.ko
	assert_lines 1 "$t.err"
	assert_grep "^$me: error: mod\\.ko: output dang\\.ko is a symbolic link that cannot be followed \\(No such file or directory\\): not writing through it$" "$t.err"
	[ -L dang.ko ] || fail "dang.ko is no longer a symlink"
	# A loop: the same, with its own reason.
	ln -s loop.ko loop.ko
	run_tool 1 -o loop.ko mod.ko
	assert_grep "^$me: error: mod\\.ko: output loop\\.ko is a symbolic link that cannot be followed \\(Too many levels of symbolic links\\): not writing through it$" "$t.err"
	[ -L loop.ko ] || fail "loop.ko is no longer a symlink"
	[ ! -e missing-dir ] || fail "missing-dir created"
	assert_unchanged mod.ko
	assert_no_temp
}
run_test refuses_output_through_a_dangling_symlink t_dangling_output

# realpath() fails on a path longer than PATH_MAX (ENAMETOOLONG) though
# open() on the relative name works: a symlink there is still written
# through, not refused as if it dangled.
t_deep_symlink() {
	fixture mod.ko
	local deep top=$PWD
	deep=$(printf 'd%.0s' $(seq 250))
	mkdir deep.root
	# Step by step: a path that long is too long for any one syscall.
	(
		cd deep.root || exit 1
		for _ in $(seq 17); do
			mkdir "$deep" && cd "$deep" || exit 1
		done
		cp "$top/mod.ko" real.ko && ln -s real.ko link.ko || exit 1
		"$KLP_CONVERT" link.ko || exit 2
		[ -L link.ko ] || exit 3
		! cmp -s "$top/mod.ko" real.ko || exit 4
	) >"$t.out" 2>"$t.err" || fail "step $? failed: $(cat "$t.err")"
	assert_empty "$t.err"
	rm -rf deep.root
}
run_test symlink_output_deeper_than_path_max_is_written_through t_deep_symlink

# A symbol name is any byte string: a newline or a tab in one must not
# split a message or forge a line of its own (shown as \x0a, \x09).
t_control_chars() {
	cat >m.c <<'EOF'
#include "klp_reloc.h"
#include "modinfo.h"
MODULE_INFO(livepatch, "Y");
extern int a KLP_RELOC_SYMBOL(vmlinux, a, 0);
extern int plain(void);
int lp_fn(void) { return a + plain(); }
EOF
	build_kmod mod.ko m.c
	local nl
	nl=$(printf 'a\nklp-convert-mini: error: forged\t')
	elfpoke mod.ko sym "$(symidx mod.ko .klp.sym.rela.vmlinux.vmlinux.a.0)" name ".klp.sym.rela.vmlinux.vmlinux.$nl.0" \
		sym "$(symidx mod.ko plain)" name "plain$nl"
	printf '0x1\tother\tvmlinux\tEXPORT_SYMBOL\t\n' >v.symvers
	save mod.ko
	run_tool 1 --symvers v.symvers mod.ko
	assert_lines 1 "$t.err"
	assert_grep "symbol 'plaina\\\\x0aklp-convert-mini: error: forged\\\\x09': is not exported" "$t.err"
	assert_unchanged mod.ko
	run_tool 0 -v -o out.ko mod.ko
	assert_lines 2 "$t.out"
	assert_grep "\\.klp\\.sym\\.vmlinux\\.a\\\\x0aklp-convert-mini: error: forged\\\\x09,0" "$t.out"
}
run_test messages_stay_one_line_whatever_bytes_a_name_holds t_control_chars

# --symvers: undefined symbols left after conversion must be exported by
# the kernel (a vmlinux Module.symvers line) or by a module named in
# .modinfo depends=.
symvers_fixture() {
	cat >m.c <<'EOF'
#include "klp_reloc.h"
#include "modinfo.h"
MODULE_INFO(livepatch, "Y");
MODULE_INFO(depends, "dep_mod");
extern int printk(const char *, ...);
extern int dep_helper(int);
extern int not_exported(int);
extern int a KLP_RELOC_SYMBOL(vmlinux, a, 0);
int lp_fn(int x) { return printk("%d", a) + dep_helper(x) + not_exported(x); }
EOF
	build_kmod mod.ko m.c
	printf '0x12345678\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n' >vmlinux.symvers
	printf '0x00000001\tdep_helper\tdrivers/misc/dep_mod\tEXPORT_SYMBOL_GPL\t\n' >dep.symvers
	printf '0x00000002\tother_export\tdrivers/misc/other_mod\tEXPORT_SYMBOL\t\n' >other.symvers
}

t_symvers_refuses() {
	symvers_fixture
	save mod.ko
	run_tool 1 --symvers vmlinux.symvers --symvers dep.symvers --symvers other.symvers mod.ko
	assert_lines 1 "$t.err"
	# The contract's text; its general shape puts a colon after the
	# symbol, so that colon may be there.
	assert_grep "^$me: error: mod\.ko: .*symbol 'not_exported':? is not exported by the kernel or a dependency; annotate it with KLP_RELOC_SYMBOL\(obj, not_exported, pos\)" "$t.err"
	assert_unchanged mod.ko
	assert_no_temp
}
run_test symvers_refuses_undefined_symbol_no_symvers_exports t_symvers_refuses

t_symvers_accepts() {
	symvers_fixture
	sed -i 's/not_exported(x)/0/' m.c
	# What GNU as before 2.37 leaves after foo@PLT on x86_64, and the
	# module loader ignores there (ignore_undef_symbol()).
	[ "$(uname -m)" != x86_64 ] ||
		echo '__asm__(".globl _GLOBAL_OFFSET_TABLE_");' >>m.c
	build_kmod mod.ko m.c
	save mod.ko
	run_tool 0 --symvers vmlinux.symvers --symvers dep.symvers mod.ko
	assert_converted "$t.save/mod.ko" mod.ko
	# without dep.symvers, dep_helper is unaccounted for
	cp "$t.save/mod.ko" again.ko
	save again.ko
	run_tool 1 --symvers vmlinux.symvers again.ko
	assert_grep "symbol 'dep_helper':? is not exported by the kernel or a dependency" "$t.err"
	assert_unchanged again.ko
}
run_test symvers_accepts_kernel_and_dependency_exports t_symvers_accepts

# A --symvers file that is not one must not turn every import into
# "is not exported ... annotate it": the file is named, with the line.
# An empty one (an external module that exports nothing) is fine.
# symvers_refused ERE: one error line, about the --symvers file.
symvers_refused() {
	assert_lines 1 "$t.err"
	assert_grep "$1" "$t.err"
	assert_empty "$t.out"
	assert_unchanged mod.ko
	assert_no_temp
}

t_symvers_bad_file() {
	symvers_fixture
	save mod.ko
	printf 'kernel/drivers/misc/dep_mod.ko\n' >modules.order
	run_tool 1 --symvers vmlinux.symvers --symvers modules.order mod.ko
	symvers_refused "^$me: error: modules\\.order:1: not a Module\\.symvers line \\(0xCRC, a tab, the symbol, \\.\\.\\.\\): give the Module\\.symvers of the kernel or of a module$"
	mkdir dir.symvers
	run_tool 1 --symvers dir.symvers mod.ko
	symvers_refused "^$me: error: dir\\.symvers: cannot read: Is a directory$"
	run_tool 1 --symvers missing.symvers mod.ko
	symvers_refused "^$me: error: missing\\.symvers: cannot read: No such file or directory$"
	: >empty.symvers
	printf '\n' >>dep.symvers
	sed -i 's/not_exported(x)/0/' m.c
	build_kmod mod.ko m.c
	run_tool 0 --symvers vmlinux.symvers --symvers dep.symvers --symvers empty.symvers mod.ko
}
run_test symvers_refuses_a_file_that_is_not_module_symvers t_symvers_bad_file

end_suite
